"""The syncing notifications screen, as an operator uses it (Ascend seed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select
from textual.widgets import Input

from posync_tui.models import (
    NotificationKind,
    PurchaseOrder,
    PurchaseOrderLine,
    SyncNotification,
    Vendor,
)
from posync_tui.services import supplier_sync
from screens.notifications import NotificationDetail
from screens.po_detail import PurchaseOrderDetail
from screens.product_form import ProductForm
from screens.shell import TitleBar
from tests.console import console_app, settled
from tests.supplier_world import lease, make_world

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def notes(db):
    """Three notifications for two vendors, their ids out of time order."""
    with db.session() as s:
        atlas, peak = Vendor(code="ATLAS", name="Atlas"), Vendor(code="PEAK", name="Peak")
        s.add_all([atlas, peak])
        s.flush()
        po = PurchaseOrder(number="PO-0000001", vendor_id=atlas.id)
        s.add(po)
        s.flush()
        for at, kind, vendor, message in [
            (T0, NotificationKind.LINE_CANCELLED, atlas, "ATLAS cancelled line 2 (chain)"),
            (T0 + timedelta(hours=1), NotificationKind.SYNC_ERROR, peak, "order SO-9 is bad"),
            (T0 - timedelta(hours=1), NotificationKind.MISSING_ITEM, atlas, "item AC-9 missing"),
        ]:
            s.add(
                SyncNotification(
                    created_at=at,
                    kind=kind,
                    vendor_id=vendor.id,
                    po_id=po.id if vendor is atlas else None,
                    message=message,
                )
            )


def shown(app) -> list[str]:
    table = app.screen.body.table
    return [table._row_at(i).data["message"] for i in range(table.row_count)]


def title(app) -> str:
    return str(app.screen.query_one(TitleBar).render())


async def open_notifications(pilot) -> None:
    await pilot.press("n")
    await settled(pilot)
    pilot.app.screen.body.focus_table()
    await pilot.pause()


async def test_all_notifications_are_shown_newest_first(db, notes):
    app = console_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_notifications(pilot)
        assert shown(app) == ["order SO-9 is bad", "ATLAS cancelled line 2 (chain)",
                              "item AC-9 missing"]  # fmt: skip
        await pilot.press("enter")  # the whole notification
        await settled(pilot)
        assert isinstance(app.screen, NotificationDetail)
        assert app.screen.info.message == "order SO-9 is bad"
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("down", "o")  # the next one is about a PO: open it
        await settled(pilot)
        assert isinstance(app.screen, PurchaseOrderDetail) and app.current_mode == "purchase_orders"
        with db.reader() as s:
            assert app.screen.po_id == s.exec(select(PurchaseOrder.id)).one()
        await pilot.press("escape")  # back where the operator came from
        await settled(pilot)
        assert app.current_mode == "notifications"
        assert shown(app)[1] == "ATLAS cancelled line 2 (chain)"


async def test_notifications_filter_by_vendor_po_and_kind(db, notes):
    app = console_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_notifications(pilot)
        await pilot.press("slash", *"peak", "enter")  # a vendor
        await settled(pilot)
        assert shown(app) == ["order SO-9 is bad"]

        filter_input = app.screen.query_one("Input.paged-filter", Input)
        filter_input.value = "PO-0000001"  # a PO
        await settled(pilot)
        assert shown(app) == ["ATLAS cancelled line 2 (chain)", "item AC-9 missing"]

        filter_input.value = ""
        await settled(pilot)
        app.screen.body.focus_table()
        await pilot.press("k")  # the first kind: missing items
        await settled(pilot)
        assert shown(app) == ["item AC-9 missing"]
        await pilot.press("k")  # the next kind: cancelled lines
        await settled(pilot)
        assert shown(app) == ["ATLAS cancelled line 2 (chain)"]
        await pilot.press("x")  # all again
        await settled(pilot)
        assert len(shown(app)) == 3


async def test_marking_reviewed_the_cursor_row_then_the_marked_rows_drops_the_count(db, notes):
    app = console_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_notifications(pilot)
        assert "⚑ 3 unreviewed" in title(app)

        await pilot.press("r")  # the cursor row: the newest
        await settled(pilot)
        assert "⚑ 2 unreviewed" in title(app)
        await pilot.press("u")  # unreviewed only
        await settled(pilot)
        assert "order SO-9 is bad" not in shown(app)

        await pilot.press("space", "space", "r")  # mark both, review them
        await settled(pilot)
        assert "unreviewed" not in title(app)
        assert shown(app) == [] and not app.screen.body.table.marks
        with db.reader() as s:
            assert all(n.reviewed for n in s.exec(select(SyncNotification)))


async def test_reviewing_marked_rows_leaves_those_the_filter_hides_and_asks_first(db, notes):
    app = console_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_notifications(pilot)
        await pilot.press("ctrl+a")  # all three
        await settled(pilot)
        await pilot.press("slash", *"atlas", "enter")
        await settled(pilot)
        table = app.screen.body.table
        assert "3 marked, 1 hidden by the filter" in str(table.frame.border_title)
        await pilot.press("r")
        await settled(pilot)
        assert app.screen.question == (
            "Review 2 marked notifications (1 more marked is hidden by the filter and will not "
            "be touched)?"
        )
        await pilot.press("y")
        await settled(pilot)
        assert "⚑ 1 unreviewed" in title(app)
        with db.reader() as s:
            left = s.exec(select(SyncNotification).where(SyncNotification.reviewed == False))  # noqa: E712
            assert [n.message for n in left] == ["order SO-9 is bad"]
            assert table.marks == {n.id for n in s.exec(select(SyncNotification))
                                   if not n.reviewed}  # fmt: skip


@pytest.fixture
def world(db):
    yield from make_world(db)


async def test_adding_the_missing_product_from_its_notification_completes_the_po_line(world):
    po_id, order_no = world.make_po()
    line_no = world.supplier.add_line(order_no, "AC-999", 2, "8", description="Gizmo")
    await supplier_sync.poll(world.rt, fence=lease(world.db))
    (note,) = world.notes(NotificationKind.MISSING_ITEM)
    app = console_app(world.db, sandbox=world.rt.sandbox, sandbox_server=world.rt.sandbox_server)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_notifications(pilot)
        assert "⚑ 1 unreviewed" in title(app)
        await pilot.press("plus")
        await settled(pilot)
        form = app.screen
        assert isinstance(form, ProductForm)
        values = form.values()  # prefilled from the supplier's data
        assert values["sku"] == "AC-999" and values["description"] == "Gizmo"
        assert values["supplier_part_no"] == "AC-999" and values["unit_cost"] == "8"

        form.query_one("#upc", Input).value = "12ab"
        form.query_one("#sku", Input).value = ""
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert app.screen is form  # refused at the fields
        assert form.query_one("#sku-error").message == "SKU is required"
        assert "8, 12, 13 or 14 digits" in form.query_one("#upc-error").message

        form.query_one("#upc", Input).value = ""
        form.query_one("#sku", Input).value = "W-1"  # a SKU posync already has
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert "already exists" in form.query_one("#sku-error").message

        form.query_one("#sku", Input).value = "GZ-1"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settled(pilot)

        assert not isinstance(app.screen, ProductForm)
        line = world.lines(po_id)[line_no]
        assert not line.missing_item and line.item_id is not None
        with world.db.reader() as s:
            assert s.get(SyncNotification, note.id).resolved
            assert (
                s.exec(select(PurchaseOrderLine).where(PurchaseOrderLine.missing_item)).all() == []
            )
        assert "unreviewed" not in title(app)
        assert supplier_sync.missing_item_count(world.db, po_id) == 0


async def test_bad_partner_data_is_reprocessed_from_its_notification_after_the_fix(world):
    po_id, order_no = world.make_po()
    await supplier_sync.poll(world.rt, fence=lease(world.db))
    world.supplier.break_order(order_no, "[" * 50_000)
    await supplier_sync.poll(world.rt, fence=lease(world.db))
    (note,) = world.notes(NotificationKind.BAD_DATA)
    app = console_app(world.db, sandbox=world.rt.sandbox, sandbox_server=world.rt.sandbox_server)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_notifications(pilot)
        assert shown(app)[0] == note.message
        await pilot.press("t")  # not fixed yet: still bad, and it says so
        await settled(pilot)
        with world.db.reader() as s:
            assert not s.get(SyncNotification, note.id).resolved

        world.supplier.repair_order(order_no)
        world.supplier.change_line(order_no, 1, quantity_confirmed=6)
        await pilot.press("t")
        await settled(pilot)
        with world.db.reader() as s:
            assert s.get(SyncNotification, note.id).resolved
        assert world.lines(po_id)[1].quantity_confirmed == 6
        assert not supplier_sync.out_of_sync(world.po(po_id))
