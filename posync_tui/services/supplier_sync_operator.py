"""What an operator does around supplier auto-sync, one transaction per action.

Turn auto-sync on for a vendor (and its open POs), get a new PO's defaults, edit a PO or line:
fields the supplier sync fills are read-only once the PO has synced; the others stay editable,
and every edit is kept in the audit log (source "operator").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from connectors.currencies import is_currency
from posync_tui import numbers
from posync_tui.audit import edit
from posync_tui.db import Database
from posync_tui.events import note_change
from posync_tui.models import (
    OPEN_PO_STATUSES,
    Integration,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    Vendor,
    saved_id,
    utcnow,
)
from posync_tui.money import po_total
from posync_tui.services.supplier_sync_apply import LINE_FIELDS, PO_FIELDS, q4

PO_EDITABLE = {
    "status",
    "order_date",
    "expected_date",
    "currency",
    "reference",
    "notes",
    "auto_sync",
    "supplier_order_no",
    "invoice_date",
    "supplier_invoice_no",
    "dispatch_date",
    "invoice_due_date",
}
LINE_EDITABLE = {
    "description",
    "quantity_ordered",
    "quantity_confirmed",
    "quantity_received",
    "unit_cost",
    "expected_date",
}


class FieldLocked(ValueError):
    """The operator tried to edit a field the supplier sync owns."""


# --- auto-sync and read-only fields -------------------------------------------------------


def synced(po: PurchaseOrder) -> bool:
    """Auto-synced at least once: the supplier now owns its supplier fields."""
    return bool(po.auto_sync and po.last_synced_at is not None)


def supplier_fields_locked(po: PurchaseOrder) -> set[str]:
    """The PO's fields that are read-only because the supplier sync fills them."""
    return set(PO_FIELDS) if synced(po) else set()


def supplier_line_fields_locked(po: PurchaseOrder) -> set[str]:
    """The fields of this PO's lines that are read-only because the supplier sync fills them."""
    return set(LINE_FIELDS) if synced(po) else set()


def out_of_sync(po: PurchaseOrder) -> bool:
    """The last-synced date is flagged: the supplier notified after the last successful sync,
    or a PO that never synced failed to. A PO nothing was asked of yet is not flagged."""
    if not po.auto_sync:
        return False
    if po.last_synced_at is None:
        return po.supplier_notified_at is not None or po.last_sync_error is not None
    return po.supplier_notified_at is not None and po.last_synced_at < po.supplier_notified_at


def inactive_reason(vendor_code: str) -> str:
    """Why a PO with auto-sync on does not sync: its vendor is no longer integrated."""
    return f"Auto-sync inactive: {vendor_code} is no longer an integrated supplier"


def edit_po(db: Database, po_id: int, **changes: Any) -> PurchaseOrder:
    """Change a PO's fields; a field the supplier sync owns is refused with FieldLocked."""
    with db.session() as s:
        po = get_record(s, PurchaseOrder, po_id, "PO")
        _refuse(changes, PO_EDITABLE, supplier_fields_locked(po), f"PO {po.number}")
        if "status" in changes:
            changes["status"] = POStatus(changes["status"])
        if "currency" in changes and not is_currency(changes["currency"]):
            raise ValueError(f"{changes['currency']!r} is not an ISO 4217 currency code")
        edit(s, po, changes, record_kind="purchase_order", po_id=po.id)
        po.updated_at = utcnow()
        note_change(s, "purchase_order", [po.id])
        return po


def edit_po_line(db: Database, line_id: int, **changes: Any) -> PurchaseOrderLine:
    """Change a PO line; a field the supplier sync owns is refused with FieldLocked."""
    with db.session() as s:
        line = get_record(s, PurchaseOrderLine, line_id, "PO line")
        po = s.get_one(PurchaseOrder, line.po_id)
        where = f"PO {po.number} line {line.line_no}"
        _refuse(changes, LINE_EDITABLE, supplier_line_fields_locked(po), where)
        for name in ("quantity_ordered", "quantity_confirmed", "quantity_received", "unit_cost"):
            if changes.get(name) is not None:
                places = numbers.COST_PLACES if name == "unit_cost" else numbers.QUANTITY_PLACES
                value = numbers.checked(
                    Decimal(str(changes[name])),
                    name.replace("_", " ").capitalize(),
                    places,
                    positive=name == "quantity_ordered" and not line.hidden,
                )
                changes[name] = q4(value)
        edit(s, line, changes, record_kind="purchase_order_line", po_id=saved_id(po))
        _recount(s, po)
        note_change(s, "purchase_order", [saved_id(po)])
        return line


