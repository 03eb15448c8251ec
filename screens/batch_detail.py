"""A batch's screen: its lines (the paged table) and its Commit Messages (Ovotrack seed).

The header counts the lines per stage. Lines: order/line, item, stage, Quantity, Received
Quantity, Send / Received / Commit dates; space marks lines; under the table, what the cursor's
line is waiting for or why it failed. Keys: g Send Batch, r Receive Updates, c Commit (each on
the marked lines only, when lines are marked), u Update From Source (the whole batch). Each asks
first, naming the counts, then runs in the background (``BatchRuns``): the operator may leave
this screen meanwhile; the lines re-read as the run commits. 1 / 2: Lines, Commit Messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static, TabbedContent, TabPane

from posync_tui import timefmt
from screens.batch_runs import STAGES, RunProgress
from screens.confirm import Confirm
from screens.key_bar import KeyBar
from screens.messages import Changed, CountsChanged, HealthChanged, RuntimeReady
from screens.paged_table import PagedList, PagedTable
from screens.safe_text import safe
from screens.shell import TitleBar
from screens.status_line import StatusLine

if TYPE_CHECKING:
    from posync_tui.paging import Row
    from posync_tui.services.warehouse_batches import BatchSummary
    from screens.batch_runs import BatchRuns, Run

KINDS = ("warehouse_batch", "sales_order")
STAGE_ORDER = ("staged", "sent", "received", "committed", "failed")
# stage → (the lines it takes, in words; the stages they are at)
TAKES = {
    "send": ("staged or failed", ("staged", "failed")),
    "receive": ("sent", ("sent", "received")),
    "commit": ("received", ("received",)),
    "update": ("open (not committed)", ("staged", "sent", "received", "failed")),
}
STAGE_STYLE = {"failed": "bold $error", "committed": "$success", "received": "$accent"}


def counts_words(counts: dict[str, int]) -> str:
    """The stages the batch's lines are at, with their counts (those with none left out)."""
    shown = [f"{counts[stage]:,} {stage}" for stage in STAGE_ORDER if counts.get(stage)]
    return " · ".join(shown) or "no lines"


def line_hint(row: Row) -> Content:
    """What the cursor's line waits for, or why it stopped."""
    data = row.data
    name = f"{data['line']} {data['item']} · {data.get('description') or ''}"
    head = safe(name, "bold", one_line=True) + Content("\n")
    stage = data["stage"]
    if stage == "failed" and data.get("last_message"):
        return head + Content.styled("Failed: ", "bold $error") + safe(data["last_message"])
    if data.get("completed") or data.get("picked"):
        said = "completed" if data.get("completed") else "picked"
        return head + Content(
            f"Ovotrack has {said} it: Update From Source cannot change it any more."
        )
    words = {
        "staged": "Staged: g sends it to Ovotrack.",
        "sent": "Sent: r receives Ovotrack's updates.",
        "received": "Received: c commits it to the customer order and allocates it.",
        "committed": "Committed to the customer order: done.",
        "failed": "Failed: see the Commit Messages tab (2); fix it, then g.",
    }
    return head + Content.styled(words.get(stage, stage), STAGE_STYLE.get(stage, ""))


def cell_style(row: Row, column) -> str | None:
    if column.key == "stage":
        return {"failed": "bold red", "committed": "green"}.get(row.data.get("stage"))
    received = row.data.get("received_quantity")
    if column.key == "received_quantity" and received not in (None, row.data.get("quantity")):
        return "bold yellow"  # Ovotrack will ship another quantity
    return None


class BatchTable(PagedTable):
    """A paged table whose own keys stay out of the key bar (still listed by ?), so that at 80
    columns the bar shows the batch's: Send, Receive, Commit, Update From Source."""

    BINDINGS = [
        Binding("enter", "open", "Open", show=False),
        Binding("ctrl+a", "mark_all", "Mark all", show=False),
        Binding("s", "sort_next", "Sort", show=False),
    ]


