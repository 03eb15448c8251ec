"""A PO's EDI panes on the PO detail (Onetrail seed), shown for POs of vendors enabled for EDI:

- "EDI": the Submit and Accept statuses, the special pricing and shipment fields, and each
  line's accept status (Accepted, Changed and Accepted, Rejected, Deleted, Added) with its
  ordered, confirmed and despatched quantities;
- "Amendments": every change the supplier made (old → new, message reference, time).

On the EDI tab, E edits the EDI fields until the PO is submitted, and enter on a line sets its
item's MPN (the fix when Save & Submit says a line's item has no MPN). The panes read their own
data (``edi_po.read_po_edi``) in a thread when the PO detail shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Static

from posync_tui import timefmt
from posync_tui.audit import shown
from posync_tui.services.edi_po import PoEdi
from screens.edi_setup import MpnForm
from screens.po_edi_fields import EdiFieldsForm
from screens.po_widgets import refill
from screens.safe_text import safe

LINE_COLUMNS = (  # 80 columns: the accept status whole
    ("line", "#", 2),
    ("item", "Item", 10),
    ("mpn", "MPN", 10),
    ("ordered", "Ordered", 7),
    ("confirmed", "Confirmed", 9),
    ("despatched", "Desp.", 5),
    ("status", "Accept status", 20),
)
AMENDMENT_COLUMNS = (
    ("at", "When", 11),
    ("line", "Ln", 3),
    ("field", "Field", 13),
    ("change", "Old → new", 26),
    ("ref", "Msg ref", 10),
)
STATUS_STYLE = {
    "Accepted": "green",
    "Changed and Accepted": "yellow",
    "Rejected": "bold red",
    "Deleted": "red strike",
    "Added": "cyan",
}
SUBMIT_HINT = "S: Save & Submit Electronically · E: edit these fields · enter: a line's MPN"


def _status(text: str | None) -> Content:
    if not text:
        return Content("")
    return Content.styled(text, STATUS_STYLE.get(text, ""))


class EdiPane(Vertical):
    """The "EDI" tab: statuses, fields and line accept statuses."""

    BINDINGS = [Binding("E", "edit_fields", "EDI fields")]

    DEFAULT_CSS = """
    EdiPane > #edi-summary { height: auto; padding: 0 1; }
    EdiPane > DataTable { height: 1fr; }
    """

    class Read(Message):
        def __init__(self, edi: PoEdi) -> None:
            super().__init__()
            self.edi = edi

    @dataclass
    class Said(Message):
        """What an edit did, for the detail's hint line."""

        text: str
        error: bool = False

    def __init__(self) -> None:
        super().__init__()
        self.edi: PoEdi | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="edi-summary")
        yield DataTable(id="edi-lines", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one("#edi-lines", DataTable)
        for key, text, width in LINE_COLUMNS:
            table.add_column(text, key=key, width=width)

    def show(self, edi: PoEdi) -> None:
        self.edi = edi
        f = edi.fields
        submit = edi.submit_status or "not submitted"
        if edi.submit_error:
            submit = f"{submit}: {edi.submit_error}"
        special = (
            f"{f.special_order_type} {f.special_bid_reference or '?'}"
            if f.special_order_type
            else "none"
        )
        lines = [
            f"Submit status: {submit}",
            f"Accept status: {edi.accept_status or '—'}",
            f"Special pricing: {special} · Partial shipments: "
            f"{'allowed' if f.allow_partial_shipments else 'ship complete'}"
            f"{' · drop-ship' if f.drop_ship else ''}",
        ]
        summary = Content("\n").join([safe(text) for text in lines])
        if not edi.submit_status or edi.submit_status == "Failed":
            summary = Content.assemble(summary, "\n", (SUBMIT_HINT, "italic"))
        self.query_one("#edi-summary", Static).update(summary)
        refill(
            self.query_one("#edi-lines", DataTable),
            (
                (
                    str(line.line_no),
                    [
                        Content(str(line.line_no)),
                        safe(line.item, one_line=True),
                        safe(line.mpn or "—", one_line=True),
                        Content(shown(line.ordered) or ""),
                        Content(shown(line.confirmed) or ""),
                        Content(shown(line.despatched) or ""),
                        _status(line.accept_status),
                    ],
                )
                for line in edi.lines
            ),
        )

    def action_edit_fields(self) -> None:
        edi = self.edi
        if edi is None:
            return
        if edi.fields_locked:
            status = (edi.submit_status or "").lower()
            self.notify(
                f"{edi.number} is {status}: its EDI fields can no longer change",
                severity="warning",
            )
            return
        self.app.push_screen(
            EdiFieldsForm(self.app.runtime.db, edi.po_id, edi.number, edi.fields),
            lambda saved: self._saved("EDI fields saved", saved),
        )

    @on(DataTable.RowSelected, "#edi-lines")
    def _line_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        edi = self.edi
        line = (
            next((ln for ln in edi.lines if str(ln.line_no) == event.row_key.value), None)
            if edi
            else None
        )
        if line is None or line.item_id is None:
            self.notify("This line has no item to give an MPN", severity="warning")
            return
        self.app.push_screen(
            MpnForm(self.app.runtime.db, line.item_id, line.item, line.mpn),
            lambda saved: self._saved(f"MPN of {line.item} saved", saved),
        )

    def _saved(self, what: str, saved: bool | None) -> None:
        if saved and self.edi is not None and not self.edi.fields_locked:
            self.post_message(self.Said(f"{what} · S: Save & Submit Electronically"))


class AmendmentsPane(Vertical):
    """The "Amendments" tab: the supplier's changes, newest first."""

    DEFAULT_CSS = "AmendmentsPane > DataTable { height: 1fr; }"

    def compose(self) -> ComposeResult:
        yield DataTable(id="amendments", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one("#amendments", DataTable)
        for key, text, width in AMENDMENT_COLUMNS:
            table.add_column(text, key=key, width=width)

    def show(self, edi: PoEdi) -> None:
        refill(
            self.query_one("#amendments", DataTable),
            (
                (
                    str(a.id),
                    [
                        Content(timefmt.local(a.at, "%m-%d %H:%M")),
                        Content(str(a.line_no or "")),
                        Content(a.field),
                        safe(f"{a.old or '—'} → {a.new or '—'}", one_line=True),
                        safe(a.message_ref, one_line=True),
                    ],
                )
                for a in edi.amendments
            ),
        )
