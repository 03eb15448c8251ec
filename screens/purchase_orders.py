"""The purchase-order list: number, vendor, status, auto-sync, last synced, lines, total.

A body widget the shell mounts: ``attach(db)`` once the database is ready, ``on_change(change)``
for every committed change (from any thread), and ``OpenPurchaseOrder(po_id)`` on enter. The
last-synced date is red when the supplier notified a change after the last successful sync.
Filters: ``/`` text (PO number, vendor, supplier order no., item), and keys for out of sync (o)
and clearing the vendor/status filters (x); ``show_vendor``/``show_status`` set them from code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message

from posync_tui.failures import plain
from posync_tui.paging import Column, Row, View
from posync_tui.services.po_list import PoListSource, default_view
from screens.confirm import act_on_selection
from screens.messages import OpenPurchaseOrder
from screens.paged_table import PagedList, PagedTable

if TYPE_CHECKING:  # not imported at start-up: the database module brings in alembic
    from posync_tui.db import Database
    from posync_tui.events import Change
    from posync_tui.runtime import Runtime

KINDS = ("purchase_order", "vendor")
OUT_OF_SYNC_STYLE = "bold red"


def last_synced_style(row: Row, column: Column) -> str | None:
    """The Ascend seed's red last-synced date: the last sync is older than the supplier."""
    if column.key == "last_synced" and row.data.get("out_of_sync"):
        return OUT_OF_SYNC_STYLE
    return None


class PurchaseOrders(Vertical):
    """The PO list body: a paged table over ``po_list``."""

    DEFAULT_CSS = "PurchaseOrders { height: 1fr; }"
    BINDINGS = [
        Binding("o", "out_of_sync", "Out of sync"),
        Binding("t", "next_status", "Status", show=False),
        Binding("x", "clear_filters", "All POs", show=False),
        Binding("r", "refresh_selected", "Refresh"),
        Binding("N", "new_po", "New PO"),
    ]

    @dataclass
    class _Changed(Message):
        change: Change

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, PurchaseOrders._Changed)  # one re-read per burst

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.table = PagedTable(title="Purchase orders", cell_style=last_synced_style)
        self.db: Database | None = None
        self._first_view: View | None = None

    def compose(self) -> ComposeResult:
        yield PagedList(self.table)

    def open_database(self, db: Database, view: View | None = None) -> None:
        """The database is open: start reading (in a thread; the first page shows when read)."""
        self.db = db
        self.table.set_source(PoListSource(db.engine), view or self._first_view or default_view())

    def attach(self, rt: Runtime, view: View | None = None) -> None:
        """The runtime is ready: read from its database, if the list does not already."""
        if rt.db is not self.db or view is not None:
            self.open_database(rt.db, view)
        else:
            # Changes made while the runtime loaded were not heard: read the rows again.
            self.table.refresh_rows()

    def on_change(self, change: Change) -> None:
        """A committed change; safe to call from any thread."""
        if change.kind in KINDS:
            self.post_message(self._Changed(change))

    @on(_Changed)
    def _refresh(self, message: _Changed) -> None:
        self.table.refresh_rows(message.change.ids or None)

    @on(PagedTable.RowSelected)
    def _open(self, event: PagedTable.RowSelected) -> None:
        event.stop()
        self.post_message(OpenPurchaseOrder(event.key))

    def focus_table(self) -> None:
        self.table.focus()

    def _with(self, name: str, value) -> None:
        if self.table.view is not None:
            self.table.set_view(self.table.view.with_filter(name, value))

    def show_vendor(self, vendor_id: int | None, code: str | None = None) -> None:
        """Only this vendor's POs (``code`` names it in the title)."""
        view = self.table.view
        if view is None:  # not attached yet: the first view starts with this filter
            self._first_view = default_view().with_filter("vendor_id", vendor_id)
            self._first_view = self._first_view.with_filter("vendor_code", code)
            return
        self.table.set_view(
            view.with_filter("vendor_id", vendor_id).with_filter("vendor_code", code)
        )

    def action_next_status(self) -> None:
        """Step the status filter: all → draft → open → … → cancelled → all."""
        view = self.table.view
        if view is None:
            return
        from posync_tui.models.core import POStatus  # the ORM is not loaded before first paint

        current = view.filter("status")
        order = [None, *(s.value for s in POStatus)]
        following = order[(order.index(current) + 1) % len(order)] if current in order else None
        self._with("status", following)

    def show_status(self, status: str | tuple[str, ...] | None) -> None:
        self._with("status", status)

    def action_out_of_sync(self) -> None:
        view = self.table.view
        if view is not None:
            self._with("out_of_sync", None if view.filter("out_of_sync") else True)

    def action_clear_filters(self) -> None:
        view = self.table.view
        if view is not None:
            self.table.set_view(View(sort=view.sort, descending=view.descending, text=view.text))

    def action_refresh_selected(self) -> None:
        """Fetch the supplier order of the marked POs the filter shows (or the cursor's PO) now."""
        if self.app.runtime is None:
            return

        def refresh(ids: list[int]) -> None:
            self.notify(
                f"Refreshing {len(ids)} PO{'s' if len(ids) != 1 else ''} from the supplier…"
            )
            self._refresh_pos(ids)

        act_on_selection(
            self,
            self.table.selection(),
            ("PO", "POs"),
            lambda words: f"Refresh {words}",
            refresh,
            yes="Refresh",
        )

    def action_new_po(self) -> None:
        """The New purchase order form; once saved, the new PO's detail opens and the list's
        cursor moves onto the new PO (where the operator finds it on coming back)."""
        if self.app.runtime is None:
            return
        from screens.po_form import PurchaseOrderForm

        def saved(po_id: int | None) -> None:
            if po_id is not None:
                self.table.show_key(po_id)
                self.post_message(OpenPurchaseOrder(po_id))

        self.app.push_screen(PurchaseOrderForm(self.app.runtime.db), saved)

    @work(group="po-list-refresh", exit_on_error=False)
    async def _refresh_pos(self, ids: list[int]) -> None:
        from posync_tui.services import supplier_sync
        from screens.po_actions import refresh_summary

        try:
            results = await supplier_sync.refresh(self.app.runtime, ids)
        except Exception as exc:  # noqa: BLE001 - e.g. no supplier configured: shown as is
            self.notify(f"Refresh failed: {plain(exc)}", severity="error")
            return
        text, severity = refresh_summary(results)
        self.notify(text, severity=severity, timeout=8 if severity != "information" else 4)
