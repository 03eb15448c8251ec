"""Supplier changes applied per second, with audit entries and notifications (issue 11).

Measures the apply path of supplier auto-sync on SQLite: supplier orders already fetched (the
HTTP side is the partner's speed, not ours) are applied to POs page by page, as ``poll`` does,
with the cursor stored in the same transaction. Each change confirms quantities and changes a
cost on an auto-synced PO (one audit entry per field); some cancel a line, some add a line whose
item nobody knows (a syncing notification each).

The baseline, in the same run on an identical database: the obvious per-row ORM code, one
transaction per change, loading ORM objects and adding an AuditEntry object per field. Both
paths must write the same number of audit entries and notifications for the same changes.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, insert, select

from connectors.supplier import SupplierLine, SupplierOrder
from posync_tui import leases
from posync_tui.db import Database
from posync_tui.events import note_change
from posync_tui.models import (
    AuditEntry,
    Integration,
    Item,
    NotificationKind,
    PurchaseOrder,
    PurchaseOrderLine,
    SyncNotification,
    Vendor,
)
from posync_tui.services.supplier_sync import PAGE_SIZE as PAGE
from posync_tui.services.supplier_sync import apply_page
from posync_tui.services.supplier_sync_apply import LINE_FIELDS, CatalogAnswers, OrderWork, q4

ACCOUNT = "ACC-BENCH"
LINES = 5

TARGET_RATE = 5000
TARGET_RATIO = 10


def run(quick: bool = False) -> list[str]:
    changes = 5_000 if quick else 20_000
    baseline_changes = 1_000 if quick else 2_000
    with tempfile.TemporaryDirectory() as tmp:
        fast_db = _database(Path(tmp) / "fast.db", changes)
        slow_db = _database(Path(tmp) / "orm.db", changes)
        works = _workload(changes)
        fence = leases.acquire(fast_db, "supplier", "bench", ttl=3600).fence()

        # The baseline's changes are the first pages of the fast run: both must write alike.
        # The first page (and the first baseline change) warm up statement caches, untimed:
        # a poller that runs all day has them warm.
        elapsed = 0.0
        for start in range(0, changes, PAGE):
            page = works[start : start + PAGE]
            started = time.perf_counter()
            apply_page(fast_db, page, CatalogAnswers(), str(start + len(page)), fence=fence)
            if start:
                elapsed += time.perf_counter() - started
            if start + PAGE == baseline_changes:
                fast_written = _written(fast_db)
        rate = (changes - PAGE) / elapsed

        _apply_per_row_orm(slow_db, works[0])
        started = time.perf_counter()
        for work in works[1:baseline_changes]:
            _apply_per_row_orm(slow_db, work)
        orm_rate = (baseline_changes - 1) / (time.perf_counter() - started)
        orm_written = _written(slow_db)
        fast_db.dispose()
        slow_db.dispose()
    if fast_written != orm_written:
        raise AssertionError(f"the two paths wrote differently: {fast_written} vs {orm_written}")
    ratio = rate / orm_rate
    lines = [
        f"BENCH supplier_changes_per_s {rate:.0f} changes/s target >= {TARGET_RATE} "
        f"{'PASS' if rate >= TARGET_RATE else 'FAIL'}",
        f"BENCH supplier_apply_vs_orm {ratio:.1f} ratio target >= {TARGET_RATIO} "
        f"{'PASS' if ratio >= TARGET_RATIO else 'FAIL'}",
    ]
    return lines


def add_vendor(s) -> Vendor:
    """The benches' integrated supplier, with auto-sync on."""
    vendor = Vendor(
        code="BENCH",
        name="Bench Supply",
        integration=Integration.B2B,
        supplier_account=ACCOUNT,
        auto_sync=True,
    )
    s.add(vendor)
    s.flush()
    return vendor


