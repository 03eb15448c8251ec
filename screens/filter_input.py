"""The ``/`` filter under a paged table: ``PagedList`` holds the table and its filter input.

``/`` shows the input; each typed change filters the table (its border title shows the match
count); enter goes back to the table (hiding an empty input); escape clears the filter. A typed
character is drawn in the same frame as its matches (``HeldFrames``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input

from screens.safe_text import VISIBLE

if TYPE_CHECKING:
    from screens.paged_table import PagedTable

HOLD_FRAMES = 0.05  # seconds a keystroke's frame may wait for its matches


class HeldFrames:
    """Draw a typed character together with its matches, not in a frame of its own.

    The screen draws at most one frame a tick (1/60 s): a frame for the character alone would
    make its matches wait for the next tick. The table releases the frames once it shows the
    matches; they are held no longer than ``HOLD_FRAMES``.
    """

    def __init__(self, table: PagedTable):
        self.table = table
        self._batch = None  # the app's batch_update while held
        self._timer = None

    def hold(self) -> None:
        if self._batch is None:
            self._batch = self.table.app.batch_update()
            self._batch.__enter__()
            self._timer = self.table.set_timer(HOLD_FRAMES, self.release)

    def release(self) -> None:
        if self._batch is not None:
            batch, self._batch = self._batch, None
            self._timer.stop()
            batch.__exit__(None, None, None)


class FilterInput(Input):
    """The ``/`` filter's input: a typed change and its matches show in one frame."""

    def validate_value(self, value: str) -> str:
        # Before the input repaints itself: hold the frame until the table has the matches.
        parent = self.parent
        if value != self.value and isinstance(parent, PagedList):
            parent.table.frames.hold()
        return value


class PagedList(Vertical):
    """A paged table with its ``/`` filter input below it, in a frame that shows the table's
    title and the cursor's position."""

    DEFAULT_CSS = """
    PagedList { height: 1fr; border: round $primary 40%; border-title-align: left;
                border-subtitle-align: right; }
    PagedList:focus-within { border: round $primary; }
    PagedList > Input.paged-filter { display: none; height: 1; border: none; padding: 0 1; }
    PagedList > Input.paged-filter.-shown { display: block; }
    """
    BINDINGS = [Binding("slash", "filter", "Filter")]

    def __init__(self, table: PagedTable, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.table = table

    def compose(self) -> ComposeResult:
        yield self.table
        yield FilterInput(
            placeholder="filter (esc clears)", highlighter=VISIBLE, classes="paged-filter"
        )

    @property
    def filter_input(self) -> Input:
        return self.query_one("Input.paged-filter", Input)

    def action_filter(self) -> None:
        self.filter_input.add_class("-shown")
        self.filter_input.focus()

    @on(Input.Changed, ".paged-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.table.set_filter(event.value)

    @on(Input.Submitted, ".paged-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value:
            self.filter_input.remove_class("-shown")
        self.table.focus()

    def on_key(self, event: events.Key) -> None:
        # Escape clears the filter first (typing it, or back on the table with a filter set);
        # only without one does it go on to the screen (back where the operator came from).
        if event.key == "escape" and (self.filter_input.has_focus or self.filter_input.value):
            event.stop()
            self.filter_input.value = ""  # posts Changed: the filter clears
            self.filter_input.remove_class("-shown")
            self.table.focus()
