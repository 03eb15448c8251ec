"""Snapshots of EDI (80×24, demo data at a fixed time, UTC): the EDI documents area, and a PO
whose supplier answered with mixed line statuses (its EDI tab)."""

from __future__ import annotations

import pytest
from sqlmodel import select
from textual.widgets import TabbedContent

from posync_tui.models import PoAmendment
from tests.console import console_app, settled
from tests.test_snapshots_po_detail import SIZE, demo

pytestmark = pytest.mark.usefixtures("local_time_utc")


def test_edi_documents(db, snap_compare):
    demo(db)

    async def run_before(pilot) -> None:
        await settled(pilot)
        await pilot.press("d")
        await settled(pilot)
        # The cursor on the newest, the malformed one: its error and segment below the table.

    assert snap_compare(console_app(db), terminal_size=SIZE, run_before=run_before)


def test_po_with_mixed_line_statuses(db, snap_compare):
    demo(db)
    with db.reader() as s:
        po_id = s.exec(select(PoAmendment.po_id)).first()

    async def run_before(pilot) -> None:
        await settled(pilot)
        pilot.app.open_purchase_order(po_id)
        await settled(pilot)
        pilot.app.screen.query_one(TabbedContent).active = "edi-tab"
        await settled(pilot)

    assert snap_compare(console_app(db), terminal_size=SIZE, run_before=run_before)
