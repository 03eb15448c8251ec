"""EDI documents (Onetrail seed): every interchange in and out, newest first.

Columns: when, direction, type, partner, control reference, PO, status. The line under the
table says what went wrong with a failed one (the parse or business error and the segment at
fault). enter shows the raw message (as safe text: control characters as visible signs);
t re-processes a failed inbound interchange after a fix (e.g. its PO corrected), or releases
the held bill of an invoice once its charge type is set up; f shows only the failed ones;
o opens the PO; x shows all again; c opens the EDI setup (charge types and payment terms);
g fetches now (sends what waits, takes in the hub's inbox).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from posync_tui import timefmt
from posync_tui.failures import database_faults, plain
from posync_tui.paging import Column, Row, View
from posync_tui.services.edi_documents import (
    DocumentInfo,
    EdiDocumentSource,
    default_view,
    read_document,
)
from screens.key_bar import KeyBar
from screens.messages import OpenPurchaseOrder
from screens.paged_table import PagedList, PagedTable
from screens.safe_text import safe

if TYPE_CHECKING:
    from posync_tui.events import Change
    from posync_tui.runtime import Runtime

REFRESH_KINDS = ("edi_document", "purchase_order", "vendor")


def failed_style(row: Row, column: Column) -> str | None:
    return "bold red" if row.data.get("status") == "failed" and column.key == "status" else None


class EdiDocuments(Vertical):
    DEFAULT_CSS = """
    EdiDocuments { height: 1fr; }
    EdiDocuments > #error { height: 3; padding: 0 1; background: $panel; }
    """
    BINDINGS = [
        Binding("t", "reprocess", "Re-process"),
        Binding("o", "open_po", "Open PO"),
        Binding("f", "failed", "Failed only"),
        Binding("c", "setup", "Setup"),
        Binding("g", "fetch_now", "Fetch now"),
        Binding("x", "clear_filters", "All", show=False),
    ]

    @dataclass
    class _Changed(Message):
        change: Change

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, EdiDocuments._Changed)

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.table = PagedTable(title="EDI documents", cell_style=failed_style)
        self.rt: Runtime | None = None

    def compose(self) -> ComposeResult:
        yield PagedList(self.table)
        yield Static(id="error")

    def attach(self, rt: Runtime) -> None:
        self.rt = rt
        self.table.set_source(EdiDocumentSource(rt.db.engine), default_view())

    def on_change(self, change: Change) -> None:
        if change.kind in REFRESH_KINDS:
            self.post_message(self._Changed(change))

    @on(_Changed)
    def _refresh(self, message: _Changed) -> None:
        self.table.refresh_rows(None)

    def focus_table(self) -> None:
        self.table.focus()

    @on(PagedTable.CursorMoved)
    def _show_error(self, event: PagedTable.CursorMoved) -> None:
        row = self.table.cursor_row
        text = Content("")
        if row is not None and row.data.get("error"):
            where = f" at {row.data['position']}" if row.data.get("position") else ""
            hint = "  (t re-processes it after a fix)" if row.data.get("direction") == "in" else ""
            text = Content.assemble(safe(f"{row.data['error']}{where}"), (hint, "italic"))
        self.query_one("#error", Static).update(text)

    def action_failed(self) -> None:
        view = self.table.view
        if view is not None:
            self.table.set_view(view.with_filter("failed", None if view.filter("failed") else True))

    def action_clear_filters(self) -> None:
        view = self.table.view
        if view is not None:
            self.table.set_view(View(sort=view.sort, descending=view.descending, text=view.text))

    def action_fetch_now(self) -> None:
        """Send what waits and take in the hub's inbox now (the "edi_hub" job)."""
        self.app.action_run_now("edi_hub")

    def action_setup(self) -> None:
        from screens.edi_setup import EdiSetup  # loaded when first needed

        if self.rt is not None:
            self.app.push_screen(EdiSetup(self.rt.db))

    @on(PagedTable.RowSelected)
    def _open(self, event: PagedTable.RowSelected) -> None:
        event.stop()
        self._with_document(event.key, "show")

    def action_open_po(self) -> None:
        if self.table.cursor_key is not None:
            self._with_document(self.table.cursor_key, "open_po")

    def action_reprocess(self) -> None:
        if self.table.cursor_key is not None:
            self._with_document(self.table.cursor_key, "reprocess")

    @work(thread=True, exclusive=True, group="edi-documents-read", exit_on_error=False)
    def _with_document(self, document_id: int, then: str) -> None:
        assert self.rt is not None
        try:
            info = read_document(self.rt.db, document_id)
        except (LookupError, *database_faults()) as exc:
            self.app.call_from_thread(self.app.notify, plain(exc), severity="error", markup=False)
            return
        self.app.call_from_thread(self._act, info, then)

    def _act(self, info: DocumentInfo, then: str) -> None:
        if then == "show":
            self.app.push_screen(RawDocument(info))
        elif then == "open_po":
            if info.po_id is None:
                self.app.notify("This interchange names no PO of posync's", severity="warning")
            else:
                self.post_message(OpenPurchaseOrder(info.po_id))
        elif not info.reprocessable:
            self._release(info.id)
        else:
            self.app.notify("Re-processing…", timeout=2, markup=False)
            self._reprocess(info.id)

    @work(thread=True, exclusive=True, group="edi-documents-release", exit_on_error=False)
    def _release(self, document_id: int) -> None:
        """t on an invoice whose bill is held: release it once its charge types are set up."""
        from posync_tui.services.edi_invoice import held_bill_of, release

        assert self.rt is not None
        try:
            bill_id = held_bill_of(self.rt.db, document_id)
            if bill_id is None:
                text, severity = (
                    "Only a failed inbound interchange or a held bill can be taken again",
                    "warning",
                )
            else:
                text, severity = release(self.rt.db, bill_id), "information"
        except ValueError as exc:
            text, severity = str(exc), "error"
        except database_faults() as exc:  # rolled back: the bill stays held
            text, severity = f"Not released: {plain(exc)}", "error"
        self.app.call_from_thread(self.app.notify, text, severity=severity, markup=False)

    @work(exclusive=True, group="edi-documents-reprocess", exit_on_error=False)
    async def _reprocess(self, document_id: int) -> None:
        import asyncio

        from posync_tui.services.edi_sync import quarantine_of, reprocess

        assert self.rt is not None
        try:
            quarantine_id = await asyncio.to_thread(quarantine_of, self.rt.db, document_id)
            message = await reprocess(self.rt.db, quarantine_id)
        except (LookupError, ValueError) as exc:
            self.app.notify(str(exc), severity="error", markup=False)
            return
        except database_faults() as exc:  # rolled back: the interchange stays set aside
            self.app.notify(f"Not re-processed: {plain(exc)}", severity="error", markup=False)
            return
        self.app.notify(message, markup=False)


