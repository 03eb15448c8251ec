"""The Master data tab: what Ovotrack does not have yet, and the Enable Warehouse Interface flags.

Ovotrack seed: "The customer location and item must exist in the Ovotrack database. That means
they need to have been sent to Ovotrack from CONNECT." The top list names every enabled Ship To
location and every item on a line marked Send that was never sent (``warehouse_master``); m sends
them all (asked first, naming the counts) and the lists re-read as posync remembers each. Below,
the customer locations with their flags: w turns Enable Warehouse Interface on or off for the
marked locations (or the cursor's); d edits the divisions' flags.
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
from textual.widgets import DataTable, Static

from posync_tui.failures import database_faults, plain
from screens.confirm import Confirm
from screens.paged_table import PagedList, PagedTable
from screens.safe_text import safe

if TYPE_CHECKING:
    from posync_tui.runtime import Runtime
    from posync_tui.services.warehouse_master import Unsent

KINDS = ("customer_location", "division", "item", "sales_order")


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'s' if n != 1 else ''}"


class WarehouseMasterData(Vertical):
    DEFAULT_CSS = """
    WarehouseMasterData { height: 1fr; }
    WarehouseMasterData > #unsent-summary { height: 1; padding: 0 1; }
    WarehouseMasterData > DataTable { height: auto; max-height: 5; }
    """
    BINDINGS = [
        Binding("m", "send_master_data", "Send to Ovotrack"),
        Binding("w", "toggle_interface", "Interface on/off"),
        Binding("d", "divisions", "Divisions"),
    ]

    @dataclass
    class _Unsent(Message):
        locations: list[Unsent]
        items: list[Unsent]

    def __init__(self) -> None:
        super().__init__()
        self.rt: Runtime | None = None
        self.unsent: DataTable = DataTable(cursor_type="row", show_cursor=False)
        self.locations = PagedTable(title="Customer locations · Enable Warehouse Interface")
        self.table = self.locations  # what the tab focuses
        self.locations_unsent: list[Unsent] = []
        self.items_unsent: list[Unsent] = []
        self.sending = False

    def compose(self) -> ComposeResult:
        yield Static("Not in Ovotrack: …", id="unsent-summary")
        self.unsent.add_column("Kind", key="kind", width=9)
        self.unsent.add_column("Code", key="code", width=16)
        self.unsent.add_column("Name", key="name")
        yield self.unsent
        yield PagedList(self.locations)

    def attach(self, rt: Runtime) -> None:
        from posync_tui.services.customer_locations import LocationSource, location_view

        self.rt = rt
        self.locations.set_source(LocationSource(rt.db.engine), location_view())
        self._read()

    def on_change(self, kind: str) -> None:
        if kind in KINDS and self.rt is not None:
            self._read()
            self.locations.refresh_rows()

    @work(thread=True, exclusive=True, exit_on_error=False, group="master-data-read")
    def _read(self) -> None:
        from posync_tui.services.warehouse_master import unsent_items, unsent_locations

        assert self.rt is not None
        self.post_message(self._Unsent(unsent_locations(self.rt.db), unsent_items(self.rt.db)))

    @on(_Unsent)
    def _show(self, message: _Unsent) -> None:
        self.locations_unsent, self.items_unsent = message.locations, message.items
        self.unsent.clear()
        for kind, rows in (("Location", message.locations), ("Item", message.items)):
            for each in rows:
                cells = (kind, safe(each.code, one_line=True), safe(each.name, one_line=True))
                self.unsent.add_row(*cells)
        count = len(message.locations) + len(message.items)
        summary = self.query_one("#unsent-summary", Static)
        if not count:
            summary.update(
                Content.styled("Ovotrack has every location and item it needs.", "$success")
            )
        else:
            words = f"Not in Ovotrack: {_plural(len(message.locations), 'customer location')}"
            words += f" · {_plural(len(message.items), 'item')} — m sends them"
            summary.update(Content.styled(words, "$warning"))
        self.unsent.display = bool(count)

    # --- sending --------------------------------------------------------------------------------

    def action_send_master_data(self) -> None:
        if self.rt is None or self.sending:
            return
        locations, items = len(self.locations_unsent), len(self.items_unsent)
        if not locations and not items:
            self.notify("Ovotrack already has every location and item it needs.")
            return
        question = (
            f"Send {_plural(locations, 'customer location')} and {_plural(items, 'item')} "
            "to Ovotrack?"
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._send([u.id for u in self.locations_unsent], [u.id for u in self.items_unsent])

        self.app.push_screen(Confirm(question, yes="Send", title="Ovotrack"), answered)

    @work(group="master-data-send", exit_on_error=False)
    async def _send(self, location_ids: list[int], item_ids: list[int]) -> None:
        from posync_tui.services.warehouse_master import send_master_data

        assert self.rt is not None
        self.sending = True
        self.notify("Sending master data to Ovotrack…")
        try:
            sent = await send_master_data(self.rt, location_ids=location_ids, item_ids=item_ids)
        except Exception as exc:  # noqa: BLE001 - what was sent is remembered; the rest stays
            self.notify(
                f"Master data not all sent: {plain(exc)}", title="Ovotrack", severity="error"
            )
        else:
            self.notify(sent.summary, title="Ovotrack")
        finally:
            self.sending = False

    # --- the flags ------------------------------------------------------------------------------

    def action_toggle_interface(self) -> None:
        """Flip Enable Warehouse Interface on the marked locations (or the cursor's): on for all
        when the cursor's is off, else off for all."""
        if self.rt is None:
            return
        ids = self.locations.selected_keys()
        row = self.locations.cursor_row
        if not ids or row is None:
            return
        on = not row.data["interface"]
        self._set_locations(ids, on)
        self.locations.clear_marks()

    @work(thread=True, group="master-data-flags", exit_on_error=False)
    def _set_locations(self, ids: list[int], on: bool) -> None:
        from posync_tui.services.customer_locations import set_location_flags

        assert self.rt is not None
        state = "on" if on else "off"
        try:
            changed = set_location_flags(self.rt.db, ids, on)
        except database_faults() as exc:  # rolled back: no location's flag changed
            self.app.call_from_thread(
                self.notify,
                f"Enable Warehouse Interface not set {state}: {plain(exc)}",
                severity="error",
                markup=False,
            )
            return
        self.app.call_from_thread(
            self.notify, f"Enable Warehouse Interface {state} for {_plural(changed, 'location')}."
        )

    @work(group="master-data-divisions", exit_on_error=False)
    async def action_divisions(self) -> None:
        if self.rt is None:
            return
        from posync_tui.services.customer_locations import division_flags
        from screens.warehouse_divisions import DivisionFlags

        try:
            flags = await asyncio.to_thread(division_flags, self.rt.db)
        except database_faults() as exc:
            self.notify(f"Cannot read the divisions: {plain(exc)}", severity="error", markup=False)
            return
        self.app.push_screen(DivisionFlags(self.rt.db, flags))
