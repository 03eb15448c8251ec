"""Purchase target lines and Settings, as a purchaser and an admin use them (Recurrency seed)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import select
from textual.widgets import DataTable, Input, Static

from connectors.sandbox.p21 import P21Sandbox
from connectors.sandbox.server import Sandbox
from posync_tui.models import PurchaseOrder, PurchaseOrderLine
from posync_tui.services import app_settings
from posync_tui.services.app_settings import LINK_BACKORDERS
from screens.confirm import Confirm
from screens.po_form import PurchaseOrderForm
from screens.purchase_targets import LinePOs
from tests.console import console_app, settled
from tests.p21_world import ADMIN, P21World


@pytest.fixture
def world(db):
    p21 = P21Sandbox()
    with Sandbox([p21]).serve() as server:
        yield P21World(db, p21, server)


async def open_targets(pilot):
    await settled(pilot)
    await pilot.press("T")
    await settled(pilot)
    body = pilot.app.screen.body
    body.focus_table()
    await settled(pilot)
    return body


def lines_of(db) -> list[tuple[str, Decimal]]:
    with db.reader() as s:
        return [
            (ln.description, ln.quantity_ordered)
            for ln in s.exec(select(PurchaseOrderLine).order_by(PurchaseOrderLine.line_no))
        ]


async def test_marked_target_lines_open_a_filled_in_new_po_to_edit_and_save(world):
    app = console_app(world.db, settings=world.rt.settings)
    async with app.run_test(size=(80, 24)) as pilot:
        body = await open_targets(pilot)
        assert body.table.row_count == 4
        await pilot.press("space", "space", "space")  # SO-1, SO-2/1, SO-2/2: each moves down
        await pilot.press("c")
        await settled(pilot)
        form = pilot.app.screen
        assert isinstance(form, PurchaseOrderForm)
        assert form.query_one("#vendor", Input).value == "ACME  Acme Supply"
        rows = [(r.picker.text, r.quantity.value) for r in form.lines]
        assert rows == [("BOLT-8  BOLT-8", "7"), ("NUT-8  NUT-8", "2")]  # summed per item
        form.lines[0].quantity.value = "10"  # editable before saving
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert not isinstance(pilot.app.screen, PurchaseOrderForm)
    with world.db.reader() as s:
        (po,) = s.exec(select(PurchaseOrder)).all()
    assert po.vendor_id == world.vendor_id
    assert lines_of(world.db) == [("BOLT-8", Decimal(10)), ("NUT-8", Decimal(2))]


async def test_enter_on_a_target_line_shows_the_pos_linked_to_it(world):
    world.link_backorders()
    await world.export(world.po("PO-A", ("BOLT-8", 5)))
    app = console_app(world.db, settings=world.rt.settings)
    async with app.run_test(size=(80, 24)) as pilot:
        body = await open_targets(pilot)
        assert body.table.cursor_row.data["order"] == "SO-2/1"  # SO-1 is covered
        await pilot.press("enter")
        await settled(pilot)
        assert isinstance(pilot.app.screen, LinePOs)
        table = pilot.app.screen.query_one(DataTable)
        assert [str(c) for c in table.get_row_at(0)] == ["PO-A", "1", "BOLT-8", "1"]


async def test_an_admin_turns_link_backorders_on_in_settings(world, monkeypatch):
    monkeypatch.setenv("LOGNAME", ADMIN)
    app = console_app(world.db, settings=world.rt.settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await pilot.press("comma")
        await settled(pilot)
        pilot.app.screen.body.focus_table()
        await pilot.press("space")
        await settled(pilot)
        assert isinstance(pilot.app.screen, Confirm)
        await pilot.press("y")
        await settled(pilot)
        history = pilot.app.screen.query_one("#history", DataTable)
        assert [str(c) for c in history.get_row_at(0)][1:] == [
            ADMIN,
            "Link Backorders to POs",
            "off → on",
        ]
    assert app_settings.setting_on(world.db, LINK_BACKORDERS) is True


async def test_anyone_else_sees_the_setting_read_only_with_the_reason(world, monkeypatch):
    monkeypatch.setenv("LOGNAME", "bob")
    app = console_app(world.db, settings=world.rt.settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await pilot.press("comma")
        await settled(pilot)
        who = str(pilot.app.screen.query_one("#who", Static).render())
        assert "Read-only: only an admin can change settings, and you (bob)" in who
        pilot.app.screen.body.focus_table()
        await pilot.press("space")
        await settled(pilot)
        assert not isinstance(pilot.app.screen, Confirm)
    assert app_settings.setting_on(world.db, LINK_BACKORDERS) is False


async def test_x_on_the_po_detail_exports_it_and_its_p21_tab_shows_the_linked_lines(world):
    world.link_backorders()
    po = world.po("PO-A", ("BOLT-8", 6))
    app = console_app(world.db, settings=world.rt.settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        pilot.app.open_purchase_order(po)
        await settled(pilot)
        await pilot.press("X")
        await settled(pilot)
        assert "Queued for export to Prophet 21" in str(
            pilot.app.screen.query_one("#hint").render()
        )
        await world.deliver()
        await settled(pilot)
        pane = pilot.app.screen.query_one("#p21")
        state = str(pane.query_one("#p21-state", Static).render())
        assert state.startswith("Exported to P21 · 2 backordered sales-order lines linked")
        table = pane.query_one("#p21-links", DataTable)
        assert [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)] == [
            ["1", "SO-1/1", "2026-10-01", "Cobalt Bikes", "BOLT-8", "4"],
            ["1", "SO-2/1", "2026-10-02", "Delta Marine", "BOLT-8", "2"],
        ]
