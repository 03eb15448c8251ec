"""Find records by part of their number or name: the command palette's jump list."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_
from sqlmodel import select

from posync_tui.db import Database
from posync_tui.models import PurchaseOrder, Vendor
from posync_tui.paging import contains_pattern


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
    pattern = contains_pattern(text)
    with db.reader() as s:
        pos = s.exec(
            select(PurchaseOrder.id, PurchaseOrder.number, PurchaseOrder.status, Vendor.name)
            .join(Vendor, Vendor.id == PurchaseOrder.vendor_id)
            .where(
                or_(
                    PurchaseOrder.number.ilike(pattern, escape="\\"),
                    PurchaseOrder.supplier_order_no.ilike(pattern, escape="\\"),
                )
            )
            .order_by(PurchaseOrder.number)
            .limit(limit)
        ).all()
        vendors = s.exec(
            select(Vendor.id, Vendor.code, Vendor.name)
            .where(
                or_(
                    Vendor.code.ilike(pattern, escape="\\"), Vendor.name.ilike(pattern, escape="\\")
                )
            )
            .order_by(Vendor.name)
            .limit(limit)
        ).all()
    found = [Found("vendor", v.id, f"{v.code}  {v.name}", "vendor") for v in vendors]
    found += [
        Found("purchase_order", p.id, p.number, f"purchase order · {p.name} · {p.status}")
        for p in pos
    ]
    return found
