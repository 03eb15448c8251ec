"""The PO detail as an operator meets it, against the simulated supplier (Ascend seed)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import select
from textual.widgets import DataTable, Input, OptionList, Static, TabbedContent

from connectors.base import ConnectorError
from posync_tui.models import AuditEntry, Customer, SalesOrder, SalesOrderLine
from posync_tui.services.po_detail import load_po_detail
from posync_tui.services.supplier_sync import poll
from screens.po_actions import SpecialOrderPicker
from screens.po_detail import PurchaseOrderDetail
from screens.po_widgets import EditBar, FieldGrid
from screens.purchase_orders import OUT_OF_SYNC_STYLE
from tests.console import console_app, screen_lines, settled
from tests.supplier_world import lease, make_world


@pytest.fixture
def world(db):
    yield from make_world(db)


def console(world):
    rt = world.rt
    return console_app(
        world.db, settings=rt.settings, sandbox=rt.sandbox, sandbox_server=rt.sandbox_server
    )


async def open_po(pilot, po_id: int) -> PurchaseOrderDetail:
    await settled(pilot)
    pilot.app.open_purchase_order(po_id)
    await settled(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, PurchaseOrderDetail) and screen.detail is not None
    return screen


def text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def lines_shown(screen) -> list[str]:
    table = screen.query_one("#lines", DataTable)
    return [str(table.get_row_at(i)[0]).strip() for i in range(table.row_count)]


async def cell(pilot, screen, row: int, column: str) -> None:
    """Put the cursor on a line's cell, as the arrow keys would."""
    table = screen.query_one("#lines", DataTable)
    table.focus()
    table.cursor_coordinate = (row, table.get_column_index(column))
    await pilot.pause()


async def header_field(pilot, screen, key: str) -> None:
    grid = screen.query_one(FieldGrid)
    grid.focus()
    grid.move_to(key)
    await pilot.pause()


def last_synced_is_red(screen) -> bool:
    value = screen.query_one(FieldGrid).value_of("last_synced")
    return any(str(span.style) == OUT_OF_SYNC_STYLE for span in value.spans)


async def test_refresh_fetches_the_supplier_order_and_updates_the_last_synced_date(world):
    po_id, order_no = world.make_po()
    await poll(world.rt, fence=lease(world.db))
    before = world.po(po_id).last_synced_at
    world.supplier.change_line(order_no, 1, quantity_confirmed=11)  # not polled yet

    async with console(world).run_test(size=(80, 24)) as pilot:
        screen = await open_po(pilot, po_id)
        assert "11" not in str(screen.query_one("#lines", DataTable).get_row_at(0)[4])
        await pilot.press("r")
        await settled(pilot)

        assert screen.detail.last_synced_at > before
        assert "Matches the supplier's order; last synced" in text(screen, "#hint")
        assert str(screen.query_one("#lines", DataTable).get_row_at(0)[4]).strip() == "11"
        assert not last_synced_is_red(screen)


async def test_a_failing_supplier_shows_the_failure_and_the_date_turns_red(world):
    po_id, order_no = world.make_po()
    await poll(world.rt, fence=lease(world.db))
    world.supplier.change_line(order_no, 1, quantity_confirmed=10)
    world.supplier.fail_next_fetch(1)  # the supplier notified, but its order cannot be read
    with pytest.raises(ConnectorError):
        await poll(world.rt, fence=lease(world.db), attempts=1)

    async with console(world).run_test(size=(80, 24)) as pilot:
        screen = await open_po(pilot, po_id)
        assert last_synced_is_red(screen)
        assert "Last sync failed" in text(screen, "#banner")
        await pilot.press("i")  # the seed's hover: when the supplier last notified
        assert "Supplier last notified: " in text(screen, "#hint")

        world.supplier.faults.fail_next(4, status=503)
        await pilot.press("r")
        await settled(pilot)
        assert "Refresh of PO-0000001 failed: The supplier failed with HTTP 503" in text(
            screen, "#hint"
        )
        assert last_synced_is_red(screen)

        world.supplier.faults.clear()
        await pilot.press("r")
        await settled(pilot)
        assert not last_synced_is_red(screen)
        assert "Last sync failed" not in text(screen, "#banner")


