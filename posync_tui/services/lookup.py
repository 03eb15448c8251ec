"""Find records by part of their number or name: the command palette's jump list."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_
from sqlmodel import col, select

from posync_tui.db import Database
from posync_tui.models import PurchaseOrder, Vendor
from posync_tui.paging import contains_pattern, holds_nul

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
    if not text or holds_nul(text):
        return []
    pattern = contains_pattern(text)
    with db.reader() as s:
        pos = s.exec(
            select(PO_ID, PurchaseOrder.number, PurchaseOrder.status, Vendor.name)
            .join(Vendor, col(Vendor.id) == col(PurchaseOrder.vendor_id))
            .where(
                or_(
                    col(PurchaseOrder.number).ilike(pattern, escape="\\"),
                    col(PurchaseOrder.supplier_order_no).ilike(pattern, escape="\\"),
                )
            )
            .order_by(col(PurchaseOrder.number))
            .limit(limit)
        ).all()
        vendors = s.exec(
            select(VENDOR_ID, Vendor.code, Vendor.name)
            .where(
                or_(
                    col(Vendor.code).ilike(pattern, escape="\\"),
                    col(Vendor.name).ilike(pattern, escape="\\"),
                )
            )
            .order_by(col(Vendor.name))
            .limit(limit)
        ).all()
    found = [Found("vendor", id_, f"{code}  {name}", "vendor") for id_, code, name in vendors]
    found += [
        Found("purchase_order", id_, number, f"purchase order · {vendor} · {status}")
        for id_, number, status, vendor in pos
    ]
    return found
