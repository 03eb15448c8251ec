"""The vendors list: code, name, integration, auto-sync, open POs, last sync, failures.

A body widget the shell mounts (``attach``/``on_change``). ``/`` filters by code, name or
supplier account; enter (or E) opens the Edit Vendor form on the cursor's vendor. A vendor with
POs whose last sync failed shows the count in red.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

from posync_tui.failures import database_faults, plain
from posync_tui.paging import Column, Row
from screens.paged_table import PagedList, PagedTable

if TYPE_CHECKING:  # loaded once the database is ready, not at start-up
    from posync_tui.db import Database
    from posync_tui.events import Change
    from posync_tui.runtime import Runtime
    from posync_tui.services.vendor_list import VendorEdit
    from screens.vendor_form import VendorSaved

# Open POs and failures count purchase orders: their changes change this list too.
KINDS = ("vendor", "purchase_order")


def failures_style(row: Row, column: Column) -> str | None:
    if column.key == "failures" and row.data.get("failures"):
        return "bold red"
    return None


class Vendors(Vertical):
    """The vendors body: a paged table over ``vendor_list``."""

    DEFAULT_CSS = """
    Vendors { height: 1fr; }
    Vendors > #auto-sync-progress { height: 1; padding: 0 1; display: none; }
    """
    BINDINGS = [
        Binding("E", "edit", "Edit vendor", show=False),
        Binding("o", "open_pos", "Open POs"),
    ]

    @dataclass
    class _Changed(Message):
        change: Change

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, Vendors._Changed)  # one re-read per burst

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.table = PagedTable(title="Vendors", cell_style=failures_style)
        self.db: Database | None = None
        self._edit_when_attached: int | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="auto-sync-progress")
        yield PagedList(self.table)

    def attach(self, rt: Runtime) -> None:
        from posync_tui.services.vendor_list import VendorListSource, default_view

        self.db = rt.db
        self.table.set_source(VendorListSource(rt.db.engine), default_view())
        if self._edit_when_attached is not None:
            self.edit(self._edit_when_attached)
            self._edit_when_attached = None

    def on_change(self, change: Change) -> None:
        """A committed change; safe to call from any thread."""
        if change.kind in KINDS:
            self.post_message(self._Changed(change))

    @on(_Changed)
    def _refresh(self, message: _Changed) -> None:
        # A PO change names POs, not vendors: re-read the visible rows either way.
        ids = message.change.ids if message.change.kind == "vendor" else ()
        self.table.refresh_rows(ids or None)

    def focus_table(self) -> None:
        self.table.focus()

    # --- Edit Vendor ---------------------------------------------------------------------------

    @on(PagedTable.RowSelected)
    def _open(self, event: PagedTable.RowSelected) -> None:
        event.stop()
        self.edit(event.key)

    async def action_open_pos(self) -> None:
        """This vendor's purchase orders, in the PO list."""
        row = self.table.cursor_row
        if row is not None:
            await self.app.show_vendor_pos(row.key, row.data.get("code"))

    def action_edit(self) -> None:
        key = self.table.cursor_key
        if key is not None:
            self.edit(key)

    def edit(self, vendor_id: int) -> None:
        """Open the Edit Vendor form (the vendor is read in a thread first)."""
        if self.db is None:
            self._edit_when_attached = vendor_id  # e.g. a jump from the command palette
            return
        self._read_for_form(vendor_id)

    @work(thread=True, exclusive=True, group="vendor-edit", exit_on_error=False)
    def _read_for_form(self, vendor_id: int) -> None:
        from posync_tui.services.vendor_list import read_vendor

        try:
            vendor = read_vendor(self.db, vendor_id)
        except (LookupError, *database_faults()) as exc:
            self.app.call_from_thread(self.app.notify, plain(exc), severity="error", markup=False)
            return
        self.app.call_from_thread(self._show_form, vendor)

    def _show_form(self, vendor: VendorEdit) -> None:
        from screens.vendor_form import VendorForm

        self.app.push_screen(VendorForm(self.db, vendor), self._saved)

    def _saved(self, saved: VendorSaved | None) -> None:
        if saved is None:
            return
        if not saved.pos_auto_synced:
            self.app.notify(f"Saved vendor {saved.code}")
            return
        # The offer accepted: the open POs are synced now, not only flagged (Ascend seed).
        self._sync_open_pos(saved.code, list(saved.pos_auto_synced))

    @work(group="vendor-auto-sync", exit_on_error=False)
    async def _sync_open_pos(self, code: str, po_ids: list[int]) -> None:
        from posync_tui.services import supplier_sync
        from screens.po_actions import auto_sync_summary

        progress = self.query_one("#auto-sync-progress", Static)

        def show(done: int, total: int) -> None:
            progress.update(f"Syncing the open POs of {code} with the supplier… {done}/{total}")

        show(0, len(po_ids))
        progress.display = True
        try:
            results = await supplier_sync.refresh(self.app.runtime, po_ids, progress=show)
        except Exception as exc:  # noqa: BLE001 - e.g. no supplier configured: said as is
            self.app.notify(
                f"Saved vendor {code}; its open POs could not be synced: {plain(exc)}",
                severity="error",
            )
            return
        finally:
            progress.display = False
        text, severity = auto_sync_summary(code, results)
        self.app.notify(text, severity=severity, timeout=12)
