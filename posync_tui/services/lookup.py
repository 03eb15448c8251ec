"""Find records by part of their number or name: the command palette's jump list."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select

from posync_tui.db import Database
from posync_tui.models import PurchaseOrder, Vendor
from posync_tui.paging import contains

# The Core tables' ids: read back, an id is set; the models type it ``int | None`` (unsaved).
PO_ID, VENDOR_ID = PurchaseOrder.__table__.c.id, Vendor.__table__.c.id


@dataclass(frozen=True)
class Found:
    kind: str  # "purchase_order" or "vendor"
    id: int
    label: str
    detail: str


def find(db: Database, text: str, limit: int = 15) -> list[Found]:
    text = text.strip()
    if not text:
        return []
    with db.reader() as s:
        pos = s.exec(
            select(PO_ID, PurchaseOrder.number, PurchaseOrder.status, Vendor.name)
            .join(Vendor, col(Vendor.id) == col(PurchaseOrder.vendor_id))
            .where(contains(text, col(PurchaseOrder.number), col(PurchaseOrder.supplier_order_no)))
            .order_by(col(PurchaseOrder.number))
            .limit(limit)
        ).all()
        vendors = s.exec(
            select(VENDOR_ID, Vendor.code, Vendor.name)
            .where(contains(text, col(Vendor.code), col(Vendor.name)))
            .order_by(col(Vendor.name))
            .limit(limit)
        ).all()
    found = [Found("vendor", id_, f"{code}  {name}", "vendor") for id_, code, name in vendors]
    found += [
        Found("purchase_order", id_, number, f"purchase order · {vendor} · {status}")
        for id_, number, status, vendor in pos
    ]
    return found
