"""The PO detail: header, lines, what the supplier sync changed, and the PO's notifications.

Pushed on the purchase-order area's stack (``PurchaseOrderDetail(po_id)``); live: it re-reads
the PO whenever a change to it is committed, here or in another console. The last-synced date
is red when the supplier notified after the last successful sync; ``i`` (or the cursor on the
date) tells when the supplier last notified, as the seed's hover does. ``r`` fetches the
supplier order now. Fields the supplier sync fills are read-only once the PO has synced; enter
on any other field or line cell edits it in place, and on a line's special-order cell (yellow)
picks one of the matching open special orders for that item. The Accounting tab
(``po_accounting``) shows and edits the PO's side in QuickBooks; the P21 tab (``po_p21``) its
export to Prophet 21 and the backordered sales-order lines it is linked to (``X`` exports it).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static, TabbedContent, TabPane
from textual.worker import get_current_worker

from posync_tui import timefmt
from posync_tui.failures import database_faults, plain
from posync_tui.models import EdiSubmitStatus
from posync_tui.services import edi_submit
from posync_tui.services.edi_po import read_po_edi
from posync_tui.services.po_detail import DetailLine, PODetail, load_po_detail
from screens import po_render as render
from screens.key_bar import KeyBar
from screens.messages import Changed, CountsChanged, HealthChanged, RuntimeReady
from screens.po_accounting import AccountingPane
from screens.po_actions import (
    LOCKED_REASON,
    EditTarget,
    SpecialOrderPick,
    SpecialOrderPicker,
    as_text,
    edit_help,
    label,
    parse_value,
    refresh_summary,
)
from screens.po_edi import AmendmentsPane, EdiPane
from screens.po_p21 import P21Pane
from screens.po_widgets import EditBar, FieldGrid, LineTable, refill
from screens.safe_text import safe
from screens.shell import TitleBar
from screens.status_line import StatusLine

TABS = ("lines-tab", "audit-tab", "notices-tab", "accounting-tab", "p21-tab")
EDI_TABS = ("edi-tab", "amendments-tab")  # added for a PO of a vendor enabled for EDI


class PurchaseOrderDetail(Screen):
    AREA = "PO detail"
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("r", "refresh_po", "Refresh"),
        Binding("h", "toggle_cancelled", "Cancelled"),
        Binding("i", "notified", "Notified"),
        Binding("t", "next_tab", "Tab"),
        Binding("X", "export_p21", "Export to P21", show=False),
        # EDI (Onetrail seed): on the EDI tab's summary, not the key bar.
        Binding("S", "edi_submit", "Save & Submit EDI", show=False),
    ]
    DEFAULT_CSS = """
    PurchaseOrderDetail #banner { display: none; }
    PurchaseOrderDetail #banner.shown { display: block; }
    PurchaseOrderDetail #hint { height: auto; max-height: 3; padding: 0 1; color: $text-muted; }
    PurchaseOrderDetail #hint.error { color: $error; text-style: bold; }
    PurchaseOrderDetail TabbedContent { height: 1fr; }
    PurchaseOrderDetail TabPane { padding: 0; }
    PurchaseOrderDetail DataTable { height: 1fr; }
    """

    @dataclass
    class _Loaded(Message):
        generation: int
        detail: PODetail | None
        error: str | None = None

    def __init__(self, po_id: int, *, back_to: str | None = None):
        super().__init__()
        self.po_id = po_id
        self.back_to = back_to  # the area (mode) escape returns to, when not the PO list
        self.detail: PODetail | None = None
        self.show_cancelled = False
        self._generation = 0
        self._shown_generation = 0
        self._editing: EditTarget | None = None
        self._submitting = False  # Save & Submit queued: the outcome is said when it is read
        self._last_cell: tuple[str | None, str | None] | None = None

    # --- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TitleBar("Purchase orders › …")
        yield Static(id="banner", classes="warning-banner")
        yield FieldGrid(id="header")
        yield Static(id="hint")
        with TabbedContent(id="tabs"):
            with TabPane("Lines", id="lines-tab"):
                yield LineTable(id="lines", cursor_type="cell", zebra_stripes=False)
            with TabPane("Changes", id="audit-tab"):
                yield DataTable(id="audit", cursor_type="row")
            with TabPane("Notices", id="notices-tab"):
                yield DataTable(id="notices", cursor_type="row")
            with TabPane("Accounting", id="accounting-tab"):
                yield AccountingPane(id="accounting")
            with TabPane("P21", id="p21-tab"):
                yield P21Pane(id="p21")
        yield EditBar(id="editor")
        yield StatusLine()
        yield KeyBar()

    def on_mount(self) -> None:
        lines = self.query_one("#lines", DataTable)
        for key, text, width, _ in render.COLUMNS:
            lines.add_column(render.heading(key, text, width), key=key, width=width)
        for table_id, columns in (
            ("#audit", render.AUDIT_COLUMNS),
            ("#notices", render.NOTICE_COLUMNS),
        ):
            table = self.query_one(table_id, DataTable)
            for key, text, width in columns:
                table.add_column(text, key=key, width=width)
        lines.focus()
        self.app.register_live_screen(self)  # posts RuntimeReady when the database is ready

    def on_unmount(self) -> None:
        self.app.unregister_live_screen(self)

    # --- live ------------------------------------------------------------------------------

    def on_runtime_ready(self, _message: RuntimeReady) -> None:
        self.load()

    def on_health_changed(self, message: HealthChanged) -> None:
        self.query_one(StatusLine).show(message.connectors)

    def on_counts_changed(self, message: CountsChanged) -> None:
        self.query_one(TitleBar).set_counts(message.counts)

    def on_changed(self, message: Changed) -> None:
        ids = message.ids
        mine = (
            (message.kind == "purchase_order" and (not ids or self.po_id in ids))
            or message.kind in ("notification", "item", "backorder_link")
            or (
                message.kind == "vendor"
                and self.detail
                and (not ids or self.detail.vendor_id in ids)
            )
        )
        if mine:
            self.load()

    def load(self) -> None:
        if self.app.runtime is None:
            return
        self._generation += 1
        self._read(self._generation)

    @work(thread=True, exclusive=True, group="po-detail-read", exit_on_error=False)
    def _read(self, generation: int) -> None:
        try:
            rt = self.app.runtime
            detail = load_po_detail(rt.db, self.po_id, settings=rt.settings)
        except LookupError as exc:
            self.post_message(self._Loaded(generation, None, f"{exc} (it was deleted)"))
            return
        except database_faults() as exc:
            self.post_message(self._Loaded(generation, None, f"Cannot read: {plain(exc)}"))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self._Loaded(generation, detail))

    @on(_Loaded)
    def _loaded(self, message: _Loaded) -> None:
        if message.generation < self._shown_generation:
            return  # an older read finished after a newer one: drop it
        self._shown_generation = message.generation
        if message.detail is None:
            self._hint(message.error or "", error=True)
            return
        self.detail = message.detail
        self._show(message.detail)

    # --- showing ---------------------------------------------------------------------------

    def _show(self, d: PODetail) -> None:
        self.query_one(TitleBar).set_area(f"Purchase orders › {d.number}")
        self._show_banner(d)
        self.query_one("#header", FieldGrid).set_fields(render.header_fields(d))
        self._fill_lines(d)
        refill(
            self.query_one("#audit", DataTable),
            ((str(a.id), render.audit_cells(a)) for a in d.audit),
        )
        refill(
            self.query_one("#notices", DataTable),
            ((str(n.id), render.notice_cells(n)) for n in d.notifications),
        )
        self.query_one(AccountingPane).show(d)
        self.query_one(P21Pane).show(self.app.runtime, self.po_id)
        self._read_edi()
        tabs = self.query_one(TabbedContent)
        tabs.get_tab("audit-tab").label = f"Changes ({d.audit_total})"
        tabs.get_tab("notices-tab").label = f"Notices ({len(d.notifications)})"
        hidden = f", {d.hidden_lines} cancelled" if d.hidden_lines else ""
        tabs.get_tab("lines-tab").label = f"Lines ({len(d.lines) - d.hidden_lines}{hidden})"

    def _show_banner(self, d: PODetail) -> None:
        content = render.banner(d)
        banner = self.query_one("#banner", Static)
        banner.update(content or "")
        banner.set_class(content is not None, "shown")

    def _fill_lines(self, d: PODetail) -> None:
        shown = (ln for ln in d.lines if self.show_cancelled or not ln.hidden)
        refill(
            self.query_one("#lines", DataTable),
            ((str(ln.id), render.line_cells(ln)) for ln in shown),
        )

    @on(AccountingPane.Said)
    @on(P21Pane.Said)
    @on(EdiPane.Said)
    def _hint_said(self, message: AccountingPane.Said | P21Pane.Said | EdiPane.Said) -> None:
        self._hint(message.text, error=message.error)

    def _hint(self, text: str | Content, *, error: bool = False) -> None:
        hint = self.query_one("#hint", Static)
        hint.update(text if isinstance(text, Content) else safe(text))
        hint.set_class(error, "error")

    # --- what the cursor is on -------------------------------------------------------------

    @on(FieldGrid.Highlighted)
    def _header_highlighted(self, event: FieldGrid.Highlighted) -> None:
        d = self.detail
        if d is None:
            return
        self._hint(render.describe_field(d, event.key))

    @on(DataTable.CellHighlighted, "#lines")
    def _cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        table = event.data_table
        key = table.coordinate_to_cell_key(table.cursor_coordinate)
        if table.has_focus and (key.row_key.value, key.column_key.value) != self._last_cell:
            # (A re-read that puts the cursor back leaves what the hint says.)
            self._describe(table)

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.has_focus:
            self._describe(event.data_table)

    def on_descendant_focus(self, event) -> None:
        if isinstance(event.widget, DataTable):
            self._describe(event.widget)

    def _describe(self, table: DataTable) -> None:
        """What the hint line says about the cursor's line cell, change or notification."""
        if self.detail is None or not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate)
        row = key.row_key.value
        if table.id == "lines":
            self._last_cell = (row, key.column_key.value)
            line = self._line(row)
            if line is not None:
                field = render.COLUMN_FIELD.get(key.column_key.value)
                self._hint(render.describe_cell(self.detail, line, field))
        elif table.id == "audit":
            entry = next((a for a in self.detail.audit if str(a.id) == row), None)
            if entry is not None:
                self._hint(render.describe_audit(entry))
        elif table.id == "notices":
            note = next((n for n in self.detail.notifications if str(n.id) == row), None)
            if note is not None:
                self._hint(note.message)

    def _line(self, line_id: str | None) -> DetailLine | None:
        if self.detail is None or line_id is None:
            return None
        return next((ln for ln in self.detail.lines if str(ln.id) == line_id), None)

    # --- editing ---------------------------------------------------------------------------

    @on(FieldGrid.Selected)
    def _header_selected(self, event: FieldGrid.Selected) -> None:
        d = self.detail
        if d is None:
            return
        key = event.key
        if key in render.NOT_EDITABLE:
            self._refuse(render.NOT_EDITABLE[key])
        elif key in d.locked_fields:
            self._refuse(f"{label(key)} is {LOCKED_REASON}")
        elif key == "auto_sync":
            self._save(EditTarget("auto_sync"), not d.auto_sync)
        else:
            self._open_editor(EditTarget(key), getattr(d, key))

    @on(DataTable.CellSelected, "#lines")
    def _cell_selected(self, event: DataTable.CellSelected) -> None:
        event.stop()
        d = self.detail
        line = self._line(event.cell_key.row_key.value)
        if d is None or line is None:
            return
        column = event.cell_key.column_key.value
        field = render.COLUMN_FIELD.get(column)
        if line.hidden:
            self._refuse(f"Line {line.line_no} was cancelled by the supplier: it cannot be edited")
        elif field is None:
            self._refuse(render.NOT_EDITABLE[column])
        elif field in d.locked_line_fields:
            self._refuse(f"{label(field)} is {LOCKED_REASON}")
        elif field == "special_order_line_id":
            self._pick_special_order(line)
        else:
            self._open_editor(EditTarget(field, line.id, line.line_no), getattr(line, field))

    def _refuse(self, reason: str) -> None:
        self._hint(reason, error=True)
        self.notify(reason, severity="warning")

    def _open_editor(self, target: EditTarget, value: Any) -> None:
        self._editing = target
        self.query_one(EditBar).open(
            f"{target.name.capitalize()}:", as_text(value), edit_help(target.field, target.record)
        )

    @on(Input.Submitted, "#edit-input")
    def _editor_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        target = self._editing
        if target is None:
            return
        try:
            value = parse_value(target.record, target.field, event.value)
        except ValueError as exc:
            self.query_one(EditBar).say(str(exc), error=True)
            return
        self._save(target, value)

    @on(EditBar.Cancelled)
    def _editor_cancelled(self) -> None:
        self._close_editor()

    def _close_editor(self) -> None:
        self._editing = None
        editor = self.query_one(EditBar)
        if editor.is_open:
            editor.close()
            self._focus_active_tab()

    @work(thread=True, exclusive=True, group="po-detail-edit", exit_on_error=False)
    def _save(self, target: EditTarget, value: Any) -> None:
        from posync_tui.services import supplier_sync

        db = self.app.runtime.db
        try:
            if target.line_id is None:
                supplier_sync.edit_po(db, self.po_id, **{target.field: value})
            else:
                supplier_sync.edit_po_line(db, target.line_id, **{target.field: value})
        except (ValueError, LookupError) as exc:  # FieldLocked is a ValueError
            self.app.call_from_thread(self._save_failed, target, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - said at the editor: Enter is never ignored
            self.app.call_from_thread(self._save_failed, target, f"Not saved: {plain(exc)}")
            return
        self.app.call_from_thread(self._saved, target, value)

    def _save_failed(self, target: EditTarget, message: str) -> None:
        editor = self.query_one(EditBar)
        if editor.is_open and self._editing == target:
            editor.say(message, error=True)
        else:
            self._refuse(message)

    def _saved(self, target: EditTarget, value: Any) -> None:
        if self._editing == target:
            self._close_editor()
        shown = as_text(value) or "—"
        if target.field == "auto_sync":
            shown = "on" if value else "off"
        self._hint(f"Saved: {target.name} = {shown}")
        self.notify(f"Saved: {target.name} = {shown}")
        self.load()

    # --- special orders --------------------------------------------------------------------

    def _pick_special_order(self, line: DetailLine) -> None:
        if line.item_id is None:
            self._refuse(
                f"Line {line.line_no}'s item is missing from posync: add it first, then assign "
                "a special order"
            )
            return
        self._read_special_orders(line)

    @work(thread=True, exclusive=True, group="po-detail-special", exit_on_error=False)
    def _read_special_orders(self, line: DetailLine) -> None:
        from posync_tui.services import supplier_sync

        try:
            choices = supplier_sync.matching_special_orders(self.app.runtime.db, line.id)
        except database_faults() as exc:
            self.app.call_from_thread(self._refuse, f"Cannot read the special orders: {plain(exc)}")
            return
        self.app.call_from_thread(self._offer_special_orders, line, choices)

    def _offer_special_orders(self, line: DetailLine, choices) -> None:
        if not choices:
            self._refuse(f"No open special orders for {line.sku} ({line.description})")
            return
        title = f"Special order for line {line.line_no}: {line.sku}"

        def assign(pick: SpecialOrderPick | None) -> None:
            if pick is not None:
                chosen = next(
                    (c for c in choices if c.sales_order_line_id == pick.sales_order_line_id), None
                )
                # The sales order's number, never its internal id.
                name = f"{chosen.sales_order_number}/{chosen.line_no}" if chosen else None
                self._save_special_order(line, pick.sales_order_line_id, name)

        picker = SpecialOrderPicker(title, choices, line.special_order_line_id, line.id)
        self.app.push_screen(picker, assign)

    @work(thread=True, exclusive=True, group="po-detail-edit", exit_on_error=False)
    def _save_special_order(
        self, line: DetailLine, sales_order_line_id: int | None, name: str | None
    ) -> None:
        from posync_tui.services import supplier_sync

        target = EditTarget("special_order_line_id", line.id, line.line_no)
        try:
            supplier_sync.assign_special_order(self.app.runtime.db, line.id, sales_order_line_id)
        except (ValueError, LookupError) as exc:
            self.app.call_from_thread(self._refuse, str(exc))
            return
        except database_faults() as exc:  # rolled back: the line keeps its special order
            self.app.call_from_thread(self._refuse, f"Not saved: {plain(exc)}")
            return
        self.app.call_from_thread(self._saved, target, name)

    # --- actions ---------------------------------------------------------------------------

    def action_back(self) -> None:
        if self._editing is not None:
            self._close_editor()
            return
        self.app.pop_screen()
        if self.back_to is not None:
            self.app.switch_mode(self.back_to)

    def action_refresh_po(self) -> None:
        if self.app.runtime is None:
            return
        self._hint("Fetching the supplier order…")
        self._refresh()

    @work(exclusive=True, group="po-detail-refresh", exit_on_error=False)
    async def _refresh(self) -> None:
        from posync_tui.services import supplier_sync

        try:
            results = await supplier_sync.refresh(self.app.runtime, [self.po_id])
        except Exception as exc:  # noqa: BLE001 - e.g. no supplier configured: shown as is
            self._refuse(f"Refresh failed: {plain(exc)}")
            return
        text, severity = refresh_summary(results)
        (result,) = results
        if result.ok:
            synced = timefmt.local(result.last_synced_at, render.SECONDS)
            text = f"{text}; last synced {synced}"
        self._hint(text, error=not result.ok)
        self.notify(text, severity=severity)
        self.load()

    def action_toggle_cancelled(self) -> None:
        self.show_cancelled = not self.show_cancelled
        if self.detail is None:
            return
        self._fill_lines(self.detail)
        count = self.detail.hidden_lines
        if not count:
            self._hint("No line of this PO was cancelled by the supplier")
        elif self.show_cancelled:
            lines = f"{count} line{'s' if count != 1 else ''}"
            self._hint(f"Showing {lines} cancelled by the supplier (✗); h hides them")
        else:
            self._hint("Lines cancelled by the supplier are hidden; h shows them")

    def action_notified(self) -> None:
        """The seed's hover over the last-synced date: put the cursor on it, say when the
        supplier last notified."""
        grid = self.query_one("#header", FieldGrid)
        grid.move_to("last_synced")
        grid.focus()
        self._hint(render.notified(self.detail))

    def action_export_p21(self) -> None:
        self.query_one(P21Pane).export()

    def action_next_tab(self) -> None:
        tabs = self.query_one(TabbedContent)
        shown = [*TABS, *(t for t in EDI_TABS if tabs.query(f"#{t}"))]
        tabs.active = shown[(shown.index(tabs.active) + 1) % len(shown)]
        self._focus_active_tab()

    def _focus_active_tab(self) -> None:
        active = self.query_one(TabbedContent).active
        self.query_one(f"#{active}").query("DataTable, FieldGrid").first().focus()

    # --- EDI (Onetrail seed) ---------------------------------------------------------------

    @work(thread=True, exclusive=True, group="po-detail-edi", exit_on_error=False)
    def _read_edi(self) -> None:
        self.post_message(EdiPane.Read(read_po_edi(self.app.runtime.db, self.po_id)))

    @on(EdiPane.Read)
    async def _edi_read(self, message: EdiPane.Read) -> None:
        edi = message.edi
        if not edi.shown:
            return
        tabs = self.query_one(TabbedContent)
        if not tabs.query("#edi-tab"):
            await tabs.add_pane(TabPane("EDI", EdiPane(), id="edi-tab"))
            await tabs.add_pane(TabPane("Amendments", AmendmentsPane(), id="amendments-tab"))
        self.query_one(EdiPane).show(edi)
        self.query_one(AmendmentsPane).show(edi)
        tabs.get_tab("amendments-tab").label = f"Amendments ({len(edi.amendments)})"
        if self._submitting and edi.submit_status != EdiSubmitStatus.SUBMITTING:
            self._submitting = False
            failed = edi.submit_status == EdiSubmitStatus.FAILED
            reason = f": {edi.submit_error}" if failed and edi.submit_error else ""
            self._hint(f"{edi.number}: {edi.submit_status}{reason}", error=failed)

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        # The hint said what another tab's cursor was on; the EDI tabs say their own.
        if event.pane.id in EDI_TABS and not self._submitting:
            self._hint("")

    def action_edi_submit(self) -> None:
        if self.app.runtime is None:
            return
        self._hint("Submitting electronically…")
        self._edi_submit()

    @work(exclusive=True, group="po-detail-edi-submit", exit_on_error=False)
    async def _edi_submit(self) -> None:
        rt = self.app.runtime
        try:
            await asyncio.to_thread(edi_submit.submit, rt.db, self.po_id, rt.settings.edi)
        except edi_submit.SubmitRefused as exc:
            self._hint("Cannot submit: " + " ".join(exc.problems), error=True)
            return
        except ValueError as exc:
            self._hint(str(exc), error=True)
            return
        except database_faults() as exc:  # rolled back: nothing queued, the PO as it was
            self._hint(f"Not submitted: {plain(exc)}", error=True)
            return
        self._hint("Submitting: the order goes to the EDI hub")
        self._submitting = True
        self._read_edi()  # the hub may have answered already
        scheduler = getattr(self.app, "scheduler", None)
        if scheduler is not None and edi_submit.CONNECTOR in scheduler.jobs:
            scheduler.run_now(edi_submit.CONNECTOR)
