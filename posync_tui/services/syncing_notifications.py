"""Syncing notifications: count and review them; add a missing product from one.

When a supplier's item is in neither posync nor the cloud catalog, the PO line is kept as a
missing item and a notification keeps the supplier's data; the operator adds the product from
it (the form prefilled) and every PO line waiting for that part is completed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from posync_tui.audit import edit
from posync_tui.db import Database, changed_rows
from posync_tui.events import note_change
from posync_tui.models import (
    Item,
    NotificationKind,
    PurchaseOrderLine,
    SyncNotification,
    saved_id,
    utcnow,
)
from posync_tui.services.supplier_sync_apply import q4
from posync_tui.services.supplier_sync_operator import get_record


def unreviewed_count(db: Database) -> int:
    with db.reader() as s:
        return s.execute(
            select(func.count())
            .select_from(SyncNotification)
            .where(col(SyncNotification.reviewed).is_(False))
        ).scalar_one()


def mark_reviewed(db: Database, notification_ids: Iterable[int]) -> int:
    ids = list(notification_ids)
    if not ids:
        return 0
    with db.session() as s:
        done = changed_rows(
            s,
            update(SyncNotification)
            .where(col(SyncNotification.id).in_(ids), col(SyncNotification.reviewed).is_(False))
            .values(reviewed=True, reviewed_at=utcnow()),
        )
        note_change(s, "notification", ids)
        return done


def missing_item_count(db: Database, po_id: int) -> int:
    """Visible lines of the PO whose item is missing: "some items may be missing" if > 0."""
    with db.reader() as s:
        return s.execute(
            select(func.count())
            .select_from(PurchaseOrderLine)
            .where(
                col(PurchaseOrderLine.po_id) == po_id,
                col(PurchaseOrderLine.missing_item).is_(True),
                col(PurchaseOrderLine.hidden).is_(False),
            )
        ).scalar_one()


def missing_item_prefill(db: Database, notification_id: int) -> dict[str, Any]:
    """The new-product form's values, from the supplier data the notification kept."""
    with db.reader() as s:
        note = _missing_note(s, notification_id)
        data = json.loads(note.payload or "{}")
    part = data.get("supplier_part_no")
    return {
        "sku": part or data.get("upc") or "",
        "description": data.get("description") or "",
        "upc": data.get("upc"),
        "supplier_part_no": part,
        "mpn": None,
        "unit_cost": Decimal(data["unit_cost"]) if data.get("unit_cost") else Decimal(0),
        "vendor_id": data.get("vendor_id"),
    }


def resolve_missing_item(db: Database, notification_id: int, **item_fields: Any) -> Item:
    """Add the missing product and complete every PO line waiting for it.

    ``item_fields``: sku and description (required), upc, supplier_part_no, mpn, unit_cost,
    vendor_id. The notification (and any other one for the same part) is marked resolved and
    reviewed.
    """
    allowed = {"sku", "description", "upc", "supplier_part_no", "mpn", "unit_cost", "vendor_id"}
    unknown = set(item_fields) - allowed
    if unknown:
        raise ValueError(f"unknown product fields: {', '.join(sorted(unknown))}")
    sku = (item_fields.get("sku") or "").strip()
    description = (item_fields.get("description") or "").strip()
    if not sku or not description:
        raise ValueError("a product needs a SKU and a description")
    with db.session() as s:
        note = _missing_note(s, notification_id)
        if note.resolved:
            raise ValueError("this missing item was already added")
        if s.scalars(select(col(Item.id)).where(col(Item.sku) == sku)).first():
            raise ValueError(f"a product with SKU {sku} already exists")
        cost = Decimal(str(item_fields.get("unit_cost") or 0))
        if not cost.is_finite() or cost < 0:
            raise ValueError("unit cost must be a number ≥ 0")
        item = Item(
            **{**item_fields, "sku": sku, "description": description, "unit_cost": q4(cost)}
        )
        s.add(item)
        s.flush()
        line = s.get(PurchaseOrderLine, note.po_line_id) if note.po_line_id else None
        waiting = [line] if line is not None and line.item_id is None else []
        part = item.supplier_part_no or (line.supplier_part_no if line else None)
        if part:
            waiting += [
                ln
                for ln in s.scalars(
                    select(PurchaseOrderLine).where(
                        col(PurchaseOrderLine.missing_item).is_(True),
                        col(PurchaseOrderLine.supplier_part_no) == part,
                    )
                )
                if ln not in waiting
            ]
        for ln in waiting:
            edit(s, ln, {"item_id": item.id}, record_kind="purchase_order_line", po_id=ln.po_id)
            ln.missing_item = False
        line_ids = [ln.id for ln in waiting]
        s.execute(
            update(SyncNotification)
            .where(
                (col(SyncNotification.id) == note.id)
                | (
                    col(SyncNotification.po_line_id).in_(line_ids)
                    & (col(SyncNotification.kind) == NotificationKind.MISSING_ITEM.value)
                )
            )
            .values(resolved=True, reviewed=True, reviewed_at=utcnow())
        )
        note_change(s, "item", [saved_id(item)])
        note_change(s, "purchase_order", sorted({ln.po_id for ln in waiting}))
        note_change(s, "notification")
        return item


def _missing_note(s: Session, notification_id: int) -> SyncNotification:
    note = get_record(s, SyncNotification, notification_id, "syncing notification")
    if note.kind != NotificationKind.MISSING_ITEM:
        raise ValueError("this notification is not about a missing item")
    return note
