"""The paged table: every list that can grow, read a screen at a time from SQL.

A Line-API ``ScrollView`` whose virtual height is the row count; ``render_line`` serves rows from
the few pages a ``PageLoader`` keeps (paged_loader.py: loads, read-ahead, thread reads), drawn
by a ``RowPainter`` (paged_render.py). ``PagedList`` (filter_input.py) adds the ``/`` filter.

Keys: arrows/page/home/end move the cursor, space marks, ctrl+a marks all matching rows (or
clears the marks), s sorts by the next column and S reverses it (the cursor stays on its row),
enter opens the row. Marks outlive a filter, but an action touches only the marked rows the
filter shows (``selection()``); the title says how many marks the filter hides.
Messages: ``RowSelected`` (enter), ``MarksChanged``, and ``CursorMoved`` after every cursor move
and every (re)load, so a line beside the table can explain the row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from rich.style import Style
from textual import events, on
from textual.binding import Binding
from textual.content import Content
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from posync_tui.paging import PagedSource, Row, View
from screens.filter_input import FilterInput, HeldFrames, PagedList
from screens.paged_loader import PAGE, Loaded, MarksCounted, MarksLoaded, PageLoaded, PageLoader
from screens.paged_render import STYLE_PARTS, CellStyle, RowPainter, set_border_text
from screens.safe_text import safe
from screens.selection import Selection

__all__ = ["FilterInput", "PagedList", "PagedTable"]


class PagedTable(ScrollView, can_focus=True):
    """A table over a ``PagedSource``: never more than a few pages of rows in memory."""

    DEFAULT_CSS = """
    PagedTable { height: 1fr; scrollbar-size-vertical: 0; }
    PagedTable > .paged-table--header { text-style: bold; background: $panel; }
    PagedTable > .paged-table--cursor { background: $accent 50%; text-style: bold; }
    PagedTable > .paged-table--mark { color: $warning; text-style: bold; }
    PagedTable > .paged-table--loading { color: $text-muted; }
    """
    COMPONENT_CLASSES = {f"paged-table--{part}" for part in STYLE_PARTS}
    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "home", "First", show=False),
        Binding("end", "end", "Last", show=False),
        Binding("enter", "open", "Open"),
        Binding("space", "toggle_mark", "Mark"),
        Binding("ctrl+a", "mark_all", "Mark all", show=False),  # under ?: the bar has no room
        Binding("s", "sort_next", "Sort"),
        Binding("S", "sort_reverse", "Reverse", show=False),
    ]

    @dataclass
    class RowSelected(Message):
        """Enter on a row: open its detail."""

        table: PagedTable
        key: int

    @dataclass
    class MarksChanged(Message):
        table: PagedTable
        count: int

    @dataclass
    class CursorMoved(Message):
        """The cursor moved, or the rows were read again: ``key`` is the cursor's row (None
        when there are no rows). A burst collapses to the newest."""

        table: PagedTable
        key: int | None

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, PagedTable.CursorMoved) and message.table is self.table

    def __init__(
        self,
        source: PagedSource | None = None,
        view: View | None = None,
        *,
        title: str = "",
        cell_style: CellStyle | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ):
        super().__init__(name=name, id=id, classes=classes)
        self.table_title = title
        self.source: PagedSource | None = None
        self.view: View | None = view
        self.row_count = 0
        self.cursor = 0
        self.marks: set[int] = set()
        self.marks_shown: set[int] = set()  # the marks the view's filter shows ...
        self._marks_counted = True  # ... unless a new filter's are still being counted
        self.applied = 0  # loads applied so far (benchmarks wait on it)
        self.painter = RowPainter(self._resolve_styles, cell_style)
        self.loader = PageLoader(self)
        self._showing: int | None = None  # show_key's row, until a load puts the cursor on it
        self._warming = False
        self.frames = HeldFrames(self)  # a typed filter character waits for its matches
        if source is not None:
            self.set_source(source, view)

    # --- public API ---------------------------------------------------------------------------

    def set_source(self, source: PagedSource, view: View | None = None) -> None:
        self.source, self.loader.prepared = source, False
        self.painter.columns = source.columns
        self.view = view or self.view or View(sort=source.columns[0].key)
        self.marks.clear()
        self.marks_shown.clear()
        self._marks_counted = True
        if self.is_mounted:
            self._load(self.view, keep_key=self._showing, fallback=0)

    def on_mount(self) -> None:
        if self.source is not None:
            self._load(self.view, keep_key=self._showing, fallback=0)

    @property
    def cursor_key(self) -> int | None:
        row = self.cursor_row
        return row.key if row is not None else None

    @property
    def cursor_row(self) -> Row | None:
        """The row under the cursor, if it has been read."""
        return self.loader.row_at(self.cursor, read=False)

    def selection(self) -> Selection:
        """What an action applies to: the marked rows the filter shows, or else the cursor's."""
        if self.marks:
            if not self._marks_counted and self.source is not None and self.view is not None:
                # An action right after a new filter, before its marks are counted: read them
                # in place (a lookup by key per mark).
                self.marks_shown = self.source.matching(self.view, self.marks)
                self._marks_counted = True
            hidden = len(self.marks) - len(self.marks_shown)
            return Selection(sorted(self.marks_shown), marked=True, hidden=hidden)
        key = self.cursor_key
        return Selection([] if key is None else [key])

    def selected_keys(self) -> list[int]:
        return self.selection().keys

    def clear_marks(self) -> None:
        self.unmark(self.marks)

    def unmark(self, keys: Iterable[int]) -> None:
        """Unmark these rows (e.g. those an action was done to; the hidden marks stay)."""
        keys = set(keys)
        if keys & self.marks:
            self.marks -= keys
            self.marks_shown -= keys
            self._marks_changed()
            self.refresh()

    def show_key(self, key: int) -> None:
        """Move the cursor onto row ``key`` (e.g. one just added), wherever it now is.

        Its position is read in a thread (the source's ``position()``) and its page read again;
        loads asked for meanwhile keep to it. If the view does not show the row (a filter), the
        cursor stays where it is.
        """
        self._showing = key
        if self.view is not None and self.source is not None and self.is_mounted:
            self._load(self.view, keep_key=key, fallback=self.cursor)

    def set_filter(self, text: str) -> None:
        if self.view is not None and text != self.view.text:
            self.frames.hold()
            self._load(replace(self.view, text=text), keep_key=None, fallback=0)
        else:
            self.frames.release()

    def set_view(self, view: View) -> None:
        self._load(view, keep_key=self._cursor_target(), fallback=0)

    def sort_by(self, key: str, descending: bool | None = None) -> None:
        if self.view is None:
            return
        if descending is None:
            descending = not self.view.descending if key == self.view.sort else False
        view = replace(self.view, sort=key, descending=descending)
        self._load(view, keep_key=self._cursor_target(), fallback=self.cursor, count=self.row_count)

    def refresh_rows(self, ids: Iterable[int] | None = None) -> None:
        """Rows changed: re-count and re-read the visible page, the cursor kept on its row.

        ``ids`` names the changed rows when known; rows may also have been added or removed
        anywhere, so the count and the cursor's position are read again either way.
        """
        if self.view is not None and self.source is not None:
            self._load(self.view, keep_key=self._cursor_target(), fallback=self.cursor)

    def on_unmount(self) -> None:
        self.frames.release()

    # --- loading (the reads are the loader's) ---------------------------------------------------

    def _cursor_target(self) -> int | None:
        """The row a load keeps the cursor on: its own, or the one ``show_key`` asked for."""
        return self._showing if self._showing is not None else self.cursor_key

    def _load(
        self, view: View, keep_key: int | None, fallback: int, count: int | None = None
    ) -> None:
        height = max(1, self._body_height())
        screen_row = max(0, min(self.cursor - self.scroll_offset.y, height - 1))
        widths = list(self.painter.widths)
        if widths:
            self.painter.style("")  # styles resolve on the UI thread; the reader draws with them
        marks = frozenset(self.marks)
        self.loader.load(view, keep_key, fallback, screen_row, height, count, widths, marks)

    @on(Loaded)
    def _apply_loaded(self, message: Loaded) -> None:
        pending = self.loader.finished(message)
        if pending is not None:
            self._load(pending.view, pending.keep_key, pending.fallback, pending.count)
        if not self.loader.is_current(message):
            if message.count < 0:
                self.frames.release()
            return  # stale (a newer view was asked for) or failed
        cursor, top = message.cursor, message.top
        placed = self.loader.placed
        if (
            message.final
            and placed is not None
            and self.loader.placed_by == message.request.generation
        ):
            # The sort's rows were shown where the cursor was: move by as much as the exact
            # position differs, keeping any cursor move made meanwhile.
            shift = message.cursor - placed
            cursor, top = self.cursor + shift, self.scroll_offset.y + shift
        self._showing = None  # the newest load kept to show_key's row (or was a new filter)
        old, view = self.view, message.request.view
        if self.marks and (old is None or (old.text, old.filters) != (view.text, view.filters)):
            self._marks_counted = False  # until the load's MarksCounted arrives
        self.view = view
        self.row_count = message.count
        self.cursor = max(0, min(cursor, message.count - 1))
        self.loader.keep_loaded(message)
        self.painter.forget()  # the rows were read again
        self._update_size()
        if message.widths == self.painter.widths:
            self.painter.strips.update(message.strips)
        self.scroll_to(y=top, animate=False, immediate=True)
        self._update_title()
        self._update_position()
        self.applied += 1
        self.refresh()
        if message.final:
            self.call_after_refresh(self._prefetch)
        if pending is None:
            self.frames.release()
        self.post_message(self.CursorMoved(self, self.cursor_key))

    def _row_at(self, index: int, read: bool = True) -> Row | None:
        return self.loader.row_at(index, read)

    @property
    def _pages(self) -> dict[int, list[Row]]:
        return self.loader.pages

    def _prefetch(self) -> None:
        """Read ahead the pages around the shown rows and at either end, then draw them."""
        if self.view is None or self.source is None or not self.row_count:
            return
        self.loader.read_ahead(self.scroll_offset.y, max(1, self._body_height()))
        self._warm()

    @on(PageLoaded)
    def _apply_page(self, message: PageLoaded) -> None:
        if not self.loader.keep_read(message):
            return
        top = self.scroll_offset.y
        first, end = message.page * PAGE, (message.page + 1) * PAGE
        if first < top + self._body_height() and end > top:
            self.refresh()  # rows shown as "…" can now be drawn
        self.call_later(self._warm)

    # --- geometry and title -------------------------------------------------------------------

    def _body_height(self) -> int:
        return self.scrollable_content_region.height - 1  # the header line

    def _update_size(self) -> None:
        width = self.painter.fit_columns(self.scrollable_content_region.width or self.size.width)
        self.virtual_size = Size(width, self.row_count + 1)

    def on_resize(self) -> None:
        self._update_size()

    def _update_title(self) -> None:
        parts = [self.table_title] if self.table_title else []
        described = self.source.describe(self.view) if self.source and self.view else ""
        if described:
            parts.append(f"[{described}]")
        if self.view is not None and self.view.text:
            parts.append(f"/{self.view.text}  {self.row_count:,} matching")
        else:
            parts.append(f"{self.row_count:,}")
        if self.marks:
            hidden = len(self.marks) - len(self.marks_shown) if self._marks_counted else 0
            marked = f"{len(self.marks):,} marked"
            parts.append(f"{marked}, {hidden:,} hidden by the filter" if hidden else marked)
        # The filter typed and the vendor filtered by are outside text.
        set_border_text(self.frame, "_border_title", safe("  ".join(parts), one_line=True))

    def _update_position(self) -> None:
        if not self.row_count:
            position = ""
        elif self.loader.placed is not None:  # a new sort's exact position is being counted
            position = f"…/{self.row_count:,}"
        else:
            position = f"{self.cursor + 1:,}/{self.row_count:,}"
        set_border_text(self.frame, "_border_subtitle", Content(position))

    @property
    def frame(self) -> Widget:
        """The widget whose border frames the table and shows its title and position."""
        return self.parent if isinstance(self.parent, PagedList) else self

    # --- rendering ----------------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        """The lines in ``crop``, without Textual's per-line styling pass.

        That pass (border, padding, tint) builds a new strip for every line of every frame,
        which defeats Textual's own caches further on (filters, cuts, terminal text). The table
        has none of those styles itself (its ``PagedList`` draws the frame) and draws every
        line in its own style, so it returns the strips it keeps per row as they are: a frame
        after a scroll then costs a lookup per line instead of restyling the whole page.
        """
        width = self.size.width
        scroll_x, scroll_y = self.scroll_offset
        content_width = self.scrollable_content_region.width
        background = self.background_colors[1]
        filters = self.get_line_filters()
        fill = self.painter.style("") if self.source is not None else self.rich_style
        x1, x2 = crop.column_span
        lines = []
        for y in crop.line_range:
            strip = self._line(y, scroll_x, scroll_y, content_width)
            strip = strip.adjust_cell_length(width, fill)
            for line_filter in filters:
                strip = strip.apply_filter(line_filter, background)
            lines.append(strip if (x1, x2) == (0, width) else strip.crop(x1, x2))
        return lines

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.painter.forget(styles=True)

    def _resolve_styles(self) -> dict[str, Style]:
        base = self.rich_style
        styles = {"": base}
        for part in STYLE_PARTS:
            styles[part] = base + self.get_component_rich_style(f"paged-table--{part}")
        styles["cursor-mark"] = styles["cursor"] + styles["mark"]
        return styles

    def render_line(self, y: int) -> Strip:
        return self._line(y, *self.scroll_offset, self.scrollable_content_region.width)

    def _line(self, y: int, scroll_x: int, scroll_y: int, width: int) -> Strip:
        painter = self.painter
        if self.source is None:
            return Strip.blank(width, self.rich_style)
        if y == 0:
            strip = painter.header(self.view)
        else:
            index = scroll_y + y - 1
            if index >= self.row_count:
                return painter.blank(width)
            row = self.loader.row_at(index)
            if row is None:
                return painter.loading(width)
            strip = painter.drawn(row, index == self.cursor, row.key in self.marks)
        if scroll_x == 0 and strip.cell_length == width:
            return strip  # the usual case: drawn at the table's width, nothing to crop
        return strip.crop_extend(scroll_x, scroll_x + width, painter.style(""))

    def _warm(self) -> None:
        """Between keys, draw the read rows a screen above and below and the first and last
        screens, and the rows the next key may put the cursor on, a few at a time, so that the
        next key finds them drawn (drawing a row costs more than showing a drawn one)."""
        if self._warming or self.source is None or not self.painter.widths:
            return
        height, last = max(1, self._body_height()), self.row_count - 1
        top = self.scroll_offset.y
        spans = (
            range(max(0, top - height), min(self.row_count, top + 2 * height)),
            range(min(self.row_count, height)),
            range(max(0, last - height + 1), last + 1),
        )
        row_at = self.loader.row_at
        wanted = [(row_at(index, read=False), False) for span in spans for index in span]
        cursors = {0, last, *(self.cursor + step for step in (-height, -1, 1, height))}
        wanted += [(row_at(i, read=False), True) for i in sorted(cursors) if 0 <= i <= last]
        if self.painter.warm(wanted, self.marks):
            self._warming = True
            self.call_later(self._warm_more)

    def _warm_more(self) -> None:
        self._warming = False
        self._warm()

    # --- cursor -------------------------------------------------------------------------------

    def _move_to(self, index: int) -> None:
        if self.row_count == 0:
            return
        old, self.cursor = self.cursor, max(0, min(index, self.row_count - 1))
        height = max(1, self._body_height())
        top = self.scroll_offset.y
        moved_page = not top <= self.cursor < top + height
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)
        else:
            self.refresh_line(old + 1)
            self.refresh_line(self.cursor + 1)
        self.call_after_refresh(self._prefetch if moved_page else self._warm)
        self._update_position()
        self.post_message(self.CursorMoved(self, self.cursor_key))

    async def on_key(self, event: events.Key) -> None:
        """Run the table's own key bindings here, where the key arrives.

        Textual would bubble the key through every ancestor up to the app, which then runs the
        first binding along the focus chain: this table's, as here, only some queue hops later.
        """
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            if not binding.priority and await self.app.run_action(binding.action, self):
                event.stop()
                event.prevent_default()
                return

    def action_cursor(self, delta: int) -> None:
        self._move_to(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self._move_to(self.cursor + direction * max(1, self._body_height()))

    def action_home(self) -> None:
        self._move_to(0)

    def action_end(self) -> None:
        self._move_to(self.row_count - 1)

    def action_open(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.RowSelected(self, key))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or self.source is None:
            return
        if offset.y == 0:  # the header: sort by the clicked column
            column = self.painter.column_at(offset.x + self.scroll_offset.x)
            if column is not None:
                self.sort_by(column.key)
            return
        self._move_to(self.scroll_offset.y + offset.y - 1)

    # --- marks and sort -----------------------------------------------------------------------

    def action_toggle_mark(self) -> None:
        key = self.cursor_key
        if key is None:
            return
        self.marks.symmetric_difference_update({key})
        self.marks_shown.symmetric_difference_update({key})  # the cursor's row is shown
        self._marks_changed()
        self._move_to(self.cursor + 1)
        self.refresh_line(self.cursor)  # the row just marked (header is line 0)

    def action_mark_all(self) -> None:
        """Mark every row the filter matches (all of them, not just those read), or unmark."""
        if self.marks and len(self.marks) >= self.row_count:
            self.clear_marks()
        else:
            self.loader.read_keys()

    @on(MarksLoaded)
    def _apply_marks(self, message: MarksLoaded) -> None:
        if message.generation == self.loader.generation:
            self.marks = message.keys
            self.marks_shown = set(message.keys)
            self._marks_counted = True
            self._marks_changed()
            self.refresh()

    @on(MarksCounted)
    def _apply_marks_counted(self, message: MarksCounted) -> None:
        """Which of the marks ``asked`` about the view shows; rows marked since are asked
        about again (they may have been marked in the view shown before this one)."""
        if message.generation != self.loader.generation:
            return  # a newer load counts them for its view
        self.marks_shown = set(message.shown & self.marks)
        self._marks_counted = not self.marks - message.asked
        if not self._marks_counted:
            self.loader.count_marks()
        self._update_title()

    def _marks_changed(self) -> None:
        self._update_title()
        self.post_message(self.MarksChanged(self, len(self.marks)))

    def action_sort_next(self) -> None:
        if self.source is None or self.view is None:
            return
        keys = [c.key for c in self.source.columns if c.sort]
        following = keys[(keys.index(self.view.sort) + 1) % len(keys)]
        self.sort_by(following, descending=False)

    def action_sort_reverse(self) -> None:
        if self.view is not None:
            self.sort_by(self.view.sort)
