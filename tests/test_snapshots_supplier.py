"""Snapshots at 80×24 of the vendors screen, the Edit Vendor form and the syncing notifications.

Fixed data: the demo data set for a fixed clock, its connectors healthy, one PO whose last sync
failed, and five syncing notifications with fixed times (two of them already reviewed).
Local time is UTC so times do not move.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from posync_tui.demo_data import seed_demo
from posync_tui.models import (
    ConnectorState,
    NotificationKind,
    PurchaseOrder,
    SyncNotification,
    Vendor,
)
from tests.console import console_app, settled

pytestmark = pytest.mark.usefixtures("local_time_utc")

FIXED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SIZE = (80, 24)


NOTES = [
    # minutes before FIXED, kind, vendor, PO, message, reviewed
    (4, NotificationKind.MISSING_ITEM, "ATLAS", "PO-0000003",
     "PO PO-0000003 line 4: ATLAS item ATLAS-999 (Carbon seatpost 31.6) is not in posync or "
     "the cloud catalog; add it to complete the line", False),
    (9, NotificationKind.LINE_CANCELLED, "CASC", "PO-0000012",
     "CASC cancelled line 2 (CASC-0031 Brake pads (pair) v2, 12 ordered) on PO PO-0000012: "
     "hidden on the PO", False),
    (35, NotificationKind.SYNC_ERROR, "NWIND", None,
     "Supplier order SO-NWIND-77 names PO PO-99999, which is not in posync for vendor NWIND; "
     "nothing was changed", False),
    (80, NotificationKind.ITEM_ADDED, "ATLAS", "PO-0000003",
     "Added CAT-1234 (Valve stem 48mm) from the cloud catalog for PO PO-0000003 line 3", True),
    (1500, NotificationKind.LINE_CANCELLED, "ATLAS", "PO-0000001",
     "ATLAS cancelled line 1 (ATLAS-0010 Chain 11-speed v1, 5 ordered) on PO PO-0000001: "
     "hidden on the PO", True),
]  # fmt: skip


# The supplier's data a missing-item notification keeps (prefills the product form).
MISSING = json.dumps(
    {"supplier_part_no": "ATLAS-999", "upc": "012345678905", "description": "Carbon seatpost 31.6",
     "unit_cost": "42.5", "line_no": 4}
)  # fmt: skip


@pytest.fixture
def app(db):
    seed_demo(db, now=FIXED)
    with db.session() as s:
        vendors = {v.code: v.id for v in s.exec(select(Vendor))}
        pos = {p.number: p.id for p in s.exec(select(PurchaseOrder))}
        for minutes, kind, vendor, po, message, reviewed in NOTES:
            s.add(
                SyncNotification(
                    created_at=FIXED - timedelta(minutes=minutes),
                    kind=kind,
                    vendor_id=vendors[vendor],
                    po_id=pos[po] if po else None,
                    message=message,
                    reviewed=reviewed,
                    payload=MISSING if kind == NotificationKind.MISSING_ITEM else None,
                )
            )
        for name in ("supplier", "quickbooks"):
            s.add(
                ConnectorState(
                    name=name,
                    last_success_at=FIXED - timedelta(seconds=12),
                    last_attempt_at=FIXED,
                    next_run_at=FIXED + timedelta(seconds=30),
                )
            )
    return console_app(db)


def area(key: str, *presses: str):
    async def run_before(pilot) -> None:
        await settled(pilot)
        await pilot.press(key)
        await settled(pilot)
        pilot.app.screen.body.focus_table()
        await pilot.press(*presses)
        await settled(pilot)

    return run_before


def test_vendors_screen(app, snap_compare):
    assert snap_compare(app, terminal_size=SIZE, run_before=area("v"))


def test_edit_vendor_form_of_an_integrated_supplier(app, snap_compare):
    # PEAK: B2B, auto-sync off; the cursor's 9th vendor by code.
    moves = ["down"] * 8 + ["enter"]
    assert snap_compare(app, terminal_size=SIZE, run_before=area("v", *moves))


def test_notifications_screen_newest_first(app, snap_compare):
    assert snap_compare(app, terminal_size=SIZE, run_before=area("n"))


def test_notifications_screen_a_marked_row_and_one_reviewed(app, snap_compare):
    assert snap_compare(app, terminal_size=SIZE, run_before=area("n", "r", "space"))


def test_add_the_missing_product_form_prefilled_from_the_supplier(app, snap_compare):
    assert snap_compare(app, terminal_size=SIZE, run_before=area("n", "plus"))


def test_po_list_without_colour_marks_the_po_out_of_sync(db, monkeypatch, snap_compare):
    # NO_COLOR: the stale last-synced date reads by its mark (✖), not by its red; a PO whose
    # first sync failed says "never synced"; a new draft with auto-sync is not flagged.
    monkeypatch.setenv("NO_COLOR", "1")
    app = _app_with_sync_states(db)
    assert snap_compare(app, terminal_size=SIZE, run_before=settled)


def _app_with_sync_states(db):
    seed_demo(db, now=FIXED)
    with db.session() as s:
        first, second, third = (
            s.exec(select(PurchaseOrder).where(PurchaseOrder.number == f"PO-000000{n}")).one()
            for n in (1, 2, 3)
        )
        for po in (first, second, third):
            s.get(Vendor, po.vendor_id).integration = "b2b"
            po.auto_sync = True
        first.last_synced_at = FIXED - timedelta(hours=2)
        first.supplier_notified_at = FIXED - timedelta(minutes=5)
        second.last_synced_at = second.supplier_notified_at = None
        second.last_sync_error = "The supplier does not know this PO"
        third.status = "draft"
        third.last_synced_at = third.supplier_notified_at = third.last_sync_error = None
    return console_app(db)