class BatchDetail(Screen):
    AREA = "Warehouse batch"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("g", "run('send')", "Send"),
        Binding("r", "run('receive')", "Receive"),
        Binding("c", "run('commit')", "Commit"),
        Binding("u", "run('update')", "Update src"),
        Binding("1", "show_tab('lines-tab')", "Lines", show=False),
        Binding("2", "show_tab('messages-tab')", "Messages", show=False),
    ]
    DEFAULT_CSS = """
    BatchDetail #batch-header { height: 1; padding: 0 1; }
    BatchDetail #batch-tabs, BatchDetail #batch-tabs > ContentSwitcher { height: 1fr; }
    BatchDetail TabPane { height: 1fr; padding: 0; }
    BatchDetail #line-hint, BatchDetail #message-text { height: 2; padding: 0 1; }
    """

    @dataclass
    class _Read(Message):
        summary: BatchSummary | None

    @dataclass
    class _Counted(Message):
        stage: str
        count: int
        marked: bool

    def __init__(self, batch_id: int, runs: BatchRuns):
        super().__init__()
        self.batch_id = batch_id
        self.runs = runs
        self.summary: BatchSummary | None = None
        self.lines = BatchTable(title="Lines", cell_style=cell_style, id="batch-lines")
        self.messages = BatchTable(title="Commit Messages", id="batch-messages")

    @property
    def name_words(self) -> str:
        return f"Batch {self.batch_id}"

    def compose(self) -> ComposeResult:
        yield TitleBar(f"Warehouse batches › {self.name_words}")
        yield Static("", id="batch-header")
        yield RunProgress(self.runs, self.batch_id)
        with TabbedContent(id="batch-tabs"):
            with TabPane("Lines", id="lines-tab"):
                yield PagedList(self.lines)
                yield Static("", id="line-hint")
            with TabPane("Commit Messages", id="messages-tab"):
                yield PagedList(self.messages)
                yield Static("", id="message-text")
        yield StatusLine()
        yield KeyBar()

    def on_mount(self) -> None:
        self.app.register_live_screen(self)  # posts RuntimeReady when the database is ready
        self.runs.changed.subscribe(self, self._run_changed)
        self.lines.focus()

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        # The tab's table takes the focus: its keys (space, /, s) work at once.
        (self.lines if event.pane.id == "lines-tab" else self.messages).focus()

    def on_unmount(self) -> None:
        self.app.unregister_live_screen(self)

    def on_runtime_ready(self, _message: RuntimeReady) -> None:
        from posync_tui.services.batch_lines import (
            BatchLineSource,
            CommitMessageSource,
            line_view,
            message_view,
        )

        engine = self.app.runtime.db.engine
        self.lines.set_source(BatchLineSource(engine), self.lines.view or line_view(self.batch_id))
        view = self.messages.view or message_view(self.batch_id)
        self.messages.set_source(CommitMessageSource(engine), view)
        self._read()

    def on_health_changed(self, message: HealthChanged) -> None:
        self.query_one(StatusLine).show(message.connectors)

    def on_counts_changed(self, message: CountsChanged) -> None:
        self.query_one(TitleBar).set_counts(message.counts)

    def on_changed(self, message: Changed) -> None:
        if message.kind in KINDS and self.app.runtime is not None:
            self.lines.refresh_rows()
            self.messages.refresh_rows()
            self._read()

    def _run_changed(self, run: Run) -> None:
        # Its progress comes with the changes it commits (re-read on_changed): only its end here.
        if run.finished and run.batch_id == self.batch_id:
            self._read()

    # --- the header -----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="batch-header")
    def _read(self) -> None:
        from posync_tui.services.warehouse_batches import batches

        found = batches(self.app.runtime.db, [self.batch_id])
        self.post_message(self._Read(found[0] if found else None))

    @on(_Read)
    def _show(self, message: _Read) -> None:
        self.summary = message.summary
        header = self.query_one("#batch-header", Static)
        if message.summary is None:
            header.update(
                Content.styled(f"{self.name_words} is gone.", "bold $error"), layout=False
            )
            return
        counts = {str(stage): n for stage, n in message.summary.counts.items()}
        since = timefmt.local(message.summary.last_modified, "%Y-%m-%d %H:%M")
        # The header, the hint and the message text have fixed heights: updating them needs no
        # layout of the screen (a run updates them every few hundred ms).
        header.update(Content(f"{counts_words(counts)} │ Last Modified {since}"), layout=False)

    @on(PagedTable.CursorMoved)
    def _explain(self, message: PagedTable.CursorMoved) -> None:
        message.stop()
        if message.table is self.lines:
            row = self.lines.cursor_row
            hint = self.query_one("#line-hint", Static)
            hint.update(line_hint(row) if row is not None else Content("No lines."), layout=False)
            return
        row = self.messages.cursor_row  # the whole message, wrapped
        text = self.query_one("#message-text", Static)
        shown = safe(row.data["message"]) if row is not None else Content("No messages.")
        text.update(shown, layout=False)

    # --- actions --------------------------------------------------------------------------------

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def action_run(self, stage: str) -> None:
        if self.summary is None:
            return
        if self.batch_id in self.runs.running:
            run = self.runs.running[self.batch_id]
            self.notify(f"{run.words}: wait for it to finish.", severity="warning")
            return
        counts = {str(s): n for s, n in self.summary.counts.items()}
        # The marked lines only, when marked (Update From Source reads the whole batch).
        marked = sorted(self.lines.marks) if stage != "update" and self.lines.marks else None
        words, stages = TAKES[stage]
        count = len(marked) if marked else sum(counts.get(s, 0) for s in stages)
        what = STAGES[stage][0]
        if not count:
            self.notify(f"{what}: no {words} line in {self.name_words}.", severity="warning")
            return
        lines = f"{count:,} {'marked ' if marked else ''}line{'s' if count != 1 else ''}"
        question = {
            "send": f"Send {lines} of {self.name_words} to Ovotrack?",
            "receive": f"Receive Ovotrack's updates for {lines} of {self.name_words}?",
            "commit": f"Commit {lines} of {self.name_words} to the customer orders "
            "(quantities updated, lines allocated)?",
            "update": f"Update {lines} of {self.name_words} from the customer orders?",
        }[stage]
        detail = counts_words(counts)

        def answered(yes: bool | None) -> None:
            if yes and self.runs.start(self.batch_id, self.name_words, stage, count, marked):
                self.lines.clear_marks()

        self.app.push_screen(
            Confirm(f"{question}\n\n{detail}", yes=what, title="Ovotrack"), answered
        )
