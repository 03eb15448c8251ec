"""The operator creates and edits customer orders in the Batches area's Customer orders tab
(Ovotrack seed: "The user will create an order ... the Warehouse Interface Status needs to be set
to Send"; "Quantities can be updated to 0 if the item is no longer needed on the order")."""

from __future__ import annotations

from decimal import Decimal

from textual.widgets import Input, Select

from posync_tui.services.customer_orders import SEND, read_order
from screens.customer_order_form import CustomerOrderForm
from screens.customer_orders import CustomerOrders
from screens.form import FieldError
from tests.console import console_app, settled
from tests.test_customer_orders import make_world

SIZE = (100, 40)


async def open_orders(pilot) -> CustomerOrders:
    await settled(pilot)
    await pilot.press("b", "2")
    await settled(pilot)
    return pilot.app.screen.query_one(CustomerOrders)


async def type_in(pilot, input_id: str, text: str) -> None:
    """Type into the field (the last key pressed for real, so its handlers run)."""
    field = pilot.app.screen.query_one(f"#{input_id}", Input)
    field.focus()
    await pilot.pause()
    field.value = text[:-1]
    field.cursor_position = len(field.value)
    await pilot.press(text[-1])
    await settled(pilot)


async def pick(pilot, input_id: str, text: str) -> None:
    await type_in(pilot, input_id, text)
    await pilot.press("enter")
    await settled(pilot)


def errors(form) -> dict[str, str]:
    return {e.field: e.message for e in form.query(FieldError) if e.message}


async def test_the_operator_creates_an_order_by_keyboard_and_it_shows_in_the_list(db):
    world = make_world(db)
    app = console_app(db)
    async with app.run_test(size=SIZE) as pilot:
        orders = await open_orders(pilot)
        await pilot.press("N")
        await settled(pilot)
        form = app.screen
        assert isinstance(form, CustomerOrderForm)

        await pilot.press("ctrl+s")
        await settled(pilot)
        assert set(errors(form)) == {"ship_to", "division", "line-1-item", "line-1-quantity"}

        await type_in(pilot, "ship_to", "hen")  # typed, not picked from the matches
        await type_in(pilot, "line-1-item", "EGG")
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert errors(form)["ship_to"] == "Pick the ship-to from the matches (up/down, enter)"
        assert errors(form)["line-1-item"] == "Pick the item from the matches (up/down, enter)"

        await pick(pilot, "ship_to", "hen")
        form.query_one("#division", Select).focus()
        await pilot.press("enter", "down", "enter")
        await settled(pilot)
        await pick(pilot, "line-1-item", "EGG-30")
        await type_in(pilot, "line-1-quantity", "24")
        form.query_one("#line-1-status", Select).focus()
        await pilot.press("enter", "down", "enter")  # (not set) → Send
        await settled(pilot)
        await pilot.press("ctrl+s")
        await settled(pilot)

        assert app.screen is not form, errors(form)
        assert orders.table.row_count == 1
        order = read_order(db, orders.table.cursor_key)
        assert order.division_id == world["main"] and order.ship_to.id == world["ship"]
        assert [(ln.item_id, ln.quantity, ln.status) for ln in order.lines] == [
            (world["egg30"], Decimal(24), SEND)
        ]


async def test_the_operator_sets_a_quantity_to_0_on_a_saved_order(db):
    from posync_tui.services.customer_orders import OrderLine, save_order

    world = make_world(db)
    order_id = save_order(
        db, None, world["ship"], world["main"], [OrderLine(None, world["egg12"], 6, SEND)]
    )
    app = console_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_orders(pilot)
        await pilot.press("enter")
        await settled(pilot)
        form = app.screen
        assert isinstance(form, CustomerOrderForm)
        assert form.query_one("#ship_to", Input).value.startswith("C1 SHIP")
        assert form.query_one("#line-1-item", Input).value.startswith("EGG-12")

        await pilot.press("ctrl+r")  # a saved line stays
        await settled(pilot)
        assert len(form.lines) == 1
        await type_in(pilot, "line-1-quantity", "0")
        await pilot.press("ctrl+s")
        await settled(pilot)

        assert app.screen is not form, errors(form)
        assert read_order(db, order_id).lines[0].quantity == 0


async def test_a_hostile_customer_name_shows_as_text_in_the_list_and_the_form(db):
    from posync_tui.models import Customer
    from posync_tui.services.customer_orders import OrderLine, save_order
    from tests.console import screen_lines

    world = make_world(db)
    with db.session() as s:
        s.get(Customer, 1).name = "Hen \x1b]0;owned\x07House [/]"
    save_order(db, None, world["ship"], world["main"], [OrderLine(None, world["egg12"], 6, SEND)])
    app = console_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_orders(pilot)
        assert "Hen ␛]0;owned␇House [/]" in "\n".join(screen_lines(app))
        await pilot.press("enter")
        await settled(pilot)
        await type_in(pilot, "ship_to", "Hen")  # the matches name the customer
        assert "(Hen ␛]0;owned␇House [/])" in "\n".join(screen_lines(app))