def _refuse(changes: dict, editable: set[str], locked: set[str], where: str) -> None:
    unknown = set(changes) - editable - locked
    if unknown:
        raise ValueError(f"{', '.join(sorted(unknown))} cannot be edited on {where}")
    blocked = sorted(set(changes) & locked)
    if blocked:
        names = ", ".join(b.replace("_", " ") for b in blocked)
        raise FieldLocked(
            f"{names} on {where} {'is' if len(blocked) == 1 else 'are'} set by the supplier "
            f"sync and cannot be edited (turn auto-sync off on the PO to edit)"
        )


def _recount(s: Session, po: PurchaseOrder) -> None:
    s.flush()
    lines = s.scalars(
        select(PurchaseOrderLine).where(
            col(PurchaseOrderLine.po_id) == po.id, col(PurchaseOrderLine.hidden).is_(False)
        )
    ).all()
    po.total = po_total(((ln.quantity_ordered, ln.unit_cost) for ln in lines), po.currency)
    po.line_count = len(lines)
    po.updated_at = utcnow()


def get_record(s: Session, model, record_id: int, name: str):
    record = s.get(model, record_id)
    if record is None:
        raise LookupError(f"No {name} with id {record_id}")
    return record


# --- vendors and new POs -------------------------------------------------------------------


def count_open_pos(db: Database, vendor_id: int) -> int:
    """The vendor's open POs (open, partly received): what "auto-sync all" would cover."""
    with db.reader() as s:
        return s.execute(
            select(func.count())
            .select_from(PurchaseOrder)
            .where(
                col(PurchaseOrder.vendor_id) == vendor_id,
                col(PurchaseOrder.status).in_(OPEN_PO_STATUSES),
            )
        ).scalar_one()


def set_vendor_auto_sync(
    db: Database, vendor_id: int, on: bool, include_open_pos: bool = False
) -> list[int]:
    """Turn the vendor's auto-sync on or off; with ``include_open_pos`` its open POs too.

    Returns the open POs that changed. Only integrated (B2B) suppliers can auto-sync.
    """
    with db.session() as s:
        vendor = get_record(s, Vendor, vendor_id, "vendor")
        if on and vendor.integration != Integration.B2B:
            raise ValueError(f"{vendor.code} is not an integrated supplier: it cannot auto-sync")
        if on and not vendor.supplier_account:
            raise ValueError(f"{vendor.code} has no supplier account: set it before auto-sync")
        vendor.auto_sync = on
        note_change(s, "vendor", [vendor.id])
        if not include_open_pos:
            return []
        ids = list(
            s.execute(
                select(col(PurchaseOrder.id)).where(
                    col(PurchaseOrder.vendor_id) == vendor_id,
                    col(PurchaseOrder.status).in_(OPEN_PO_STATUSES),
                    col(PurchaseOrder.auto_sync).is_not(on),
                )
            ).scalars()
        )
        if ids:
            s.execute(
                update(PurchaseOrder)
                .where(col(PurchaseOrder.id).in_(ids))
                .values(auto_sync=on, updated_at=utcnow())
            )
            note_change(s, "purchase_order", ids)
        return ids


@dataclass(frozen=True)
class PODefaults:
    vendor_id: int
    number: str
    auto_sync: bool  # preselected from the vendor; the operator may uncheck it
    currency: str
    order_date: date
    status: POStatus = POStatus.DRAFT


def new_po_defaults(db: Database, vendor_id: int) -> PODefaults:
    with db.reader() as s:
        vendor = get_record(s, Vendor, vendor_id, "vendor")
        top = s.execute(select(func.max(PurchaseOrder.id))).scalar() or 0
        number = f"PO-{top + 1:07d}"
        while s.execute(
            select(col(PurchaseOrder.id)).where(col(PurchaseOrder.number) == number)
        ).first():
            top += 1
            number = f"PO-{top + 1:07d}"
        return PODefaults(
            vendor_id=vendor.id,
            number=number,
            auto_sync=bool(vendor.auto_sync),
            currency=vendor.currency,
            order_date=utcnow().date(),
        )
