"""One upload queue tab of the Accounting screen: its paged table and the lines under it.

The lines under the table explain the cursor's PO: its whole reference (and the 21 characters
QuickBooks gets when it is longer), then why it is not ready, or QuickBooks' error in plain
words. Keys: u Upload Selected, U Upload All (Re-sync on the Errors tabs), r reset for
re-import; the body (``AccountingQueues``) asks for confirmation and does the work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from screens.messages import OpenPurchaseOrder
from screens.paged_table import PagedList, PagedTable
from screens.safe_text import safe
from screens.selection import Selection

if TYPE_CHECKING:
    from posync_tui.runtime import Runtime
    from posync_tui.services.accounting import QueueRow

# tab id → (the tab's label, short enough for 80 columns; the seed's name, on the table)
TABS = {
    "supplier_invoices": ("Invoices", "Purchases › Supplier Invoices"),
    "purchase_orders": ("POs", "Purchases › Purchase Orders"),
    "errors_supplier_invoices": ("Invoice errors", "Errors › Supplier Invoices"),
    "errors_purchase_orders": ("PO errors", "Errors › Purchase Orders"),
    "contacts": ("Contacts", "Contacts"),
    "settings": ("Settings", "Settings"),
    "discrepancies": ("Diff", "Discrepancies"),
}
KIND_WORDS = {"bill": "bills", "purchase_order": "purchase orders"}


def explain(row: QueueRow, errors_tab: bool) -> Content:
    """The lines under a queue: the whole reference, then why the PO is (not) ready."""
    from posync_tui.services.accounting_queues import CODE_WORDS, plain_error

    parts = [safe(row.number, "bold", one_line=True), Content(" ")]
    if row.reference != row.number or row.truncated:
        parts.append(safe(f"· Reference {row.reference}", one_line=True))
        if row.truncated:
            parts.append(safe(f" → QuickBooks gets {row.doc_number}", one_line=True))
        parts.append(Content("\n"))
    if row.upload_state == "decision":
        from screens.accounting_decide import HINT

        parts.append(Content.styled("Needs a decision: ", "bold $error"))
        parts.append(Content(f"{row.error} " if row.error else ""))
        parts.append(Content(HINT))
    elif errors_tab or row.upload_state == "error":
        words = CODE_WORDS.get(row.error_code or "", "")
        code = f"{row.error_code} ({words})" if words and row.error_code != "not ready" else ""
        title = f"QuickBooks error {code}: " if code else "Not ready when sent: "
        parts.append(Content.styled(title, "bold $error"))
        said = plain_error(row.error_code, row.error)
        parts.append(safe(said if said.endswith((".", "!", "?")) else f"{said}."))
        parts.append(Content(" Fix the PO (enter), then re-sync it (u)."))
    elif row.upload_state == "waiting":
        parts.append(Content("Waiting to upload to QuickBooks."))
    elif row.blockers:
        parts.append(Content.styled("Not ready: ", "bold $warning"))
        parts.append(safe(" ".join(row.blockers)))
    else:
        parts.append(Content.styled("Ready to upload.", "$success"))
    return Content.assemble(*parts)


def _status_style(row, column) -> str | None:
    if column.key == "status":
        text = row.data.get("status")
        if text == "ready":
            return "green"
        if text and text != "sending":
            return "yellow"
    if column.key == "reference" and row.data.get("queue") and row.data["queue"].truncated:
        return "underline"  # longer than QuickBooks' 21 characters: see the DocNumber
    if column.key in ("code", "error"):
        return "red"
    return None


class QueuePane(Vertical):
    """One upload queue: its paged table and the line explaining the cursor's row."""

    DEFAULT_CSS = """
    QueuePane { height: 1fr; }
    QueuePane > .queue-detail { height: 3; padding: 0 1; }
    """
    BINDINGS = [
        Binding("u", "upload(False)", "Upload sel"),
        Binding("U", "upload(True)", "Upload all"),
        Binding("r", "reset", "Reset"),
    ]

    @dataclass
    class UploadRequested(Message):
        """Upload (or re-sync) the selected POs; None: every row of the queue."""

        pane: QueuePane
        selection: Selection | None

    @dataclass
    class ResetRequested(Message):
        selection: Selection

    def __init__(self, tab: str):
        super().__init__(id=f"{tab}-pane")
        from posync_tui.services.accounting import QueueTab

        self.tab = QueueTab(tab)
        self.errors = tab.startswith("errors_")
        self.table = PagedTable(title=TABS[tab][1], cell_style=_status_style)
        self.detail = Static("", classes="queue-detail")

    def compose(self) -> ComposeResult:
        yield PagedList(self.table)
        yield self.detail

    def attach(self, rt: Runtime, setting_on: bool) -> None:
        from posync_tui.services.accounting_queues import QueueSource, default_view

        source = QueueSource(rt.db.engine, self.tab, setting_on=setting_on)
        self.table.set_source(source, self.table.view or default_view())

    @on(PagedTable.CursorMoved)
    def _explain(self, message: PagedTable.CursorMoved) -> None:
        message.stop()
        row = self.table.cursor_row
        if row is None:
            self.detail.update(Content("Nothing here." if self.table.row_count == 0 else ""))
            return
        self.detail.update(explain(row.data["queue"], self.errors))

    @on(PagedTable.RowSelected)
    def _open(self, event: PagedTable.RowSelected) -> None:
        event.stop()
        self.post_message(OpenPurchaseOrder(event.key))  # fix it there, then re-sync here

    def action_upload(self, everything: bool) -> None:
        selection = None if everything else self.table.selection()
        self.post_message(self.UploadRequested(self, selection))

    def action_reset(self) -> None:
        self.post_message(self.ResetRequested(self.table.selection()))


class ErrorsPane(QueuePane):
    DEFAULT_CSS = "ErrorsPane > .queue-detail { height: 4; }"
    BINDINGS = [
        Binding("u", "upload(False)", "Re-sync sel"),
        Binding("U", "upload(True)", "Re-sync all"),
        # An upload waiting for a decision: its line says these keys.
        Binding("l", "decide('look_up')", "Look up again", show=False),
        Binding("g", "decide('send')", "Send again", show=False),
        Binding("d", "decide('done')", "Mark done", show=False),
        Binding("x", "decide('cancel')", "Cancel upload", show=False),
    ]

    @dataclass
    class DecisionRequested(Message):
        po_id: int
        number: str
        decision: str

    def action_decide(self, decision: str) -> None:
        row = self.table.cursor_row
        if row is None or row.data["queue"].upload_state != "decision":
            self.app.notify("This upload is not waiting for a decision.", severity="warning")
            return
        self.post_message(self.DecisionRequested(row.key, row.data["number"], decision))
