"""A tab's small list (a DataTable) whose rows a service reads in a worker.

``attach(rt)`` reads them; ``refresh_rows()`` reads them again after a change (the screen calls
it from its change events), keeping the cursor on the same place. For lists that can grow, use
the paged table instead: a DataTable measures every cell of every row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from textual import on
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable

if TYPE_CHECKING:
    from posync_tui.db import Database
    from posync_tui.runtime import Runtime

R = TypeVar("R")


class RowsPane(Vertical, Generic[R]):
    """``read(db)`` gives the rows (in a thread); ``cells(row)`` and ``key(row)`` show each."""

    @dataclass
    class _Rows(Message):
        rows: list

    def __init__(
        self,
        *,
        id: str,
        read: Callable[[Database], list[R]],
        cells: Callable[[R], Sequence[Any]],
        key: Callable[[R], str],
    ) -> None:
        super().__init__(id=id)
        self.rt: Runtime | None = None
        self.rows: list[R] = []
        self._read, self._cells, self._key = read, cells, key

    @property
    def table(self) -> DataTable:
        return self.query_one(DataTable)

    @property
    def current(self) -> R | None:
        row = self.table.cursor_row
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def attach(self, rt: Runtime) -> None:
        self.rt = rt
        self.refresh_rows()

    def refresh_rows(self) -> None:
        rt = self.rt
        if rt is None:
            return

        def read() -> None:
            self.post_message(self._Rows(self._read(rt.db)))

        # One read at a time per pane: a newer change makes an older read moot.
        self.run_worker(
            read, thread=True, exclusive=True, group=f"rows-{self.id}", exit_on_error=False
        )

    @on(_Rows)
    def _show_rows(self, message: _Rows) -> None:
        table = self.table
        cursor = table.cursor_row
        self.rows = message.rows
        table.clear()
        for row in self.rows:
            table.add_row(*self._cells(row), key=self._key(row))
        if self.rows:
            table.move_cursor(row=min(cursor, len(self.rows) - 1))
        self.shown()

    def shown(self) -> None:
        """After the rows are shown (e.g. to update a hint with their count)."""
