"""ORDERS: a purchase order, written by posync and read by the sandbox's supplier."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from connectors.edifact import fields as f
from connectors.edifact.messages import SPECIAL_PRICING_QUALIFIERS, Order, OrderLine
from connectors.edifact.syntax import Segment

Row = Sequence[object]

# FTX+DIN (delivery instructions) 4441, the partial-shipment instruction. A hub convention,
# not a UN code list: a partner with other codes maps them in its adapter.
PARTIAL_ALLOWED, SHIP_COMPLETE = "PSA", "SCO"
_PARTIAL_TEXT = {PARTIAL_ALLOWED: "PARTIAL SHIPMENTS ALLOWED", SHIP_COMPLETE: "SHIP COMPLETE"}


def dtm(qualifier: str, day: date | None) -> list[Row]:
    return [] if day is None else [("DTM", (qualifier, day.strftime("%Y%m%d"), "102"))]


def nad(qualifier: str, gln: str | None) -> list[Row]:
    return [] if gln is None else [("NAD", qualifier, (gln, "", "9"))]


def lin(line_no: int, supplier_item: str | None, action: str = "") -> Row:
    return ("LIN", line_no, action, (supplier_item, "SA") if supplier_item else None)


def item(mpn: str | None, description: str) -> list[Row]:
    rows: list[Row] = [] if mpn is None else [("PIA", "5", (mpn, "MF"))]
    if description:
        rows.append(("IMD", "F", None, ("", "", "", description[:35], description[35:70])))
    return rows


def write(order: Order) -> list[Row]:
    special = order.special_order_type
    rows: list[Row] = [
        ("BGM", "220", order.number, "9"),
        *dtm("137", order.issued),
        *dtm("2", order.requested_date),
    ]
    code = PARTIAL_ALLOWED if order.partial_shipments else SHIP_COMPLETE
    rows.append(("FTX", "DIN", None, code, _PARTIAL_TEXT[code]))
    if special is not None or order.special_reference is not None:
        if special not in SPECIAL_PRICING_QUALIFIERS or not order.special_reference:
            raise ValueError("special pricing needs both a special order type and a reference")
        rows.append(("RFF", (SPECIAL_PRICING_QUALIFIERS[special], order.special_reference)))
    rows += [*nad("BY", order.buyer), *nad("SU", order.supplier), *nad("ST", order.ship_to)]
    if order.currency:
        rows.append(("CUX", ("2", order.currency, "9")))
    for line in order.lines:
        rows += [
            lin(line.line_no, line.supplier_item),
            *item(line.mpn, line.description),
            ("QTY", ("21", line.quantity)),
            *dtm("2", line.requested_date),
        ]
        if line.price is not None:
            rows.append(("PRI", ("AAA", line.price)))
        rows.append(("RFF", ("LI", line.line_no)))
    rows += [("UNS", "S"), ("CNT", ("2", len(order.lines)))]
    return rows


def read(unh: Segment, segments: list[Segment], fields: f.Fields) -> Order:
    header, groups, _ = f.groups(segments, "LIN")
    bgm = bgm_of(unh, segments, ("220",), "order")
    dates, parties, refs = f.dates(header), f.parties(header), f.references(header)
    special = [(t, refs[q][0]) for t, q in SPECIAL_PRICING_QUALIFIERS.items() if q in refs]
    ftx = f.first(header, "FTX", "DIN")
    return Order(
        number=f.required(bgm, 1, "BGM document number"),
        issued=f.document_date(dates, bgm),
        buyer=f.party(parties, "BY", bgm),
        supplier=f.party(parties, "SU", bgm),
        ship_to=parties.get("ST"),
        currency=f.optional(f.first(header, "CUX", "2"), 0, 1),
        requested_date=dates.get("2"),
        partial_shipments=ftx is None or ftx.value(2) != SHIP_COMPLETE,
        special_order_type=special[0][0] if special else None,  # type: ignore[arg-type]
        special_reference=special[0][1] if special else None,
        lines=tuple(_line(group, fields) for group in groups),
        message_ref=unh.value(0),
    )


def _line(group: list[Segment], fields: f.Fields) -> OrderLine:
    lin_ = group[0]
    mpn = f.mpn(group)
    if mpn is None:
        raise f.error(lin_, "the line has no manufacturer part number (PIA+5+<mpn>:MF)")
    qty = f.first(group, "QTY", "21")
    if qty is None:
        raise f.error(lin_, "the line has no ordered quantity (QTY+21)")
    return OrderLine(
        line_no=f.whole(lin_, 0, "LIN line number"),
        mpn=mpn,
        quantity=fields.number(qty, 0, 1, "ordered quantity"),
        price=fields.optional_number(f.first(group, "PRI", "AAA"), 0, 1, "net price"),
        requested_date=f.dates(group).get("2"),
        description=f.description(group),
        supplier_item=f.supplier_item(lin_),
    )


def bgm_of(unh: Segment, segments: list[Segment], documents: tuple[str, ...], what: str) -> Segment:
    """The message's BGM, whose document code (1001) must be one of ``documents``."""
    bgm = f.first(segments, "BGM")
    if bgm is None:
        raise f.error(unh, f"the {what} has no BGM segment")
    if bgm.value(0) not in documents:
        expected = " or ".join(documents)
        raise f.error(bgm, f"BGM document code {bgm.value(0)!r} is not {expected} ({what})")
    return bgm
