"""INVOIC: the supplier's invoice, its totals checked before anything reads them."""

from __future__ import annotations

from decimal import Decimal

from connectors.edifact import fields as f
from connectors.edifact.errors import TotalsError
from connectors.edifact.messages import Charge, Invoice, InvoiceLine, InvoiceTotals, PaymentTerms
from connectors.edifact.orders import Row, bgm_of, dtm, item, lin, nad
from connectors.edifact.syntax import Segment

DOCUMENTS = ("380", "381")  # invoice, credit note
TOTALS = {"79": "lines", "131": "charges", "125": "taxable", "176": "tax", "77": "total"}


def totals_of(invoice: Invoice) -> InvoiceTotals:
    """The summary amounts of an invoice's lines and charges (tax: Σ line MOA+124)."""
    lines = sum((line.amount for line in invoice.lines), Decimal(0))
    charges = sum((charge.amount for charge in invoice.charges), Decimal(0))
    tax = sum((line.tax_amount or Decimal(0) for line in invoice.lines), Decimal(0))
    return InvoiceTotals(lines, charges, lines + charges, tax, lines + charges + tax)


def write(invoice: Invoice) -> list[Row]:
    rows: list[Row] = [
        ("BGM", invoice.document, invoice.number, "9"),
        *dtm("137", invoice.issued),
        *dtm("13", invoice.due),
    ]
    if invoice.order_number:
        rows.append(("RFF", ("ON", invoice.order_number)))
    rows += [*nad("SU", invoice.supplier), *nad("BY", invoice.buyer)]
    rows.append(("CUX", ("2", invoice.currency, "4")))
    terms = invoice.terms
    if terms is not None:
        period = ("5", "3", "D", terms.days) if terms.days is not None else None
        rows.append(("PAT", "1", (terms.identifier, "", "", terms.description), period))
        if terms.discount_percent is not None:
            days = terms.discount_days
            rows.append(("PAT", "22", None, ("5", "3", "D", days) if days is not None else None))
            rows.append(("PCD", ("12", terms.discount_percent)))
    for charge in invoice.charges:
        rows.append(("ALC", "C", None, "6", None, (charge.code, "", "", charge.description)))
        rows.append(("MOA", ("23", charge.amount)))
    for line in invoice.lines:
        rows += [lin(line.line_no, line.supplier_item), *item(line.mpn, line.description)]
        rows += [("QTY", ("47", line.quantity)), ("MOA", ("203", line.amount))]
        rows.append(("PRI", ("AAA", line.price)))
        if line.buyer_line is not None:
            rows.append(("RFF", ("LI", line.buyer_line)))
        if line.tax_rate is not None:
            rows.append(("TAX", "7", "VAT", None, None, ("", "", "", line.tax_rate), "S"))
            if line.tax_amount is not None:
                rows.append(("MOA", ("124", line.tax_amount)))
    totals = invoice.totals or totals_of(invoice)
    rows += [("UNS", "S"), ("CNT", ("2", len(invoice.lines)))]
    rows += [("MOA", (code, getattr(totals, name))) for code, name in TOTALS.items()]
    return rows


def read(unh: Segment, segments: list[Segment], fields: f.Fields) -> Invoice:
    header, groups, summary = f.groups(segments, "LIN")
    bgm = bgm_of(unh, segments, DOCUMENTS, "invoice")
    dates, parties, refs = f.dates(header), f.parties(header), f.references(header)
    cux = f.first(header, "CUX", "2")
    if cux is None or not cux.value(0, 1):
        raise f.error(bgm, "the invoice has no currency (CUX+2:<currency>:4)")
    lines = tuple(_line(group, fields) for group in groups)
    charges = _charges(header, fields)
    return Invoice(
        number=f.required(bgm, 1, "BGM document number"),
        document=bgm.value(0),
        issued=f.document_date(dates, bgm),
        due=dates.get("13"),
        supplier=f.party(parties, "SU", bgm),
        buyer=f.party(parties, "BY", bgm),
        currency=cux.value(0, 1),
        order_number=f.first_reference(refs, "ON"),
        terms=_terms(header, fields),
        charges=charges,
        lines=lines,
        totals=_totals(bgm, summary, lines, charges, fields),
        message_ref=unh.value(0),
    )


