"""The Batches tab: every batch with its lines counted per stage, newest first.

A batch list stays short (a batch a day or so), so it is a DataTable updated in place by batch
id; a batch's lines are the paged table on its own screen. N opens New Batch; enter opens the
cursor's batch. A run under way shows on the line above the tabs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from posync_tui import timefmt

if TYPE_CHECKING:
    from posync_tui.runtime import Runtime
    from posync_tui.services.warehouse_batches import BatchSummary
    from screens.batch_runs import BatchRuns

KINDS = ("warehouse_batch",)
# (key, heading, width): the stages in the order a line goes through them.
COLUMNS = (
    ("batch", "Batch", 9),
    ("last_modified", "Last modified", 16),
    ("staged", "Staged", 6),
    ("sent", "Sent", 6),
    ("received", "Recvd", 6),
    ("committed", "Commit", 6),
    ("failed", "Failed", 6),
    ("messages", "Msgs", 5),
)
STAGE_KEYS = ("staged", "sent", "received", "committed", "failed")


def cells(batch: BatchSummary) -> list[str]:
    counts = {str(stage): n for stage, n in batch.counts.items()}
    return [
        batch.label,
        timefmt.local(batch.last_modified),
        *(f"{counts.get(key, 0):,}" for key in STAGE_KEYS),
        f"{batch.messages:,}" if batch.messages else "",
    ]


class BatchList(Vertical):
    DEFAULT_CSS = """
    BatchList { height: 1fr; }
    BatchList > DataTable { height: 1fr; }
    BatchList > #batch-empty { height: auto; padding: 1 1; color: $text-muted; }
    """
    BINDINGS = [Binding("N", "new_batch", "New Batch")]

    @dataclass
    class _Read(Message):
        batches: list[BatchSummary]

    def __init__(self, runs: BatchRuns):
        super().__init__()
        self.runs = runs
        self.rt: Runtime | None = None
        self.table: DataTable = DataTable(cursor_type="row", zebra_stripes=False)

    def compose(self) -> ComposeResult:
        for key, heading, width in COLUMNS:
            self.table.add_column(heading, key=key, width=width)
        yield Static(
            "No batches yet. N: New Batch stages the customer order lines marked Send.",
            id="batch-empty",
        )
        yield self.table

    def attach(self, rt: Runtime) -> None:
        self.rt = rt
        self._read()

    def on_change(self, kind: str) -> None:
        if kind in KINDS and self.rt is not None:
            self._read()

    @work(thread=True, exclusive=True, exit_on_error=False, group="batch-list")
    def _read(self) -> None:
        from posync_tui.services.warehouse_batches import batches

        assert self.rt is not None
        self.post_message(self._Read(batches(self.rt.db)))

    @on(_Read)
    def _show(self, message: _Read) -> None:
        table = self.table
        keys = [str(b.id) for b in message.batches]
        if keys != [row.key.value for row in table.ordered_rows]:
            # A batch came or went: the few rows are laid out again, the cursor kept on its own.
            cursor = self.cursor_batch
            table.clear()
            for batch in message.batches:
                table.add_row(*cells(batch), key=str(batch.id))
            if cursor is not None and str(cursor) in keys:
                table.move_cursor(row=keys.index(str(cursor)))
        else:
            for batch in message.batches:
                for (column, _, _), value in zip(COLUMNS, cells(batch), strict=True):
                    if table.get_cell(str(batch.id), column) != value:
                        table.update_cell(str(batch.id), column, value)
        self.query_one("#batch-empty").display = not keys

    @property
    def cursor_batch(self) -> int | None:
        if not self.table.row_count:
            return None
        key = self.table.coordinate_to_cell_key(self.table.cursor_coordinate).row_key
        return int(key.value) if key.value is not None else None

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.open_batch(int(event.row_key.value))

    def open_batch(self, batch_id: int) -> None:
        from screens.batch_detail import BatchDetail

        self.app.push_screen(BatchDetail(batch_id, self.runs))

    def action_new_batch(self) -> None:
        if self.rt is None:
            return
        from screens.batch_new import NewBatch

        def made(batch_id: int | None) -> None:
            if batch_id is not None:
                self.open_batch(batch_id)

        self.app.push_screen(NewBatch(self.rt.db), made)
