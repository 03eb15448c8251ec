"""Warehouse batches (Ovotrack customer order sync): the Batches area's body.

Tabs (1, 2, 3): Batches — the batch list with its counts per stage (enter opens a batch: its
lines, Send / Receive Updates / Commit / Update From Source, its Commit Messages); Customer
orders — the ERP's sales orders, created and edited here; Master data — the customer locations
and items Ovotrack does not have yet, and the "Enable Warehouse Interface" flags.

The body owns the batch runs (``BatchRuns``): a run keeps going while the operator works in
another tab, area or screen; its progress shows on the line above the tabs and on the batch's
screen, and its result arrives as a notification.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import TabbedContent, TabPane

from screens.batch_list import BatchList
from screens.batch_runs import BatchRuns, RunProgress
from screens.customer_orders import CustomerOrders
from screens.warehouse_master import WarehouseMasterData

if TYPE_CHECKING:
    from posync_tui.events import Change
    from posync_tui.runtime import Runtime

TABS = {"batch_list": "Batches", "customer_orders": "Customer orders", "master_data": "Master data"}
PANES = {
    "batch_list": BatchList,
    "customer_orders": CustomerOrders,
    "master_data": WarehouseMasterData,
}


class Batches(Vertical):
    DEFAULT_CSS = """
    Batches { height: 1fr; }
    Batches #wh-tabs, Batches #wh-tabs > ContentSwitcher { height: 1fr; }
    Batches TabPane { height: 1fr; padding: 0; }
    """
    BINDINGS = [
        Binding(str(i), f"show_tab('{tab}')", label, show=False)
        for i, (tab, label) in enumerate(TABS.items(), start=1)
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.runs = BatchRuns()

    def compose(self) -> ComposeResult:
        yield self.runs
        yield RunProgress(self.runs)
        with TabbedContent(id="wh-tabs"):
            with TabPane(TABS["batch_list"], id="batch_list"):
                yield BatchList(self.runs)
            with TabPane(TABS["customer_orders"], id="customer_orders"):
                yield CustomerOrders()
            with TabPane(TABS["master_data"], id="master_data"):
                yield WarehouseMasterData()

    def attach(self, rt: Runtime) -> None:
        self.runs.rt = rt
        for pane in (BatchList, CustomerOrders, WarehouseMasterData):
            self.query_one(pane).attach(rt)

    def on_change(self, change: Change) -> None:
        """A committed change (from any thread): each tab re-reads what it shows."""
        for pane in (BatchList, CustomerOrders, WarehouseMasterData):
            self.query_one(pane).on_change(change.kind)
        self.runs.on_change(change.kind)

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    @on(TabbedContent.TabActivated)
    def _activated(self, event: TabbedContent.TabActivated) -> None:
        # The tab's keys work at once: its table takes the focus.
        pane = event.pane.query_one(PANES[event.pane.id or ""])
        pane.table.focus()

    def on_mount(self) -> None:
        self.query_one(BatchList).table.focus()


async def open_batch(app, batch_id: int) -> None:
    """Show a batch's screen from anywhere (the command palette): the Batches area, then it."""
    from screens.shell import AreaScreen

    await app.switch_mode("batches")
    while len(app.screen_stack) > 1 and not isinstance(app.screen, AreaScreen):
        app.pop_screen()
    body = app.screen.query_one(".area-body", Batches)
    body.action_show_tab("batch_list")
    body.query_one(BatchList).open_batch(batch_id)
