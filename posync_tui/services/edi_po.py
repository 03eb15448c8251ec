"""A PO's EDI side (Onetrail seed): its fields, its lines' accept statuses, its amendments,
and Save & Submit Electronically from the PO detail or the New PO form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from posync_tui import audit
from posync_tui.db import Database
from posync_tui.events import note_change
from posync_tui.models import (
    EdiSubmitStatus,
    Item,
    PoAmendment,
    PurchaseOrder,
    PurchaseOrderLine,
    Vendor,
    saved_id,
)
from posync_tui.services.edi_submit import SPECIAL_ORDER_TYPES


@dataclass(frozen=True)
class EdiFields:
    """What the PO form adds for EDI."""

    special_order_type: str | None = None
    special_bid_reference: str | None = None
    allow_partial_shipments: bool = False
    drop_ship: bool = False


@dataclass(frozen=True)
class EdiLine:
    line_no: int
    item_id: int | None
    item: str
    mpn: str | None
    ordered: Decimal
    confirmed: Decimal | None
    despatched: Decimal
    accept_status: str | None


@dataclass(frozen=True)
class Amendment:
    id: int
    at: datetime
    line_no: int | None
    field: str
    old: str | None
    new: str | None
    message_ref: str


@dataclass(frozen=True)
class PoEdi:
    po_id: int
    number: str
    vendor_edi: bool  # the vendor is enabled for EDI: the PO's EDI panes are shown
    fields: EdiFields
    submit_status: str | None
    submit_error: str | None
    accept_status: str | None
    lines: list[EdiLine]
    amendments: list[Amendment]

    @property
    def shown(self) -> bool:
        return self.vendor_edi or self.submit_status is not None

    @property
    def fields_locked(self) -> bool:
        """Submitting or Submitted: the supplier has the order as it was sent."""
        return self.submit_status in LOCKED


def read_po_edi(db: Database, po_id: int) -> PoEdi:
    with db.reader() as s:
        po = s.get(PurchaseOrder, po_id)
        if po is None:
            raise LookupError(f"No PO with id {po_id}")
        vendor = s.get(Vendor, po.vendor_id)
        rows = s.exec(
            select(PurchaseOrderLine, Item)
            .join(Item, col(Item.id) == col(PurchaseOrderLine.item_id), isouter=True)
            .where(PurchaseOrderLine.po_id == po_id)
            .order_by(col(PurchaseOrderLine.line_no))
        ).all()
        numbers = {line.id: line.line_no for line, _ in rows}
        amendments = s.exec(
            select(PoAmendment)
            .where(PoAmendment.po_id == po_id)
            .order_by(col(PoAmendment.at).desc(), col(PoAmendment.id).desc())
        ).all()
        return PoEdi(
            po_id=po_id,
            number=po.number,
            vendor_edi=bool(vendor and vendor.edi_enabled),
            fields=EdiFields(
                po.special_order_type,
                po.special_bid_reference,
                po.allow_partial_shipments,
                po.drop_ship,
            ),
            submit_status=po.edi_submit_status,
            submit_error=po.edi_submit_error,
            accept_status=po.edi_accept_status,
            lines=[
                EdiLine(
                    line.line_no,
                    line.item_id,
                    item.sku if item else (line.supplier_part_no or line.description),
                    item.mpn if item else None,
                    line.quantity_ordered,
                    line.quantity_confirmed,
                    line.quantity_despatched,
                    line.edi_accept_status,
                )
                for line, item in rows
            ],
            amendments=[
                Amendment(
                    a.id or 0,
                    a.at,
                    numbers.get(a.po_line_id) if a.po_line_id else None,
                    a.field,
                    a.old_value,
                    a.new_value,
                    a.message_ref,
                )
                for a in amendments
            ],
        )


class FieldsRefused(ValueError):
    """The EDI fields are refused: the reason by field (``form`` when no one field is at fault)."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(problems.values()))
        self.problems = problems


LOCKED = (EdiSubmitStatus.SUBMITTING, EdiSubmitStatus.SUBMITTED)


def check_fields(fields: EdiFields) -> dict[str, str]:
    """The EDI fields refused at the form, by field: special bid or deal pricing needs both its
    type and its reference (the seed: "must be populated before submitting")."""
    kind = (fields.special_order_type or "").strip()
    reference = (fields.special_bid_reference or "").strip()
    if kind and kind not in SPECIAL_ORDER_TYPES:
        return {"special_order_type": f"One of {', '.join(SPECIAL_ORDER_TYPES)}, or none"}
    if len(reference) > 35:
        return {"special_bid_reference": "At most 35 characters"}
    if not _carried(reference):
        return {"special_bid_reference": "Letters, digits and punctuation of ISO 8859-1 only"}
    if kind and not reference:
        return {"special_bid_reference": f"{kind} pricing needs the Special Bid/Deal Reference"}
    if reference and not kind:
        return {"special_order_type": "A Special Bid/Deal Reference needs the Special Order Type"}
    return {}


def _carried(text: str) -> bool:
    """An ORDERS carries ``text`` as typed: printable, in its UNOC character set (ISO 8859-1)."""
    try:
        text.encode("iso-8859-1")
    except UnicodeEncodeError:
        return False
    return text.isprintable()


def apply_fields(s: Session, po: PurchaseOrder, fields: EdiFields) -> None:
    """Set the PO's EDI fields in the caller's transaction, each change audited."""
    changes = {
        "special_order_type": (fields.special_order_type or "").strip() or None,
        "special_bid_reference": (fields.special_bid_reference or "").strip() or None,
        "allow_partial_shipments": fields.allow_partial_shipments,
        "drop_ship": fields.drop_ship,
    }
    audit.edit(s, po, changes, record_kind="purchase_order", po_id=saved_id(po))


def save_fields(db: Database, po_id: int, fields: EdiFields) -> None:
    """Change an existing PO's EDI fields; refused (``FieldsRefused``) once it is Submitting or
    Submitted: the supplier has the order as it was sent."""
    problems = check_fields(fields)
    if problems:
        raise FieldsRefused(problems)
    with db.session() as s:
        po = s.get_one(PurchaseOrder, po_id)
        if po.edi_submit_status in LOCKED:
            raise FieldsRefused(
                {
                    "form": f"PO {po.number} is {po.edi_submit_status.lower()}: "
                    "its EDI fields can no longer change"
                }
            )
        apply_fields(s, po, fields)
        note_change(s, "purchase_order", [po_id])
