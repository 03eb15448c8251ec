"""Demo data for EDI (Onetrail seed): two suppliers enabled for EDI (a third with a GLN but not
enabled, to show Save & Submit's validation), charge types, payment terms, and POs in each
state — not submitted, submitted and accepted, changed with amendments and mixed line statuses,
failed — with their interchanges in the document log, one of them malformed and set aside. One
item on the newest open PO to the second supplier has no MPN: Save & Submit names it, and the
operator sets it (the PO's EDI tab, or EDI setup)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlmodel import Session, col, select

from connectors.edifact import (
    EdifactError,
    Envelope,
    Interchange,
    OrderResponse,
    ResponseLine,
    build,
    parse,
)
from posync_tui.config import EdiSettings
from posync_tui.models import (
    Direction,
    DocumentStatus,
    EdiChargeType,
    EdiDocument,
    EdiPaymentTerms,
    EdiSubmitStatus,
    Item,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    QuarantinedEntry,
    Vendor,
    saved_id,
)
from posync_tui.services.edi_apply import apply_interchange, log_failure
from posync_tui.services.edi_orders import orders_interchange

ENABLED = ("EURO", "INGR")


def seed_edi(s: Session, now: datetime) -> None:
    settings = EdiSettings()
    vendors = s.exec(select(Vendor).where(col(Vendor.gln).is_not(None))).all()
    for vendor in vendors:
        vendor.edi_enabled = vendor.code in ENABLED
    s.add_all(
        [
            EdiChargeType(code="FC", name="Freight", expense_account="6100 Freight in"),
            EdiChargeType(code="PC", name="Packing", expense_account="6150 Packing"),
            EdiPaymentTerms(identifier="NET30", terms="Net 30", net_days=30),
            EdiPaymentTerms(
                identifier="2/10NET30",
                terms="2% 10 Net 30",
                discount_percent=Decimal(2),
                discount_days=10,
                net_days=30,
            ),
        ]
    )
    euro = next(v for v in vendors if v.code == "EURO")
    pos = s.exec(
        select(PurchaseOrder)
        .where(PurchaseOrder.vendor_id == euro.id, PurchaseOrder.status == POStatus.OPEN)
        .order_by(col(PurchaseOrder.number).desc())
        .limit(3)
    ).all()
    if len(pos) < 3:
        return
    accepted, changed, failed = pos
    _mpn_missing(s, next(v for v in vendors if v.code == "INGR"))
    for n, po in enumerate((accepted, changed), start=1):
        _submitted(s, po, euro, settings, now - timedelta(hours=3 - n), n)
    _respond(s, accepted, euro, settings, "29", now - timedelta(hours=1), "5")
    _respond(s, changed, euro, settings, "4", now - timedelta(minutes=30), None)
    failed.edi_submit_status = EdiSubmitStatus.FAILED
    failed.edi_submit_error = "The EDI hub refused it: 422 interchange cannot be read"
    _malformed(s, euro, settings, now - timedelta(minutes=10))


def _mpn_missing(s: Session, vendor: Vendor) -> None:
    po = s.exec(
        select(PurchaseOrder)
        .where(PurchaseOrder.vendor_id == vendor.id, PurchaseOrder.status == POStatus.OPEN)
        .order_by(col(PurchaseOrder.number).desc())
    ).first()
    lines = _lines(s, po) if po else []
    item = s.get(Item, lines[0].item_id) if lines and lines[0].item_id else None
    if item is not None:
        item.mpn = None


def _lines(s: Session, po: PurchaseOrder) -> list[PurchaseOrderLine]:
    return list(
        s.exec(
            select(PurchaseOrderLine)
            .where(PurchaseOrderLine.po_id == po.id)
            .order_by(col(PurchaseOrderLine.line_no))
        ).all()
    )


def _submitted(s, po, vendor, settings, at: datetime, n: int) -> None:
    lines = _lines(s, po)
    items = {i.id: i for i in s.exec(select(Item)).all() if i.id}
    for line in lines:
        line.buyer_line_ref = str(line.line_no)
    ref = f"{900000000 + n:09d}"
    s.add(
        EdiDocument(
            created_at=at,
            direction=Direction.OUT,
            message_type="ORDERS",
            sender=settings.our_gln,
            vendor_id=vendor.id,
            control_ref=ref,
            hub_id=f"OUT-DEMO-{n}",
            po_id=po.id,
            status=DocumentStatus.SENT,
            processed_at=at,
            raw=orders_interchange(po, vendor, lines, items, settings, ref),
        )
    )
    po.edi_submit_status = EdiSubmitStatus.SUBMITTED


def _respond(s, po, vendor, settings, function: str, at: datetime, code: str | None) -> None:
    lines = _lines(s, po)
    if code is not None:
        answers = [
            ResponseLine(ln.line_no, code, ln.line_no, quantity=ln.quantity_ordered) for ln in lines
        ]
    else:  # changed: a quantity cut, a line rejected, one deleted, one added
        codes = ["3", "7", "2", "5", "5", "5", "5", "5"]
        answers = [
            ResponseLine(
                ln.line_no,
                codes[i],
                ln.line_no,
                quantity=ln.quantity_ordered - 1 if codes[i] == "3" else ln.quantity_ordered,
                delivery_date=(po.expected_date + timedelta(days=7))
                if codes[i] == "3" and po.expected_date
                else None,
            )
            for i, ln in enumerate(lines)
        ]
        answers.append(
            ResponseLine(
                len(lines) + 1,
                "1",
                None,
                "CBL-USB-C",
                quantity=Decimal(2),
                price=Decimal("4.50"),
                description="USB-C cable (substitute)",
            )
        )
    response = OrderResponse(
        f"R-{po.number}",
        function,
        po.number,
        at.date(),
        settings.our_gln,
        vendor.gln,
        tuple(answers),
        message_ref=f"R{saved_id(po)}",
    )
    envelope = Envelope(vendor.gln, settings.our_gln, f"S{saved_id(po)}", at.replace(tzinfo=None))
    interchange = Interchange(envelope, (response,))
    logged = apply_interchange(s, interchange, build(interchange), f"IN-DEMO-{po.id}", at)
    s.get_one(EdiDocument, logged.id).created_at = at


def _malformed(s, vendor, settings, at: datetime) -> None:
    raw = (
        f"UNB+UNOC:3+{vendor.gln}:14+{settings.our_gln}:14+261123:0850+S-BAD1'"
        "UNH+1+DESADV:D:96A:UN'BGM+351+D-77+9'DTM+137:20261123:102'"
        "LIN+1++X:SA'QTY+12:two'UNT+5+1'UNZ+1+S-BAD1'"
    )
    try:
        parse(raw)
    except EdifactError as exc:
        logged = log_failure(s, raw, "IN-DEMO-BAD", exc.message, exc.where, at)
        document = s.get_one(EdiDocument, logged.id)
        document.created_at = at
        document.sender, document.vendor_id, document.message_type = vendor.gln, vendor.id, "DESADV"
        document.control_ref = "S-BAD1"
        s.add(
            QuarantinedEntry(
                created_at=at,
                connector="edi_hub",
                entry_key="IN-DEMO-BAD",
                seq=0,
                raw=raw,
                error=type(exc).__name__,
                stage="parse",
                field_path=exc.where,
                message=exc.message,
            )
        )
