"""Accounting › Settings: where posync books bills and purchase orders in QuickBooks.

One list: the books (expense or Cost of Goods Sold account, A/P account, class, location, terms),
each linked vendor's tax code, then items with their QuickBooks item and their own tax code.
enter on a line reads the matching QuickBooks list (a page at a time, in a worker) and opens it
to choose from by keyboard; ``t`` on an item chooses its own tax code (over its vendor's). Each
choice is stored in posync and recorded in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Static

from posync_tui.failures import database_faults, plain
from screens.accounting_choose import CLEAR, ChooseFromQuickBooks
from screens.rows_pane import RowsPane
from screens.safe_text import safe

if TYPE_CHECKING:
    from connectors.quickbooks import ListEntry
    from posync_tui.services.accounting_mappings import SettingRow


def _cells(row: SettingRow) -> tuple:
    return (
        row.section,
        safe(row.label, one_line=True),
        safe(row.value, one_line=True) if row.value else "—",
    )


def _key(row: SettingRow) -> str:
    return row.key


class SettingsTable(DataTable):
    BINDINGS = [
        Binding("enter", "choose", "Choose"),
        Binding("t", "choose_tax", "Item tax code"),
    ]

    def action_choose(self) -> None:
        self.post_message(SettingsPane.Choose(tax=False))

    def action_choose_tax(self) -> None:
        self.post_message(SettingsPane.Choose(tax=True))


class SettingsPane(RowsPane["SettingRow"]):
    DEFAULT_CSS = """
    SettingsPane { height: 1fr; }
    SettingsPane > SettingsTable { height: 1fr; }
    SettingsPane > #settings-hint { height: 2; padding: 0 1; color: $text-muted; }
    """

    @dataclass
    class Choose(Message):
        tax: bool

    @dataclass
    class _List(Message):
        row: object
        tax: bool
        entries: list
        error: str | None

    def __init__(self) -> None:
        from posync_tui.services.accounting_mappings import settings_rows

        super().__init__(id="settings-pane", read=settings_rows, cells=_cells, key=_key)
        self.lists: dict[str, list[ListEntry]] = {}  # read once per visit of the tab

    def compose(self) -> ComposeResult:
        table = SettingsTable(cursor_type="row", zebra_stripes=True, id="settings-table")
        for label, width in (("Setting", 15), ("Name", 24), ("Chosen in QuickBooks", 33)):
            table.add_column(label, width=width)
        yield table
        yield Static(
            "enter: choose from QuickBooks' list · t: an item's own tax code (over its "
            "vendor's). Lines without a QuickBooks item go to the expense account.",
            id="settings-hint",
        )

    @on(Choose)
    def _choose(self, message: Choose) -> None:
        row = self.current
        if row is None or self.rt is None:
            return
        if message.tax and row.kind != "item":
            self.app.notify("t chooses an item's own tax code: move to an item.", markup=False)
            return
        self.fetch(row, message.tax)

    @work(thread=False, exclusive=True, group="accounting-settings-list", exit_on_error=False)
    async def fetch(self, row: SettingRow, tax: bool) -> None:
        from posync_tui.services.accounting_mappings import entity_of, fetch_list

        entity = "TaxCode" if tax else entity_of(row.kind)
        entries, error = self.lists.get(entity), None
        if entries is None:
            self.query_one("#settings-hint", Static).update(f"Reading QuickBooks' {entity} list…")
            try:
                entries = await fetch_list(self.rt, entity)
            except Exception as exc:  # noqa: BLE001 - shown to the operator
                entries, error = [], plain(exc)
            else:
                self.lists[entity] = entries
        self.post_message(self._List(row, tax, entries, error))

    @on(_List)
    def _open(self, message: _List) -> None:
        from posync_tui.models import MappingKind
        from posync_tui.services.accounting_mappings import fits

        self.query_one("#settings-hint", Static).update(
            "enter: choose from QuickBooks' list · t: an item's own tax code (over its vendor's)."
        )
        if message.error:
            self.app.notify(message.error, title="QuickBooks", severity="error", markup=False)
            return
        row: SettingRow = message.row  # type: ignore[assignment]
        entries = message.entries
        if row.kind in (MappingKind.EXPENSE_ACCOUNT, MappingKind.AP_ACCOUNT):
            entries = [e for e in entries if fits(MappingKind(row.kind), e)]
        what = "tax code" if message.tax else row.label if row.section == "Books" else row.section
        title = f"{what} for {row.label}" if row.section != "Books" else what
        current = (row.tax.qbo_id if row.tax else None) if message.tax else row.current

        def chosen(entry: ListEntry | str | None) -> None:
            if entry is not None:
                self.store(row, message.tax, None if entry == CLEAR else entry)

        self.app.push_screen(ChooseFromQuickBooks(title, entries, current), chosen)

    @work(thread=True, group="accounting-settings-store", exit_on_error=False)
    def store(self, row: SettingRow, tax: bool, entry: ListEntry | None) -> None:
        from posync_tui.models import MappingKind
        from posync_tui.services.accounting_mappings import choose, map_item

        db = self.rt.db
        try:
            if row.kind == "item" and not tax:
                map_item(db, row.record_id, entry)
            elif tax:
                choose(db, MappingKind.TAX_CODE, entry, record_kind="item", record_id=row.record_id)
            else:
                choose(db, row.kind, entry, record_kind=row.record_kind, record_id=row.record_id)
        except database_faults() as exc:  # rolled back: the setting stays as it was
            self.app.call_from_thread(
                self.app.notify,
                f"{row.label}: not changed: {plain(exc)}",
                title="Accounting settings",
                severity="error",
                markup=False,
            )
            return
        what = entry.name if entry else "nothing"
        self.app.call_from_thread(
            self.app.notify, f"{row.label}: {what}", title="Accounting settings", markup=False
        )
        self.app.call_from_thread(self.refresh_rows)
