"""Snapshots of the PO detail (80×24, demo data at a fixed time, UTC): synced, out of sync, and
its Accounting tab."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from posync_tui.demo_data import seed_demo
from posync_tui.models import ConnectorState, PurchaseOrder, Vendor
from tests.console import console_app, settled

pytestmark = pytest.mark.usefixtures("local_time_utc")

FIXED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SIZE = (80, 24)


def demo(db) -> None:
    seed_demo(db, now=FIXED)
    with db.session() as s:
        for name in ("supplier", "quickbooks"):
            s.add(
                ConnectorState(
                    name=name,
                    last_success_at=FIXED - timedelta(seconds=12),
                    last_attempt_at=FIXED,
                    next_run_at=FIXED + timedelta(seconds=30),
                )
            )


def auto_synced_po(db, *, stale: bool) -> int:
    """The first auto-synced PO whose last-synced date is (or is not) red."""
    with db.reader() as s:
        pos = s.exec(
            select(PurchaseOrder).where(PurchaseOrder.auto_sync).order_by(PurchaseOrder.id)
        )
        for po in pos:
            if (po.last_sync_error is not None) == stale:
                return po.id
    raise LookupError("the demo data has no such PO")


def opening(po_id: int):
    async def run_before(pilot) -> None:
        await settled(pilot)
        pilot.app.open_purchase_order(po_id)
        await settled(pilot)

    return run_before


def test_po_detail_synced(db, snap_compare):
    demo(db)
    po_id = auto_synced_po(db, stale=False)
    assert snap_compare(console_app(db), terminal_size=SIZE, run_before=opening(po_id))


def test_po_detail_out_of_sync(db, snap_compare):
    demo(db)
    po_id = auto_synced_po(db, stale=True)

    async def run_before(pilot) -> None:
        await opening(po_id)(pilot)
        await pilot.press("i")  # when the supplier last notified
        await settled(pilot)

    assert snap_compare(console_app(db), terminal_size=SIZE, run_before=run_before)


def test_po_detail_accounting_tab(db, snap_compare):
    """A billed-in-part PO of an unlinked vendor: two failing conditions, the reference whole
    and the 21 characters QuickBooks gets."""
    demo(db)
    with db.session() as s:
        po = s.exec(
            select(PurchaseOrder)
            .join(Vendor, Vendor.id == PurchaseOrder.vendor_id)
            .where(Vendor.qbo_vendor_id.is_(None), PurchaseOrder.invoice_date.is_(None))
            .order_by(PurchaseOrder.id)
        ).first()
        po.supplier_invoice_no = "INV-2026-000123-LONG"
        po_id = po.id

    async def run_before(pilot) -> None:
        pilot.app.animation_level = "none"
        await opening(po_id)(pilot)
        await pilot.press("t", "t", "t")  # Lines › Changes › Notices › Accounting
        await settled(pilot)

    assert snap_compare(console_app(db), terminal_size=SIZE, run_before=run_before)
