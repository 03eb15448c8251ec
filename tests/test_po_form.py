"""The New purchase order form, as an operator uses it (Ascend seed: "The Auto-Sync Purchase
Order checkbox will be defaulted when the Auto-Sync Purchase Orders checkbox in the Edit Vendor
screen is checked for the applicable Supplier. You can uncheck this box for specific purchase
orders")."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import select
from textual.widgets import Checkbox, Input

from posync_tui.models import Integration, Item, PurchaseOrder, PurchaseOrderLine, Vendor
from screens.confirm import Confirm
from screens.form import FieldError
from screens.po_detail import PurchaseOrderDetail
from screens.po_form import LineRow, PurchaseOrderForm
from tests.console import console_app, settled


@pytest.fixture
def vendors(db):
    """ACME: integrated, auto-sync on (item W-1). PEAK: integrated, auto-sync off. HARB: not
    integrated. One PO already in the list."""
    with db.session() as s:
        acme = Vendor(
            code="ACME",
            name="Acme Supply",
            integration=Integration.B2B,
            supplier_account="ACC-1001",
            auto_sync=True,
        )
        peak = Vendor(
            code="PEAK", name="Peak Outdoor", integration=Integration.B2B, supplier_account="P-1"
        )
        harb = Vendor(code="HARB", name="Harbor Packaging")
        s.add_all([acme, peak, harb])
        s.flush()
        s.add(Item(sku="W-1", description="Widget", vendor_id=acme.id, unit_cost=Decimal("4.25")))
        s.add(PurchaseOrder(number="PO-0000001", vendor_id=peak.id))
    return db


def pos(db) -> dict[str, PurchaseOrder]:
    with db.reader() as s:
        return {po.number: po for po in s.exec(select(PurchaseOrder))}


async def open_form(pilot) -> PurchaseOrderForm:
    await settled(pilot)
    await pilot.press("N")
    await settled(pilot)
    form = pilot.app.screen
    assert isinstance(form, PurchaseOrderForm)
    return form


async def type_in(pilot, form: PurchaseOrderForm, input_id: str, text: str) -> None:
    """Replace the field's text as typed (the last key pressed for real: keys are slow)."""
    field = form.query_one(f"#{input_id}", Input)
    field.focus()
    await pilot.pause()  # focusing selects the text: before it is replaced
    field.value = text[:-1]
    field.cursor_position = len(field.value)
    await pilot.press(text[-1])
    await settled(pilot)


async def pick(pilot, form: PurchaseOrderForm, input_id: str, text: str) -> None:
    """Type part of the code or name in the field, wait for the matches, enter: the first."""
    await type_in(pilot, form, input_id, text)
    assert form.query_one(f"#{input_id}-picker").is_open
    await pilot.press("enter")
    await settled(pilot)


def auto_sync_box(form: PurchaseOrderForm) -> Checkbox | None:
    """The Auto-Sync Purchase Order checkbox, or None when it is not shown."""
    if not form.query_one("#auto_sync-row").display:
        return None
    return form.query_one("#auto_sync", Checkbox)


async def one_widget_line(pilot, form: PurchaseOrderForm, quantity: str) -> None:
    await pick(pilot, form, "line-1-item", "wid")
    assert form.query_one("#line-1-unit_cost", Input).value == "4.25"  # from the item
    assert form.focused is form.query_one("#line-1-quantity")
    await pilot.press(*quantity)
    await settled(pilot)


async def test_n_on_the_po_list_opens_the_new_purchase_order_form(vendors):
    async with console_app(vendors).run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot)
        assert form.focused is form.query_one("#vendor")
        assert auto_sync_box(form) is None  # no vendor yet
        await pilot.press("escape")  # nothing typed: closes without asking
        await settled(pilot)
        assert not isinstance(pilot.app.screen, PurchaseOrderForm | Confirm)


async def test_an_auto_sync_vendor_pre_checks_auto_sync_which_can_be_unchecked_for_this_po(
    vendors,
):
    app = console_app(vendors)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot)
        await pick(pilot, form, "vendor", "acm")
        box = auto_sync_box(form)
        assert box is not None and box.value is True  # preselected from the vendor
        assert form.focused is box
        await pilot.press("space")  # not for this PO
        assert box.value is False
        await one_widget_line(pilot, form, "12")
        await pilot.press("ctrl+s")
        await settled(pilot)

        po = next(po for po in pos(vendors).values() if po.number != "PO-0000001")
        assert po.auto_sync is False
        assert (po.total, po.line_count) == (Decimal(51), 1)
        # After saving, the new PO's detail opens.
        assert isinstance(app.screen, PurchaseOrderDetail) and app.screen.po_id == po.id


async def test_a_vendor_that_is_not_integrated_shows_no_auto_sync_box(vendors):
    async with console_app(vendors).run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot)
        await pick(pilot, form, "vendor", "harb")
        assert form.vendor.code == "HARB" and auto_sync_box(form) is None
        assert "New PO PO-0000002" in str(form.query_one("#vendor-note").render())
        # An integrated supplier without auto-sync: the box shows, unchecked.
        await type_in(pilot, form, "vendor", "pea")
        await pilot.press("enter")
        await settled(pilot)
        box = auto_sync_box(form)
        assert form.vendor.code == "PEAK" and box is not None and box.value is False


