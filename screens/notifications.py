"""Syncing notifications: every notification, newest first; review them, act on them.

Columns: when, kind, vendor, PO, message, reviewed. ``/`` filters by text (message, kind,
vendor, PO number); u shows only unreviewed ones, k steps through the kinds, x shows all again.
r marks the marked rows the filter shows (or the cursor's) reviewed; o opens the PO; + adds the
product of a missing-item notification (the form prefilled from the supplier's data); t
re-processes the entry of a bad-partner-data notification (fetched again and applied, after the
partner's fix); enter shows the whole notification. The shell's title bar counts the unreviewed
ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from connectors.base import ConnectorError
from posync_tui import timefmt
from posync_tui.failures import database_faults, plain
from posync_tui.models import NotificationKind
from posync_tui.paging import Column, Row, View
from posync_tui.services.notification_list import (
    KIND_SHORT,
    KINDS,
    NotificationInfo,
    NotificationListSource,
    default_view,
    read_notification,
)
from screens.confirm import act_on_selection
from screens.key_bar import KeyBar
from screens.messages import OpenPurchaseOrder
from screens.paged_table import PagedList, PagedTable
from screens.safe_text import safe

if TYPE_CHECKING:
    from posync_tui.db import Database
    from posync_tui.events import Change
    from posync_tui.runtime import Runtime

# A PO's number or a vendor's code shown here can change too.
REFRESH_KINDS = ("notification", "purchase_order", "vendor")


def unreviewed_style(row: Row, column: Column) -> str | None:
    if not row.data.get("reviewed"):
        return "bold"
    return None


class Notifications(Vertical):
    """The syncing notifications body: a paged table over ``notification_list``."""

    DEFAULT_CSS = """
    Notifications { height: 1fr; }
    Notifications > #message { height: 3; padding: 0 1; color: $text; background: $panel; }
    """
    BINDINGS = [
        Binding("r", "review", "Reviewed"),
        Binding("o", "open_po", "Open PO"),
        Binding("plus", "add_product", "Add item"),
        Binding("t", "reprocess", "Re-process", show=False),
        Binding("u", "unreviewed", "Unreviewed only", show=False),
        Binding("k", "next_kind", "Next kind", show=False),
        Binding("x", "clear_filters", "All notifications", show=False),
    ]

    @dataclass
    class _Changed(Message):
        change: Change

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, Notifications._Changed)  # one re-read per burst

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.table = PagedTable(title="Syncing notifications", cell_style=unreviewed_style)
        self.db: Database | None = None
        self.rt: Runtime | None = None

    def compose(self) -> ComposeResult:
        yield PagedList(self.table)
        yield Static(id="message")  # the cursor's notification in full

    def attach(self, rt: Runtime) -> None:
        self.db, self.rt = rt.db, rt
        self.table.set_source(NotificationListSource(rt.db.engine), default_view())

    def on_change(self, change: Change) -> None:
        """A committed change; safe to call from any thread."""
        if change.kind in REFRESH_KINDS:
            self.post_message(self._Changed(change))

    @on(_Changed)
    def _refresh(self, message: _Changed) -> None:
        ids = message.change.ids if message.change.kind == "notification" else ()
        self.table.refresh_rows(ids or None)

    def focus_table(self) -> None:
        self.table.focus()

    @on(PagedTable.CursorMoved)
    def _show_message(self, event: PagedTable.CursorMoved) -> None:
        row = self.table.cursor_row
        text = safe(row.data["message"] if row is not None else "")
        if row is not None and row.data["kind"] == NotificationKind.MISSING_ITEM:
            hint = "product added" if row.data["resolved"] else "+ adds the product"
            text = Content.assemble(text, "  ", (f"({hint})", "italic"))
        elif row is not None and row.data["kind"] == NotificationKind.BAD_DATA:
            hint = "re-processed" if row.data["resolved"] else "t re-processes it after a fix"
            text = Content.assemble(text, "  ", (f"({hint})", "italic"))
        self.query_one("#message", Static).update(text)

    # --- filters -------------------------------------------------------------------------------

    def _with(self, name: str, value) -> None:
        if self.table.view is not None:
            self.table.set_view(self.table.view.with_filter(name, value))

    def show_kind(self, kind: NotificationKind | None) -> None:
        self._with("kind", None if kind is None else kind.value)

    def action_unreviewed(self) -> None:
        view = self.table.view
        if view is not None:
            self._with("unreviewed", None if view.filter("unreviewed") else True)

    def action_next_kind(self) -> None:
        """All kinds → each kind in turn → all kinds."""
        view = self.table.view
        if view is None:
            return
        values = [k.value for k in KINDS]
        current = view.filter("kind")
        following = values[0] if current is None else None
        if current in values and values.index(current) + 1 < len(values):
            following = values[values.index(current) + 1]
        self._with("kind", following)
        shown = KIND_SHORT[NotificationKind(following)] if following else "all kinds"
        self.app.notify(f"Showing {shown}", timeout=2)

    def action_clear_filters(self) -> None:
        view = self.table.view
        if view is not None:
            self.table.set_view(View(sort=view.sort, descending=view.descending, text=view.text))

    # --- actions -------------------------------------------------------------------------------

    def action_review(self) -> None:
        if self.db is None:
            return
        selection = self.table.selection()
        act_on_selection(
            self,
            selection,
            ("notification", "notifications"),
            lambda words: f"Review {words}",
            lambda ids: self._review(ids, marked=selection.marked),
            yes="Mark reviewed",
        )

    @work(thread=True, exclusive=True, group="notifications-review", exit_on_error=False)
    def _review(self, ids: list[int], marked: bool = False) -> None:
        from posync_tui.services.supplier_sync import mark_reviewed

        try:
            done = mark_reviewed(self.db, ids)
        except database_faults() as exc:  # rolled back: none of them is marked reviewed
            self.app.call_from_thread(
                self.app.notify, f"Not reviewed: {plain(exc)}", severity="error", markup=False
            )
            return
        self.app.call_from_thread(self._reviewed, ids, done, marked)

    def _reviewed(self, ids: list[int], done: int, marked: bool) -> None:
        if marked:
            self.table.unmark(ids)  # the marked rows acted on (those the filter hides stay)
            self.table.refresh_rows()
        if len(ids) > 1:  # one row shows its tick; many may be out of sight
            self.app.notify(f"Marked {done} of {len(ids)} reviewed", timeout=3)

    def action_open_po(self) -> None:
        key = self.table.cursor_key
        if key is not None:
            self._with_info(key, "open_po")

    def action_add_product(self) -> None:
        key = self.table.cursor_key
        if key is not None:
            self._with_info(key, "add_product")

    def action_reprocess(self) -> None:
        key = self.table.cursor_key
        if key is not None:
            self._with_info(key, "reprocess")

    @on(PagedTable.RowSelected)
    def _open(self, event: PagedTable.RowSelected) -> None:
        event.stop()
        self._with_info(event.key, "detail")

    @work(thread=True, exclusive=True, group="notifications-read", exit_on_error=False)
    def _with_info(self, notification_id: int, then: str) -> None:
        """Read the notification in full (in a thread), then act on it."""
        from posync_tui.services.supplier_sync import missing_item_prefill

        try:
            info = read_notification(self.db, notification_id)
            prefill = None
            if then == "add_product" and info.missing_item_open:
                prefill = missing_item_prefill(self.db, notification_id)
        except (LookupError, ValueError, *database_faults()) as exc:
            self.app.call_from_thread(self.app.notify, plain(exc), severity="error", markup=False)
            return
        self.app.call_from_thread(self._act, info, then, prefill)

    def _act(self, info: NotificationInfo, then: str, prefill: dict | None) -> None:
        if then == "detail":
            self.app.push_screen(NotificationDetail(info), self._detail_done)
        elif then == "open_po":
            self._open_po(info)
        elif then == "add_product":
            self._add_product(info, prefill)
        elif then == "reprocess":
            if not info.reprocessable:
                why = "was re-processed already" if info.resolved else "is not bad partner data"
                self.app.notify(f"This notification {why}", severity="warning", markup=False)
                return
            self.app.notify("Re-processing…", timeout=2, markup=False)
            self._reprocess(info.quarantine_id)

    @work(exclusive=True, group="notifications-reprocess", exit_on_error=False)
    async def _reprocess(self, quarantine_id: int) -> None:
        """Fetch the entry again and apply it (network and database work off the UI thread)."""
        from posync_tui.feed_reprocess import reprocess_entry

        try:
            message = await reprocess_entry(self.rt, quarantine_id)
        except (LookupError, ValueError, ConnectorError, *database_faults()) as exc:
            self.app.notify(plain(exc), severity="error", markup=False)  # a fault: rolled back
            return
        self.app.notify(message, markup=False)

    def _detail_done(self, choice: str | None) -> None:
        if choice is not None and self.table.cursor_key is not None:
            if choice == "review":
                self._review([self.table.cursor_key])
            else:
                self._with_info(self.table.cursor_key, choice)

    def _open_po(self, info: NotificationInfo) -> None:
        if info.po_id is None:
            self.app.notify("This notification is not about a PO", severity="warning")
            return
        self.post_message(OpenPurchaseOrder(info.po_id))

    def _add_product(self, info: NotificationInfo, prefill: dict | None) -> None:
        if info.kind != NotificationKind.MISSING_ITEM:
            self.app.notify("Only a missing item can be added", severity="warning")
            return
        if prefill is None:
            self.app.notify("This missing item was already added", severity="warning")
            return
        from screens.product_form import ProductForm  # loaded when first needed

        title = f"{info.vendor or ''}  {info.po_number or ''}".strip()
        form = ProductForm(self.db, info.id, prefill, title)
        self.app.push_screen(form, self._product_added)

    def _product_added(self, sku: str | None) -> None:
        if sku is not None:
            self.app.notify(f"Added {sku}; the PO line is complete")


class NotificationDetail(ModalScreen[str | None]):
    """One notification in full; dismisses with the action chosen (or None)."""

    BINDINGS = [
        Binding("escape,enter", "dismiss(None)", "Close"),
        Binding("r", "dismiss('review')", "Reviewed"),
        Binding("o", "dismiss('open_po')", "Open PO"),
        Binding("plus", "dismiss('add_product')", "Add item"),
        Binding("t", "dismiss('reprocess')", "Re-process"),
    ]
    DEFAULT_CSS = """
    NotificationDetail { align: center middle; }
    NotificationDetail > Vertical {
        width: 72; max-width: 100%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    NotificationDetail Static { height: auto; }
    NotificationDetail #message { padding: 1 0; }
    """

    def __init__(self, info: NotificationInfo):
        super().__init__()
        self.info = info

    def compose(self) -> ComposeResult:
        info = self.info
        state = "reviewed" if info.reviewed else "not reviewed"
        if info.kind == NotificationKind.MISSING_ITEM:
            state += ", product added" if info.resolved else ", product not added yet"
        elif info.quarantine_id is not None:
            state += ", re-processed" if info.resolved else ", set aside: t re-processes it"
        with Vertical() as box:
            box.border_title = Content(f"Syncing notification · {info.kind.value}")
            yield Static(Content(timefmt.local(info.created_at)))
            yield Static(safe(f"Vendor: {info.vendor or '—'}   PO: {info.po_number or '—'}"))
            yield Static(safe(info.message), id="message")
            yield Static(Content.styled(state, "italic"))
        yield KeyBar()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action != "dismiss" or not parameters:
            return True
        if parameters[0] == "open_po":
            return self.info.po_id is not None
        if parameters[0] == "add_product":
            return self.info.missing_item_open
        if parameters[0] == "reprocess":
            return self.info.reprocessable
        if parameters[0] == "review":
            return not self.info.reviewed
        return True