def _database(path: Path, changes: int) -> Database:
    """A vendor with auto-sync and one acknowledged PO of five lines per change."""
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    now = datetime.now(UTC)
    with db.session() as s:
        vendor = add_vendor(s)
        items = [
            Item(
                sku=f"B-{n}",
                description=f"Part {n}",
                supplier_part_no=f"BP-{n}",
                vendor_id=vendor.id,
                unit_cost=Decimal(n % 50 + 1),
            )
            for n in range(LINES)
        ]
        s.add_all(items)
        s.flush()
        s.execute(
            insert(PurchaseOrder.__table__),
            [
                {
                    "id": n + 1,
                    "number": f"PO-{n + 1:07d}",
                    "vendor_id": vendor.id,
                    "auto_sync": True,
                    "supplier_order_no": f"SO-{n + 1}",
                    "line_count": LINES,
                    "total": Decimal(10 * LINES),
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(changes)
            ],
        )
        s.execute(
            insert(PurchaseOrderLine.__table__),
            [
                {
                    "po_id": n + 1,
                    "line_no": k + 1,
                    "item_id": items[k].id,
                    "supplier_part_no": f"BP-{k}",
                    "description": f"Part {k}",
                    "quantity_ordered": Decimal(10),
                    "unit_cost": Decimal(1),
                }
                for n in range(changes)
                for k in range(LINES)
            ],
        )
    return db


def _workload(changes: int) -> list[OrderWork]:
    base = datetime.now(UTC) - timedelta(hours=1)
    works = []
    for n in range(changes):
        lines = []
        for k in range(LINES):
            cancelled = n % 20 == 0 and k == LINES - 1
            lines.append(
                SupplierLine(
                    line_no=k + 1,
                    supplier_part_no=f"BP-{k}",
                    upc=None,
                    description=f"Part {k}",
                    quantity_ordered=Decimal(10),
                    quantity_confirmed=Decimal(8 + k % 3) if k < 2 else None,
                    unit_cost=Decimal("1.25") if k == 0 else Decimal(1),
                    expected_date=None,
                    status="cancelled" if cancelled else "active",
                )
            )
        if n % 50 == 0:
            lines.append(
                SupplierLine(
                    LINES + 1,
                    f"NEW-{n}",
                    None,
                    "Unknown part",
                    Decimal(1),
                    None,
                    Decimal(3),
                    None,
                    "active",
                )
            )
        order = SupplierOrder(f"SO-{n + 1}", ACCOUNT, f"PO-{n + 1:07d}", "USD", None, tuple(lines))
        works.append(OrderWork(order.order_no, ACCOUNT, base + timedelta(seconds=n), order))
    return works


def _written(db: Database) -> tuple[int, int]:
    with db.reader() as s:
        audits = s.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
        notes = s.execute(select(func.count()).select_from(SyncNotification)).scalar_one()
    return audits, notes


def _apply_per_row_orm(db: Database, work: OrderWork) -> None:
    """The same rules for this workload, written the obvious way: ORM objects, row by row."""
    order, now = work.order, datetime.now(UTC)
    with db.session() as s:
        vendor = s.scalars(select(Vendor).where(Vendor.supplier_account == ACCOUNT)).first()
        po = s.scalars(
            select(PurchaseOrder).where(
                PurchaseOrder.vendor_id == vendor.id,
                PurchaseOrder.supplier_order_no == order.order_no,
            )
        ).first()
        po.supplier_notified_at = work.notified_at
        lines = {
            ln.line_no: ln
            for ln in s.scalars(select(PurchaseOrderLine).where(PurchaseOrderLine.po_id == po.id))
        }

        def audit(record_id: int, name: str, old, new) -> None:
            s.add(
                AuditEntry(
                    at=now,
                    record_kind="purchase_order_line",
                    record_id=record_id,
                    po_id=po.id,
                    field=name,
                    old_value=None if old is None else str(old),
                    new_value=None if new is None else str(new),
                    source="supplier-sync",
                )
            )

        for sl in order.lines:
            line = lines.get(sl.line_no)
            if line is None:
                item = s.scalars(select(Item).where(Item.supplier_part_no == sl.supplier_part_no))
                item = item.first()
                line = PurchaseOrderLine(
                    po_id=po.id,
                    line_no=sl.line_no,
                    item_id=item.id if item else None,
                    supplier_part_no=sl.supplier_part_no,
                    description=sl.description,
                    quantity_ordered=sl.quantity_ordered,
                    unit_cost=sl.unit_cost,
                    missing_item=item is None,
                )
                s.add(line)
                s.flush()
                lines[sl.line_no] = line
                audit(line.id, "line", None, sl.supplier_part_no)
                if item is None:
                    s.add(
                        SyncNotification(
                            kind=NotificationKind.MISSING_ITEM,
                            po_id=po.id,
                            vendor_id=vendor.id,
                            po_line_id=line.id,
                            message=f"missing {sl.supplier_part_no}",
                        )
                    )
            elif sl.cancelled:
                if not line.hidden:
                    audit(line.id, "hidden", False, True)
                    line.hidden = True
                    s.add(
                        SyncNotification(
                            kind=NotificationKind.LINE_CANCELLED,
                            po_id=po.id,
                            vendor_id=vendor.id,
                            po_line_id=line.id,
                            message=f"cancelled {sl.supplier_part_no}",
                        )
                    )
            else:
                for name in LINE_FIELDS:
                    new = getattr(sl, name)
                    if new is not None and q4(new) != getattr(line, name):
                        audit(line.id, name, getattr(line, name), new)
                        setattr(line, name, q4(new))
        visible = [ln for ln in lines.values() if not ln.hidden]
        po.total = sum((ln.quantity_ordered * ln.unit_cost for ln in visible), Decimal(0))
        po.line_count = len(visible)
        po.last_synced_at = now
        note_change(s, "purchase_order", [po.id])


if __name__ == "__main__":
    import sys

    print("\n".join(run(quick="--quick" in sys.argv)))
