"""The customer order form: ship-to location, division, and lines (item, quantity, Warehouse
Interface Status).

posync is the ERP of the Ovotrack flow; the seed's operator "will create an order" whose
"customer location and item must exist in the Ovotrack database" and whose "Warehouse Interface
Status needs to be set to Send". The ship-to location and items are picked by typing part of
their code or name (read in a thread). A saved line stays (a batch may have staged it): set its
quantity to 0 when the item is no longer needed; only new lines can be removed. Nothing is
written until ctrl+s; refused values show at their field; esc with unsaved changes asks first.
Dismisses with the order's id (or None).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Input, Label, Select, Static

from posync_tui.audit import shown
from posync_tui.failures import plain
from posync_tui.services.customer_orders import (
    WAREHOUSE_INTERFACE_STATUSES,
    DivisionChoice,
    OrderEdit,
    OrderInvalid,
    OrderLine,
    find_ship_to,
    save_order,
)
from posync_tui.services.po_create import find_items
from screens.form import FieldError, FormScreen, at_fields
from screens.key_bar import KeyBar
from screens.safe_text import safe
from screens.search_picker import Choice, SearchPicker

if TYPE_CHECKING:
    from posync_tui.db import Database

LINE_FIELDS = ("item", "quantity", "status")
NOT_SET = "(not set)"


class OrderLineRow(Vertical):
    """One line: item (picked), quantity and Warehouse Interface Status; ``line_id`` is None
    until the order is saved."""

    def __init__(self, key: int, number: int, search, line: OrderLine | None = None):
        super().__init__(id=f"line-{key}", classes="line")
        self.key, self.number = key, number
        self.line_id = line.id if line is not None else None
        self.picker = SearchPicker(search, input_id=f"line-{key}-item", placeholder="SKU")
        self.quantity = Input(
            shown(line.quantity) if line is not None else "",
            compact=True,
            placeholder="qty",
            id=f"line-{key}-quantity",
        )
        status = line.status if line is not None else ""
        # A status a commit set stays choosable on its line: the form keeps it as it is.
        choices = dict.fromkeys((*WAREHOUSE_INTERFACE_STATUSES, status))
        self.status = Select(
            [(each or NOT_SET, each) for each in choices],
            allow_blank=False,
            value=status,
            compact=True,
            id=f"line-{key}-status",
        )
        self._first = line

    def compose(self) -> ComposeResult:
        with Horizontal(classes="line-fields"):
            yield Label(f"{self.number}", classes="line-no")
            yield self.picker
            yield self.quantity
            yield self.status
        for field in LINE_FIELDS:
            yield FieldError(f"line-{self.key}-{field}")

    def on_mount(self) -> None:
        line = self._first
        if line is not None and line.item_id is not None:
            self.picker.pick(Choice(line.item_id, line.item_label, line.item_label))

    @property
    def item_id(self) -> int | None:
        return self.picker.choice.key if self.picker.choice else None

    def renumber(self, number: int) -> None:
        self.number = number
        self.query_one(".line-no", Label).update(f"{number}")


class CustomerOrderForm(FormScreen[int | None]):
    BINDINGS = [
        Binding("ctrl+n", "add_line", "Add line", priority=True),
        Binding("ctrl+r", "remove_line", "Remove line", priority=True),
    ]
    DEFAULT_CSS = """
    CustomerOrderForm > #dialog { width: 78; overflow-y: auto; }
    CustomerOrderForm .field-row { margin-top: 0; }
    CustomerOrderForm #lines { margin-top: 1; height: 1; text-style: bold; }
    CustomerOrderForm #line-rows { height: auto; max-height: 9; scrollbar-size-vertical: 1; }
    CustomerOrderForm .line, CustomerOrderForm .line-fields { height: auto; }
    CustomerOrderForm .line-no { width: 3; color: $text-muted; }
    CustomerOrderForm .line-fields > Input, CustomerOrderForm .line-quantity {
        width: 10; margin-left: 1;
    }
    CustomerOrderForm .line-fields > Select, CustomerOrderForm .line-status {
        width: 20; margin-left: 1;
    }
    CustomerOrderForm #line-head { height: 1; color: $text-muted; }
    CustomerOrderForm #line-head > .line-item { width: 1fr; }
    CustomerOrderForm .line FieldError { margin-left: 3; }
    CustomerOrderForm #lines-error { margin-left: 0; }
    """

    def __init__(self, db: Database, divisions: list[DivisionChoice], order: OrderEdit | None):
        super().__init__()
        self.db = db
        self.divisions = divisions
        self.order = order
        self._keys = 0

    def compose(self) -> ComposeResult:
        order = self.order
        with Vertical(id="dialog") as box:
            title = f"Customer order {order.number}" if order else "New customer order"
            box.border_title = safe(title, one_line=True)
            with Horizontal(id="ship_to-row", classes="field-row"):
                yield Label("Ship to", classes="field-label")
                yield SearchPicker(
                    self._find_ship_to, input_id="ship_to", placeholder="customer or location"
                )
            yield FieldError("ship_to")
            division = Select(
                [(f"{d.code}  {d.name}", d.id) for d in self.divisions],
                prompt="Division",
                value=order.division_id if order and order.division_id else Select.NULL,
                compact=True,
                id="division",
            )
            yield from self.field("Division", division)
            yield Static(Content("Lines   ctrl+n add · ctrl+r remove a new line"), id="lines")
            with Horizontal(id="line-head", classes="line-fields"):
                yield Label("#", classes="line-no")
                yield Label("Item", classes="line-item")
                yield Label("Quantity", classes="line-quantity")
                yield Label("Warehouse Interface", classes="line-status")
            with VerticalScroll(id="line-rows", can_focus=False):
                lines = order.lines if order else [None]
                for number, line in enumerate(lines, 1):
                    yield self._new_line(number, line)
            yield FieldError("lines")
            yield from self.buttons()
        yield KeyBar()

    def on_mount(self) -> None:
        if self.order is not None and self.order.ship_to is not None:
            loc = self.order.ship_to
            self.query_one("#ship_to-picker", SearchPicker).pick(
                Choice(loc.id, loc.label, loc.label, loc)
            )
        self.call_after_refresh(self._opened)

    def _opened(self) -> None:
        self.original = self.values()
        self.query_one("#ship_to", Input).focus()

    # --- look-ups (run in the pickers' thread workers) ----------------------------------------

    def _find_ship_to(self, text: str) -> list[Choice]:
        found = find_ship_to(self.db, text)
        return [Choice(c.id, c.label, f"{c.label} ({c.customer_name})", c) for c in found]

    def _find_items(self, text: str) -> list[Choice]:
        return [
            Choice(i.id, f"{i.sku} · {i.description}", f"{i.sku}  {i.description}", i)
            for i in find_items(self.db, text, None)
        ]

    # --- lines ---------------------------------------------------------------------------------

    def _new_line(self, number: int, line: OrderLine | None = None) -> OrderLineRow:
        self._keys += 1
        return OrderLineRow(self._keys, number, self._find_items, line)

    @property
    def lines(self) -> list[OrderLineRow]:
        return list(self.query(OrderLineRow))

    async def action_add_line(self) -> None:
        row = self._new_line(len(self.lines) + 1)
        await self.query_one("#line-rows").mount(row)
        self.query_one("#lines-error", FieldError).show(None)
        row.picker.input.focus()
        row.scroll_visible()

    async def action_remove_line(self) -> None:
        """Remove the new line with the focus (else the last new line); saved lines stay."""
        focused = self.focused
        new = [r for r in self.lines if r.line_id is None]
        row = next((r for r in new if focused is not None and r in focused.ancestors), None)
        row = row or (new[-1] if new else None)
        if row is None:
            self.notify("A saved line stays: set its quantity to 0.", severity="warning")
            return
        await row.remove()
        for number, each in enumerate(self.lines, 1):
            each.renumber(number)

    @on(SearchPicker.Picked)
    def _picked(self, event: SearchPicker.Picked) -> None:
        event.stop()
        if not event.picker.input.has_focus:
            return  # prefilled from the saved order
        row = next((r for r in event.picker.ancestors if isinstance(r, OrderLineRow)), None)
        if row is not None:
            row.quantity.focus()
        else:
            self.call_after_refresh(self.focus_next)

    # --- editing --------------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        picker = self.query_one("#ship_to-picker", SearchPicker)
        division = self.query_one("#division", Select).value
        return {
            "ship_to": picker.text.strip(),
            "ship_to_id": picker.choice.key if picker.choice else None,
            "division_id": None if division is Select.NULL else division,
            "lines": tuple(
                (
                    r.line_id,
                    r.picker.text.strip(),
                    r.item_id,
                    r.quantity.value.strip(),
                    r.status.value,
                )
                for r in self.lines
            ),
        }

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if event.input.id:
            self._clear_error(event.input.id)

    @on(Select.Changed)
    def _selected(self, event: Select.Changed) -> None:
        if event.select.id:
            self._clear_error(event.select.id)

    def _clear_error(self, field: str) -> None:
        for error in self.query(f"#{field}-error").results(FieldError):
            error.show(None)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    # --- saving ---------------------------------------------------------------------------------

    def action_save(self) -> None:
        if self.saving:
            return
        self.saving = True
        self._save(self.values(), [r.key for r in self.lines])

    @work(exclusive=True, group="customer-order-save", exit_on_error=False)
    async def _save(self, values: dict[str, Any], keys: list[int]) -> None:
        lines = [
            OrderLine(line_id, item, qty, status)
            for line_id, _, item, qty, status in values["lines"]
        ]
        try:
            order_id = await asyncio.to_thread(
                save_order,
                self.db,
                self.order.id if self.order else None,
                values["ship_to_id"],
                values["division_id"],
                lines,
            )
        except OrderInvalid as exc:
            self.show_errors(
                at_fields(
                    exc,
                    keys,
                    lambda i: values["lines"][i][1:3],
                    {"ship_to": (values["ship_to"], values["ship_to_id"])},
                )
            )
        except Exception as exc:  # noqa: BLE001 - shown to the operator; nothing was saved
            self.show_errors({}, f"Not saved: {plain(exc)}")
        else:
            self.dismiss(order_id)
        finally:
            self.saving = False
