"""The Customer orders tab of the Batches area: the ERP's sales orders, created and edited here.

A paged table over ``customer_orders.CustomerOrderSource`` (newest change first: what a batch's
Last Modified date imports). Under it, the cursor's order line by line: eligible for staging, or
the rule it fails (``warehouse_rules.eligibility``), read in a thread. N opens the New customer
order form, enter edits the cursor's order (the order and the divisions are read first).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from posync_tui.failures import database_faults, plain
from screens.paged_table import PagedList, PagedTable
from screens.safe_text import safe

if TYPE_CHECKING:
    from posync_tui.runtime import Runtime
    from posync_tui.services.warehouse_rules import LineEligibility

# Changes that alter an order or whether its lines may be staged.
KINDS = ("sales_order", "customer_location", "division", "item")
SHOWN_LINES = 4


def explain(number: str, lines: list[LineEligibility]) -> Content:
    """Each line of the order: eligible for staging, or the first rule it fails."""
    parts: list[Content] = []
    for line in lines[:SHOWN_LINES]:
        head = safe(f"{number}/{line.line_no} {line.item} ×{line.quantity.normalize():f} ")
        if line.failure is None:
            parts.append(head + Content.styled("eligible for staging", "$success"))
        else:
            parts.append(head + safe(f"not eligible: {line.failure.message}", "$warning"))
    if len(lines) > SHOWN_LINES:
        parts.append(Content(f"… {len(lines) - SHOWN_LINES} more lines (enter to see them)"))
    return Content("\n").join(parts) if parts else Content("No lines.")


class CustomerOrders(Vertical):
    DEFAULT_CSS = """
    CustomerOrders { height: 1fr; }
    CustomerOrders > #order-lines {
        height: 4; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    """
    BINDINGS = [Binding("N", "new_order", "New order")]

    @dataclass
    class _Explained(Message):
        order_id: int
        text: Content

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self.table = PagedTable(title="Customer orders")
        self.detail = Static("", id="order-lines")
        self.rt: Runtime | None = None

    def compose(self) -> ComposeResult:
        yield PagedList(self.table)
        yield self.detail

    def attach(self, rt: Runtime) -> None:
        from posync_tui.services.customer_orders import CustomerOrderSource, default_view

        self.rt = rt
        self.table.set_source(CustomerOrderSource(rt.db.engine), self.table.view or default_view())

    def on_change(self, kind: str) -> None:
        if kind in KINDS:
            self.table.refresh_rows()

    @on(PagedTable.CursorMoved)
    def _cursor_moved(self, message: PagedTable.CursorMoved) -> None:
        message.stop()
        row = self.table.cursor_row
        if row is None:
            self.detail.update(
                "No customer orders: N creates one." if not self.table.row_count else ""
            )
            return
        self._explain(row.key, row.data["number"])

    @work(thread=True, exclusive=True, exit_on_error=False, group="customer-order-explain")
    def _explain(self, order_id: int, number: str) -> None:
        from posync_tui.services.warehouse_rules import eligibility

        assert self.rt is not None
        self.post_message(
            self._Explained(order_id, explain(number, eligibility(self.rt.db, order_id)))
        )

    @on(_Explained)
    def _explained(self, message: _Explained) -> None:
        if message.order_id == self.table.cursor_key:  # else the cursor has moved on
            self.detail.update(message.text)

    def action_new_order(self) -> None:
        self._open_form(None)

    @on(PagedTable.RowSelected)
    def _edit(self, event: PagedTable.RowSelected) -> None:
        event.stop()
        self._open_form(event.key)

    @work(exclusive=True, group="customer-order-open", exit_on_error=False)
    async def _open_form(self, order_id: int | None) -> None:
        if self.rt is None:
            return
        from posync_tui.services.customer_orders import divisions, read_order
        from screens.customer_order_form import CustomerOrderForm

        db = self.rt.db
        try:
            choices = await asyncio.to_thread(divisions, db)
            order = await asyncio.to_thread(read_order, db, order_id) if order_id else None
        except (LookupError, *database_faults()) as exc:
            self.notify(plain(exc), severity="error", markup=False)
            return

        def saved(order_id: int | None) -> None:
            if order_id is not None:
                self.table.show_key(order_id)

        self.app.push_screen(CustomerOrderForm(db, choices, order), saved)