async def test_fields_filled_by_the_supplier_sync_refuse_edits_and_say_why(world):
    po_id, _ = world.make_po()
    await poll(world.rt, fence=lease(world.db))

    async with console(world).run_test(size=(80, 24)) as pilot:
        screen = await open_po(pilot, po_id)
        await cell(pilot, screen, 0, "confirmed")
        await pilot.press("enter")
        await settled(pilot)
        assert "Confirmed is filled by supplier sync" in text(screen, "#hint")
        assert not screen.query_one(EditBar).is_open

        await header_field(pilot, screen, "supplier_order_no")
        await pilot.press("enter")
        await settled(pilot)
        assert "Supplier order is filled by supplier sync" in text(screen, "#hint")
        assert not screen.query_one(EditBar).is_open
    with world.db.reader() as s:
        assert s.exec(select(AuditEntry).where(AuditEntry.source == "operator")).all() == []


async def test_a_field_the_sync_does_not_touch_is_edited_in_place_and_audited(world):
    po_id, _ = world.make_po()
    await poll(world.rt, fence=lease(world.db))

    async with console(world).run_test(size=(80, 24)) as pilot:
        screen = await open_po(pilot, po_id)
        await header_field(pilot, screen, "reference")
        await pilot.press("enter")
        assert screen.query_one(EditBar).is_open
        await pilot.press(*"REQ-7", "enter")
        await settled(pilot)
        assert not screen.query_one(EditBar).is_open
        assert str(screen.query_one(FieldGrid).value_of("reference")) == "REQ-7"

        await pilot.press("t")  # the Changes tab: what changed, from what, when, by whom
        await settled(pilot)
        assert screen.query_one(TabbedContent).active == "audit-tab"
        audit = screen.query_one("#audit", DataTable)
        newest = [str(c) for c in audit.get_row_at(0)]
        assert newest[1:] == ["reference", "—", "REQ-7", "operator"]
        assert any(
            str(c) == "supplier-sync" for i in range(audit.row_count) for c in audit.get_row_at(i)
        )

    assert world.po(po_id).reference == "REQ-7"
    with world.db.reader() as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.field == "reference")).one()
    assert (entry.old_value, entry.new_value, entry.source) == (None, "REQ-7", "operator")


async def test_a_bad_value_is_refused_at_the_field_and_nothing_is_saved(world):
    po_id, _ = world.make_po(sent=False)  # never synced: quantities are the operator's

    async with console(world).run_test(size=(80, 24)) as pilot:
        screen = await open_po(pilot, po_id)
        await cell(pilot, screen, 1, "ordered")
        await pilot.press("enter", *"-3", "enter")  # the old value is selected: typing replaces it
        await settled(pilot)
        editor = screen.query_one(EditBar)
        assert editor.is_open and editor.query_one(Input).value == "-3"
        assert "Ordered must be more than 0" in str(editor.query_one("#edit-help").render())
        await pilot.press("escape")
        assert not editor.is_open
        assert isinstance(pilot.app.screen, PurchaseOrderDetail)  # escape closed only the edit
    assert world.lines(po_id)[2].quantity_ordered == 5


async def test_a_cancelled_line_is_hidden_and_h_shows_it(world):
    po_id, order_no = world.make_po()
    world.supplier.cancel_line(order_no, 2)
    await poll(world.rt, fence=lease(world.db))

    async with console(world).run_test(size=(80, 24)) as pilot:
        screen = await open_po(pilot, po_id)
        assert lines_shown(screen) == ["1"]
        await pilot.press("h")
        assert lines_shown(screen) == ["1", "2✗"]
        await pilot.press("h")
        assert lines_shown(screen) == ["1"]


async def test_opening_a_po_with_missing_items_warns_some_items_may_be_missing(world):
    po_id, order_no = world.make_po()
    world.supplier.add_line(order_no, "AC-999", 2, "8", description="Gizmo")
    await poll(world.rt, fence=lease(world.db))

    async with console(world).run_test(size=(80, 24)) as pilot:
        screen = await open_po(pilot, po_id)
        assert "Some items may be missing" in text(screen, "#banner")
        item = screen.query_one("#lines", DataTable).get_row_at(2)[1]
        assert "AC-999" in str(item)
        await pilot.press("t", "t")  # the PO's syncing notifications
        await settled(pilot)
        notices = screen.query_one("#notices", DataTable)
        assert "AC-999" in str(notices.get_row_at(0)[2])