def _line(group: list[Segment], fields: f.Fields) -> InvoiceLine:
    lin_ = group[0]
    needed = {}
    for tag, qualifier, what in (
        ("QTY", "47", "invoiced quantity (QTY+47)"),
        ("PRI", "AAA", "net price (PRI+AAA)"),
        ("MOA", "203", "line amount (MOA+203)"),
    ):
        segment = f.first(group, tag, qualifier)
        if segment is None:
            raise f.error(lin_, f"the line has no {what}")
        needed[tag] = fields.number(segment, 0, 1, what.split(" (")[0])
    tax = f.first(group, "TAX", "7")
    return InvoiceLine(
        line_no=f.whole(lin_, 0, "LIN line number"),
        quantity=needed["QTY"],
        price=needed["PRI"],
        amount=needed["MOA"],
        mpn=f.mpn(group),
        supplier_item=f.supplier_item(lin_),
        buyer_line=f.buyer_line(group),
        tax_rate=fields.number(tax, 4, 3, "tax rate") if tax and tax.value(4, 3) else None,
        tax_amount=fields.optional_number(f.first(group, "MOA", "124"), 0, 1, "tax amount"),
        description=f.description(group),
    )


def _charges(header: list[Segment], fields: f.Fields) -> tuple[Charge, ...]:
    """ALC+C groups with their MOA+23; the summary's MOA+131 is only checked against them."""
    charges: list[Charge] = []
    alc: Segment | None = None
    for segment in header:
        if segment.tag == "ALC":
            if alc is not None:
                raise f.error(alc, "the charge has no amount (MOA+23)")
            alc = segment if segment.value(0) == "C" else None
        elif segment.tag == "MOA" and segment.value(0, 0) == "23":
            if alc is None:
                raise f.error(segment, "a charge amount (MOA+23) outside a charge (ALC+C)")
            code = f.required(alc, 4, "charge type (ALC C214 7161)")
            amount = fields.number(segment, 0, 1, "charge amount")
            charges.append(Charge(code, amount, alc.value(4, 3)))
            alc = None
    if alc is not None:
        raise f.error(alc, "the charge has no amount (MOA+23)")
    return tuple(charges)


def _terms(header: list[Segment], fields: f.Fields) -> PaymentTerms | None:
    basic = f.first(header, "PAT", "1")
    discount = f.first(header, "PAT", "22")
    if basic is None and discount is None:
        return None
    pcd = None
    if discount is not None:
        after = header[header.index(discount) + 1 :]
        pcd = after[0] if after and after[0].tag == "PCD" and after[0].value(0, 0) == "12" else None
        if pcd is None:
            raise f.error(discount, "a discount (PAT+22) with no percentage (PCD+12) after it")
    return PaymentTerms(
        identifier=f.optional(basic, 1, 0),
        description=basic.value(1, 3) if basic else "",
        days=_days(basic),
        discount_percent=fields.optional_number(pcd, 0, 1, "discount percentage"),
        discount_days=_days(discount),
    )


def _days(pat: Segment | None) -> int | None:
    if pat is None or not pat.value(2, 3):
        return None
    if pat.value(2, 2) != "D":
        raise f.error(pat, f"payment period type {pat.value(2, 2)!r} is not D (days)")
    return f.whole(pat, 2, "payment period", 3)


def _totals(
    bgm: Segment,
    summary: list[Segment],
    lines: tuple[InvoiceLine, ...],
    charges: tuple[Charge, ...],
    fields: f.Fields,
) -> InvoiceTotals:
    found: dict[str, tuple[Decimal, Segment]] = {}
    for segment in f.tagged(summary, "MOA", *TOTALS):
        found.setdefault(segment.value(0, 0), (fields.number(segment, 0, 1, "total"), segment))
    for code in ("79", "77"):
        if code not in found:
            raise f.error(bgm, f"the invoice has no {TOTALS[code]} total (MOA+{code})")

    def amount(code: str, default: Decimal) -> Decimal:
        return found[code][0] if code in found else default

    def check(code: str, expected: Decimal, how: str) -> None:
        if code in found and found[code][0] != expected:
            segment = found[code][1]
            raise TotalsError(
                f"MOA+{code} is {found[code][0]} but {how} is {expected}",
                index=segment.index,
                tag=segment.tag,
            )

    line_sum = sum((line.amount for line in lines), Decimal(0))
    charge_sum = sum((charge.amount for charge in charges), Decimal(0))
    check("79", line_sum, "the sum of the line amounts (MOA+203)")
    if charges:
        check("131", charge_sum, "the sum of the charges (MOA+23)")
    totals = InvoiceTotals(
        lines=amount("79", line_sum),
        charges=amount("131", charge_sum),
        taxable=Decimal(0),
        tax=amount("176", Decimal(0)),
        total=amount("77", Decimal(0)),
    )
    taxable = totals.lines + totals.charges
    check("125", taxable, "MOA+79 + MOA+131")
    check("77", taxable + totals.tax, "MOA+125 + MOA+176")
    return InvoiceTotals(totals.lines, totals.charges, taxable, totals.tax, totals.total)