class RawDocument(ModalScreen[None]):
    """One interchange in full: its raw text, one segment a line, and what went wrong."""

    BINDINGS = [Binding("escape,enter", "dismiss(None)", "Close")]
    DEFAULT_CSS = """
    RawDocument { align: center middle; }
    RawDocument > Vertical {
        width: 78; max-width: 100%; height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    RawDocument Static { height: auto; }
    RawDocument VerticalScroll { height: 1fr; }
    """

    def __init__(self, info: DocumentInfo):
        super().__init__()
        self.info = info

    def compose(self) -> ComposeResult:
        info = self.info
        with Vertical() as box:
            box.border_title = safe(
                f"{info.message_type} {info.control_ref} · {info.direction}", one_line=True
            )
            yield Static(
                safe(
                    f"{timefmt.local(info.created_at)} · {info.partner or '—'} · "
                    f"PO {info.po_number or '—'} · {info.status}"
                )
            )
            if info.error:
                where = f" at {info.position}" if info.position else ""
                yield Static(safe(f"{info.error}{where}"), classes="error")
            with VerticalScroll():
                yield Static(safe(_segments(info.raw)), id="raw")
        yield KeyBar()


def _segments(raw: str) -> str:
    """One segment a line, when the default terminator is used (else the text as it came)."""
    return raw.replace("'", "'\n") if "\n" not in raw else raw