async def test_an_invalid_quantity_is_refused_at_its_field(vendors):
    app = console_app(vendors)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot)
        await pick(pilot, form, "vendor", "acm")
        await one_widget_line(pilot, form, "0")
        await pilot.press("ctrl+s")
        await settled(pilot)
        error = form.query_one("#line-1-quantity-error", FieldError)
        assert error.display and error.message == "Quantity must be more than 0"
        assert app.screen is form and form.focused is form.query_one("#line-1-quantity")
        assert list(pos(vendors)) == ["PO-0000001"]  # nothing saved

        await pilot.press("backspace", "2")  # typing clears the message
        await settled(pilot)
        assert not error.display
        await pilot.press("escape")  # unsaved changes: asks first
        await settled(pilot)
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")
        await settled(pilot)
        assert app.screen is form


async def test_lines_are_added_and_removed_with_keys(vendors):
    async with console_app(vendors).run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot)
        await pilot.press("ctrl+n", "ctrl+n")
        await settled(pilot)
        rows = form.query(LineRow)
        assert [r.number for r in rows] == [1, 2, 3]
        assert form.focused is rows[2].picker.input
        rows[0].picker.input.focus()
        await pilot.press("ctrl+r")
        await settled(pilot)
        assert [r.number for r in form.query(LineRow)] == [1, 2]
        assert "2 lines" in str(form.query_one("#po-total").render())
        await pick(pilot, form, "vendor", "zz")  # no matches: enter picks nothing
        assert form.vendor is None
        await pilot.press("escape")  # closes the matches, not the form
        await settled(pilot)
        assert pilot.app.screen is form and not form.query_one("#vendor-picker").is_open


async def test_the_new_po_appears_in_the_po_list_with_the_auto_sync_kept(vendors):
    app = console_app(vendors)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        table = app.screen.body.table
        assert table.row_count == 1
        form = await open_form(pilot)
        await pick(pilot, form, "vendor", "acm")
        assert auto_sync_box(form).value is True  # kept as preselected
        await one_widget_line(pilot, form, "3")
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert isinstance(app.screen, PurchaseOrderDetail)
        assert pos(vendors)["PO-0000002"].auto_sync is True
        await pilot.press("escape")
        await settled(pilot)
        assert table.row_count == 2
        numbers = [table._row_at(i).data["number"] for i in range(table.row_count)]
        assert sorted(numbers) == ["PO-0000001", "PO-0000002"]
        with vendors.reader() as s:
            line = s.exec(select(PurchaseOrderLine)).one()
        assert (line.line_no, line.description, line.quantity_ordered) == (1, "Widget", 3)


async def test_after_saving_the_new_po_is_under_the_po_lists_cursor(vendors):
    app = console_app(vendors)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        table = app.screen.body.table
        assert table.cursor_row.data["number"] == "PO-0000001"
        form = await open_form(pilot)
        await pick(pilot, form, "vendor", "acm")
        await one_widget_line(pilot, form, "2")
        await pilot.press("ctrl+s")
        await settled(pilot)
        await pilot.press("escape")  # from the new PO's detail back to the list
        await settled(pilot)
        assert table.cursor_key == pos(vendors)["PO-0000002"].id
        assert table.cursor_row.data["number"] == "PO-0000002"


async def test_a_quantity_is_refused_at_its_field_as_it_is_typed(vendors):
    async with console_app(vendors).run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot)
        await pick(pilot, form, "vendor", "acm")
        await one_widget_line(pilot, form, "0.0001")
        error = form.query_one("#line-1-quantity-error", FieldError)
        assert error.display and error.message == "Quantity has at most 3 decimal places"
        await type_in(pilot, form, "line-1-unit_cost", "1e30")
        error = form.query_one("#line-1-unit_cost-error", FieldError)
        assert error.display and error.message.startswith("Unit cost must be a plain number")


async def test_the_reference_says_when_it_is_too_long_instead_of_stopping(vendors):
    async with console_app(vendors).run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot)
        await type_in(pilot, form, "reference", "R" * 61)
        assert form.query_one("#reference", Input).value == "R" * 61  # not cut silently
        error = form.query_one("#reference-error", FieldError)
        assert error.display and error.message == "At most 60 characters (this one has 61)"


async def test_an_expected_date_before_the_order_date_asks_for_confirmation(vendors):
    from datetime import timedelta

    from posync_tui.models import utcnow

    app = console_app(vendors)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot)
        await pick(pilot, form, "vendor", "acm")
        yesterday = (utcnow().date() - timedelta(days=1)).isoformat()
        await type_in(pilot, form, "expected_date", yesterday)
        await one_widget_line(pilot, form, "3")
        await pilot.press("ctrl+s")
        for _ in range(200):  # the save worker waits on the question: not on the worker
            if isinstance(app.screen, Confirm):
                break
            await pilot.pause(0.01)
        assert isinstance(app.screen, Confirm)
        assert "before the order date" in app.screen.question
        await pilot.press("y")
        await settled(pilot)
        assert pos(vendors)["PO-0000002"].expected_date.isoformat() == yesterday