async def test_a_line_is_assigned_to_a_special_order_by_editing_its_cell(world):
    po_id, _ = world.make_po(sent=False)
    with world.db.session() as s:
        customer = Customer(code="C1", name="Corner Store")
        s.add(customer)
        s.flush()
        order = SalesOrder(number="SO-9", customer_id=customer.id)
        s.add(order)
        s.flush()
        wanted = SalesOrderLine(
            sales_order_id=order.id,
            line_no=1,
            item_id=world.widget_id,
            quantity=Decimal(2),
            special_order=True,
        )
        s.add(wanted)
        s.flush()
        wanted_id = wanted.id

    async with console(world).run_test(size=(80, 24)) as pilot:
        screen = await open_po(pilot, po_id)
        await cell(pilot, screen, 0, "special")
        await pilot.press("enter")
        await settled(pilot)
        picker = pilot.app.screen
        assert isinstance(picker, SpecialOrderPicker)
        assert "Corner Store" in str(picker.query_one(OptionList).get_option_at_index(0).prompt)
        await pilot.press("enter")
        await settled(pilot)
        assert pilot.app.screen is screen
        assert str(screen.query_one("#lines", DataTable).get_row_at(0)[7]) == "SO-9/1"
        # Named by its number, never by its internal id.
        assert text(screen, "#hint") == "Saved: line 1 special order = SO-9/1"
        assert load_po_detail(world.db, po_id).audit[0].new_value == "SO-9/1"

        await cell(pilot, screen, 1, "special")  # the gadget: nobody special-ordered it
        await pilot.press("enter")
        await settled(pilot)
        assert pilot.app.screen is screen
        assert "No open special orders for G-1" in text(screen, "#hint")

    assert world.lines(po_id)[1].special_order_line_id == wanted_id
    assert load_po_detail(world.db, po_id).lines[0].special_order == "SO-9/1 Corner Store"


async def test_enter_on_the_po_list_opens_the_detail_and_escape_goes_back(world):
    world.make_po()
    async with console(world).run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await pilot.press("enter")
        await settled(pilot)
        assert isinstance(pilot.app.screen, PurchaseOrderDetail)
        await pilot.press("escape")
        await settled(pilot)
        assert pilot.app.screen.AREA == "Purchase orders"


async def test_r_on_the_po_list_refreshes_the_marked_pos_and_tells_the_result(world):
    first, _ = world.make_po()
    world.make_po("PO-0000002", auto_sync=False)
    async with console(world).run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await pilot.press("space", "down", "space", "r")
        await settled(pilot)
        messages = [n.message for n in pilot.app._notifications]
        assert any("1 refreshed, 1 failed" in m and "Auto-sync is off" in m for m in messages)
    assert world.po(first).last_synced_at is not None


async def test_the_detail_is_live_a_supplier_change_shows_without_a_key(world):
    po_id, order_no = world.make_po()
    await poll(world.rt, fence=lease(world.db))
    async with console(world).run_test(size=(80, 24)) as pilot:
        screen = await open_po(pilot, po_id)
        world.supplier.change_line(order_no, 2, quantity_confirmed=4)
        # the scheduler's job, committed while the PO is open
        await poll(world.rt, fence=lease(world.db))
        await settled(pilot)
        assert str(screen.query_one("#lines", DataTable).get_row_at(1)[4]).strip() == "4"


async def test_a_po_is_one_call_away_from_any_area(world):
    po_id, _ = world.make_po()
    async with console(world).run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await pilot.press("v")
        await settled(pilot)
        pilot.app.open_purchase_order(po_id)  # what the command palette calls
        await settled(pilot)
        assert pilot.app.current_mode == "purchase_orders"
        assert isinstance(pilot.app.screen, PurchaseOrderDetail)
        assert pilot.app.screen.po_id == po_id


async def test_a_po_of_a_vendor_switched_away_says_its_auto_sync_is_inactive_and_why(world):
    from posync_tui.models import Integration, Vendor

    po_id, _ = world.make_po()
    await poll(world.rt, fence=lease(world.db))
    with world.db.session() as s:
        s.get(Vendor, world.vendor_id).integration = Integration.NONE
    async with console(world).run_test(size=(80, 24)) as pilot:
        screen = await open_po(pilot, po_id)
        assert "Auto-sync inactive: ACME is no longer an integrated supplier" in text(
            screen, "#banner"
        )
        await pilot.press("escape")
        await settled(pilot)
        assert any("– inactive" in line for line in screen_lines(pilot.app))


@pytest.mark.parametrize(
    ("typed", "said"),
    [("1e30", "Cost must be a plain number"), ("99999999", "Cost must be less than 10,000,000")],
)
async def test_the_cost_editor_never_ignores_enter(world, typed, said):
    po_id, _ = world.make_po(sent=False)
    async with console(world).run_test(size=(80, 24)) as pilot:
        screen = await open_po(pilot, po_id)
        await cell(pilot, screen, 0, "cost")
        await pilot.press("enter", *typed, "enter")
        await settled(pilot)
        editor = screen.query_one(EditBar)
        assert editor.is_open and said in str(editor.query_one("#edit-help").render())
    assert world.lines(po_id)[1].unit_cost == Decimal("4.25")
