"""A paged table that says when its cursor row changes, so a line below it can explain that row.

``PagedTable`` (owned elsewhere) posts no message when the cursor moves; this subclass posts
``CursorMoved`` after every move and after every (re)load, and hands out the cursor's ``Row``
as already read (never a database read on the UI thread).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.message import Message

from screens.paged_table import PagedTable


class CursorTable(PagedTable):
    @dataclass
    class CursorMoved(Message):
        table: CursorTable
        key: int | None

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, CursorTable.CursorMoved) and message.table is self.table

    def clear_marks(self) -> None:
        if self.marks:
            self.marks.clear()
            self._marks_changed()
            self.refresh()

    def _move_to(self, index: int) -> None:
        super()._move_to(index)
        self.post_message(self.CursorMoved(self, self.cursor_key))

    @on(PagedTable._Loaded)
    def _then_say_where(self, message: PagedTable._Loaded) -> None:
        # Runs before PagedTable's own handler applies the load: report after it has.
        self.call_after_refresh(lambda: self.post_message(self.CursorMoved(self, self.cursor_key)))
