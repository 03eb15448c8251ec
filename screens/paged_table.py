"""The paged table: every list that can grow, read a screen at a time from SQL.

A Line-API ``ScrollView`` whose virtual height is the row count; ``render_line`` serves rows from
a small page cache that a ``PagedSource`` fills. Reading a page is an index walk of about a
millisecond, so a missing page is read in place; a view whose pages read slowly (a broad filter)
reads them in a thread instead. Counting, finding a row's position and marking everything that
matches go to a thread worker; a result for a view that has since changed is dropped.

Keys: arrows/page/home/end move the cursor, space marks, ctrl+a marks all matching rows (or
clears the marks), s sorts by the next column and S reverses it (the cursor stays on its row),
enter opens the row. ``PagedList`` adds the ``/`` filter input; the table's border title shows
the match count. Partner text is drawn as plain segments, never parsed as markup.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Input

from posync_tui.paging import Column, PagedSource, Row, View

PAGE = 50  # rows per cached page
CACHED_PAGES = 24  # besides the first and last pages, which stay for home and end
CACHED_STRIPS = 8 * PAGE
HOLD_FRAMES = 0.05  # seconds a keystroke's frame may wait for its matches
SLOW_READ = 0.012  # seconds: a page read slower than this goes to a thread from then on
GUTTER = 2  # the mark column
_CONTROL = {i: " " for i in (*range(32), 127)}

CellStyle = Callable[[Row, Column], str | None]


@lru_cache(maxsize=64)
def _parse_style(style: str) -> Style:
    return Style.parse(style)


def _merged(pieces: list[tuple[str, Style]]) -> list[Segment]:
    """Neighbouring pieces of one style as one segment: each segment costs Textual per frame."""
    segments: list[Segment] = []
    texts: list[str] = []
    current: Style | None = None
    for text, style in pieces:
        if style is not current and style != current:
            if texts:
                segments.append(Segment("".join(texts), current))
            texts, current = [], style
        texts.append(text)
    if texts:
        segments.append(Segment("".join(texts), current))
    return segments


def _fit(text: str, width: int, align: str) -> str:
    text = text.translate(_CONTROL)
    if align == "right" and cell_len(text) < width:
        return " " * (width - cell_len(text)) + text
    return set_cell_size(text, width)


@dataclass(frozen=True)
class _Request:
    generation: int
    view: View
    keep_key: int | None  # keep the cursor on this row if it still matches
    fallback: int  # else on this row index
    screen_row: int  # the cursor's row on screen, kept when possible
    height: int
    count: int | None  # the row count when known (a new sort of the same rows)
    widths: list[int]  # the column widths now: the reader draws the rows it reads with them


class PagedTable(ScrollView, can_focus=True):
    """A table over a ``PagedSource``: never more than a few pages of rows in memory."""

    DEFAULT_CSS = """
    PagedTable { height: 1fr; border: round $primary 40%; border-title-align: left;
                 border-subtitle-align: right; scrollbar-size-vertical: 0; }
    PagedTable:focus { border: round $primary; }
    PagedTable > .paged-table--header { text-style: bold; background: $panel; }
    PagedTable > .paged-table--cursor { background: $accent 50%; text-style: bold; }
    PagedTable > .paged-table--mark { color: $warning; text-style: bold; }
    PagedTable > .paged-table--loading { color: $text-muted; }
    """
    COMPONENT_CLASSES = {
        "paged-table--header",
        "paged-table--cursor",
        "paged-table--mark",
        "paged-table--loading",
    }
    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "home", "First", show=False),
        Binding("end", "end", "Last", show=False),
        Binding("enter", "open", "Open"),
        Binding("space", "toggle_mark", "Mark"),
        Binding("ctrl+a", "mark_all", "Mark all"),
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
    class _Loaded(Message):
        request: _Request
        count: int
        cursor: int
        top: int
        pages: dict[int, list[Row]]
        strips: dict[tuple[int, bool, bool], Strip]  # the rows shown, drawn in the thread
        widths: list[int]  # the column widths they were drawn with

    @dataclass
    class _PageLoaded(Message):
        generation: int
        page: int
        rows: list[Row]

    @dataclass
    class _MarksLoaded(Message):
        generation: int
        keys: set[int]

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
        self.cell_style = cell_style
        self.source: PagedSource | None = None
        self.view: View | None = view
        self.row_count = 0
        self.cursor = 0
        self.marks: set[int] = set()
        self.applied = 0  # loads applied so far (benchmarks wait on it)
        self._pages: OrderedDict[int, list[Row]] = OrderedDict()
        self._wanted: set[int] = set()  # pages being read in a thread
        self._generation = 0
        self._loading = False
        self._pending: _Request | None = None
        self._prepared = False
        self._slow = False
        self._widths: list[int] = []
        # Drawn rows by (key, is cursor, is marked); styles resolved once, not per line.
        self._strips: OrderedDict[tuple[int, bool, bool], Strip] = OrderedDict()
        self._warming = False
        self._held = None  # a batch of frames held while a filter's matches are read
        self._held_timer = None
        self._styles: dict[str, Style] | None = None
        self._header_strip: Strip | None = None
        if source is not None:
            self.set_source(source, view)

    # --- public API ---------------------------------------------------------------------------

    def set_source(self, source: PagedSource, view: View | None = None) -> None:
        self.source, self._prepared = source, False
        self.view = view or self.view or View(sort=source.columns[0].key)
        self.marks.clear()
        if self.is_mounted:
            self._load(self.view, keep_key=None, fallback=0)

    def on_mount(self) -> None:
        if self.source is not None:
            self._load(self.view, keep_key=None, fallback=0)

    @property
    def cursor_key(self) -> int | None:
        row = self.cursor_row
        return row.key if row is not None else None

    @property
    def cursor_row(self) -> Row | None:
        """The row under the cursor, if it has been read."""
        return self._row_at(self.cursor, read=False)

    def selected_keys(self) -> list[int]:
        """The marked rows, or else the cursor's row: what an action applies to."""
        if self.marks:
            return sorted(self.marks)
        key = self.cursor_key
        return [] if key is None else [key]

    def set_filter(self, text: str) -> None:
        if self.view is not None and text != self.view.text:
            self._hold_frames()
            self._load(replace(self.view, text=text), keep_key=None, fallback=0)
        else:
            self._release_frames()

    def set_view(self, view: View) -> None:
        self._load(view, keep_key=self.cursor_key, fallback=0)

    def sort_by(self, key: str, descending: bool | None = None) -> None:
        if self.view is None:
            return
        if descending is None:
            descending = not self.view.descending if key == self.view.sort else False
        view = replace(self.view, sort=key, descending=descending)
        self._load(view, keep_key=self.cursor_key, fallback=self.cursor, count=self.row_count)

    def refresh_rows(self, ids: Iterable[int] | None = None) -> None:
        """Rows changed: re-count and re-read the visible page, the cursor kept on its row.

        ``ids`` names the changed rows when known; rows may also have been added or removed
        anywhere, so the count and the cursor's position are read again either way.
        """
        if self.view is not None and self.source is not None:
            self._load(self.view, keep_key=self.cursor_key, fallback=self.cursor)

    # --- one frame for a keystroke and its matches ---------------------------------------------

    def _hold_frames(self) -> None:
        """Draw the typed character together with its matches, not in a frame of its own.

        The screen draws at most one frame a tick (1/60 s): a frame for the character alone
        would make its matches wait for the next tick. Held no longer than ``HOLD_FRAMES``.
        """
        if self._held is None:
            self._held = self.app.batch_update()
            self._held.__enter__()
            self._held_timer = self.set_timer(HOLD_FRAMES, self._release_frames)

    def _release_frames(self) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            self._held_timer.stop()
            held.__exit__(None, None, None)

    def on_unmount(self) -> None:
        self._release_frames()

    # --- loading ------------------------------------------------------------------------------

    def _load(
        self, view: View, keep_key: int | None, fallback: int, count: int | None = None
    ) -> None:
        self._generation += 1
        height = max(1, self._body_height())
        screen_row = max(0, min(self.cursor - self.scroll_offset.y, height - 1))
        widths = list(self._widths)
        if widths:
            self._style("")  # styles resolve on the UI thread; the reader draws with them
        request = _Request(
            self._generation, view, keep_key, fallback, screen_row, height, count, widths
        )
        if self._loading:
            self._pending = request  # the newest wins; the one in flight is dropped
            return
        self._loading = True
        self.run_worker(
            lambda: self._read(request),
            thread=True,
            group="paged-table-load",
            exit_on_error=False,
            description="read the table's rows",
        )

    def _read(self, request: _Request) -> None:
        """In a thread: count, find the cursor's row, read the pages it will show."""
        source = self.source
        try:
            if not self._prepared:
                source.prepare()
                self._prepared = True
            count = request.count
            if count is None:
                count = source.count(request.view)
            index = None
            if request.keep_key is not None:
                index = source.position(request.view, request.keep_key)
            if index is None:
                index = request.fallback
            index = max(0, min(index, count - 1))
            top = max(0, min(index - request.screen_row, count - request.height))
            pages = {}
            for page in range(top // PAGE, (top + request.height) // PAGE + 1):
                if page * PAGE < count:
                    pages[page] = source.page(request.view, page * PAGE, PAGE, total=count)
            # Drawing the rows here, while the UI thread waits anyway, shortens the frame.
            strips = {}
            for i in range(top, min(count, top + request.height)) if request.widths else ():
                rows = pages[i // PAGE]
                if i % PAGE < len(rows):
                    row = rows[i % PAGE]
                    key = (row.key, i == index, row.key in self.marks)
                    strips[key] = self._row_strip(row, key[1], key[2], request.widths)
        except Exception:
            self.post_message(self._Loaded(request, -1, 0, 0, {}, {}, []))
            raise
        self.post_message(self._Loaded(request, count, index, top, pages, strips, request.widths))

    @on(_Loaded)
    def _apply_loaded(self, message: _Loaded) -> None:
        self._loading = False
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self._load(pending.view, pending.keep_key, pending.fallback, pending.count)
        if message.request.generation != self._generation or message.count < 0:
            if message.count < 0:
                self._release_frames()
            return  # stale: a newer view was asked for
        self.view = message.request.view
        self.row_count = message.count
        self.cursor = message.cursor
        self._pages = OrderedDict(message.pages)
        self._header_strip = None
        self._wanted.clear()
        self._slow = False
        self._update_size()
        self._strips.clear()  # the rows were read again
        if message.widths == self._widths:
            self._strips.update(message.strips)
        self.scroll_to(y=message.top, animate=False, immediate=True)
        self._update_title()
        self._update_position()
        self.applied += 1
        self.refresh()
        self.call_after_refresh(self._prefetch)
        if self._pending is None:
            self._release_frames()

    def _row_at(self, index: int, read: bool = True) -> Row | None:
        page = index // PAGE
        rows = self._pages.get(page)
        if rows is None:
            if not read or self.view is None or index >= self.row_count:
                return None
            rows = self._read_page(page)
            if rows is None:
                return None
        self._pages.move_to_end(page)
        offset = index - page * PAGE
        return rows[offset] if offset < len(rows) else None

    def _anchors(self, page: int) -> dict[str, Row | None]:
        """The neighbouring rows a page can be read after (or before) by keyset, when cached."""
        before, after = self._pages.get(page + 1), self._pages.get(page - 1)
        return {
            "after": after[-1] if after else None,
            "before": before[0] if before and not after else None,
        }

    def _read_page(self, page: int) -> list[Row] | None:
        if self._slow:
            self._read_pages_in_thread([page])
            return None
        started = time.perf_counter()
        rows = self.source.page(
            self.view, page * PAGE, PAGE, total=self.row_count, **self._anchors(page)
        )
        self._slow = time.perf_counter() - started > SLOW_READ
        self._keep_page(page, rows)
        return rows

    def _prefetch(self) -> None:
        """Read, in a thread, the pages a screen above and below the shown rows and those that
        home and end show, so that moving the cursor draws from the cache."""
        if self.view is None or self.source is None or not self.row_count:
            return
        height = max(1, self._body_height())
        top, last = self.scroll_offset.y, self.row_count - 1
        spans = [
            (max(0, top - height), min(last, top + 2 * height)),
            (0, min(last, height)),
            (max(0, last - height), last),
        ]
        pages = {page for start, end in spans for page in range(start // PAGE, end // PAGE + 1)}
        self._read_pages_in_thread(sorted(pages - self._pages.keys() - self._wanted))
        self._warm()

    def _read_pages_in_thread(self, pages: list[int]) -> None:
        pages = [page for page in pages if page not in self._wanted]
        if not pages:
            return
        self._wanted.update(pages)
        generation, view, total = self._generation, self.view, self.row_count
        anchors = {page: self._anchors(page) for page in pages}

        def read() -> None:
            for page in pages:
                rows = self.source.page(view, page * PAGE, PAGE, total=total, **anchors[page])
                self.post_message(self._PageLoaded(generation, page, rows))

        self.run_worker(read, thread=True, group="paged-table-page", exit_on_error=False)

    @on(_PageLoaded)
    def _apply_page(self, message: _PageLoaded) -> None:
        if message.generation != self._generation:
            return
        self._wanted.discard(message.page)
        if message.page in self._pages:
            return  # read meanwhile on the UI thread
        self._keep_page(message.page, message.rows)
        top = self.scroll_offset.y
        first, end = message.page * PAGE, (message.page + 1) * PAGE
        if first < top + self._body_height() and end > top:
            self.refresh()  # rows shown as "…" can now be drawn
        self.call_later(self._warm)

    def _keep_page(self, page: int, rows: list[Row]) -> None:
        self._pages[page] = rows
        self._pages.move_to_end(page)
        ends = {0, (self.row_count - 1) // PAGE}  # home and end stay instant
        for old in list(self._pages):
            if len(self._pages) <= CACHED_PAGES:
                break
            if old not in ends:
                del self._pages[old]

    # --- geometry and title -------------------------------------------------------------------

    def _body_height(self) -> int:
        return self.scrollable_content_region.height - 1  # the header line

    def _update_size(self) -> None:
        columns = self.source.columns if self.source else ()
        available = self.scrollable_content_region.width or self.size.width
        widths = [c.width for c in columns]
        spare = available - GUTTER - sum(widths) - len(widths)
        for i, column in enumerate(columns):
            if column.flex and spare > 0:
                widths[i] += spare
                break
        if widths != self._widths:
            self._widths = widths
            self._strips.clear()
            self._header_strip = None
        width = GUTTER + sum(widths) + len(widths)
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
            parts.append(f"{len(self.marks):,} marked")
        self._set_border_text("_border_title", Content("  ".join(parts)))  # typed text: no markup

    def _update_position(self) -> None:
        position = f"{self.cursor + 1:,}/{self.row_count:,}" if self.row_count else ""
        self._set_border_text("_border_subtitle", Content(position))

    def _set_border_text(self, name: str, text: Content) -> None:
        """Set the border title (or subtitle) and repaint its border line only.

        Textual's ``border_title`` setter repaints the whole table; a mark or a cursor move
        changes one border line, so set the field the setter sets and refresh that line.
        """
        if getattr(self, name, None) == text:
            return
        outer = self.outer_size
        if not self.is_mounted or not outer.height or not hasattr(self, name):
            setattr(self, name.removeprefix("_"), text)
            return
        setattr(self, name, self.render_str(text).expand_tabs(4).split()[0])
        left, top = self.content_offset
        y = -top if name == "_border_title" else outer.height - top - 1
        self.refresh(Region(-left, y, outer.width, 1))

    # --- rendering ----------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None
        self._strips.clear()
        self._header_strip = None

    def _style(self, name: str) -> Style:
        if self._styles is None:
            base = self.rich_style
            self._styles = {"": base}
            for part in ("header", "cursor", "mark", "loading"):
                self._styles[part] = base + self.get_component_rich_style(f"paged-table--{part}")
            self._styles["cursor-mark"] = self._styles["cursor"] + self._styles["mark"]
        return self._styles[name]

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        if self.source is None:
            return Strip.blank(width, self._style(""))
        if y == 0:
            strip = self._header()
        else:
            index = scroll_y + y - 1
            if index >= self.row_count:
                return Strip.blank(width, self._style(""))
            row = self._row_at(index)
            if row is None:
                return Strip([Segment(_fit("  …", width, "left"), self._style("loading"))])
            strip = self._drawn(row, index == self.cursor)
        if scroll_x == 0 and strip.cell_length == width:
            return strip  # the usual case: drawn at the table's width, nothing to crop
        return strip.crop_extend(scroll_x, scroll_x + width, self._style(""))

    def _drawn(self, row: Row, is_cursor: bool) -> Strip:
        """The row's strip, drawn once and kept while its data, width and styles hold."""
        key = (row.key, is_cursor, row.key in self.marks)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._strips[key] = self._row_strip(row, *key[1:])
            if len(self._strips) > CACHED_STRIPS:
                self._strips.popitem(last=False)
        return strip

    def _warm(self) -> None:
        """Between keys, draw the read rows a screen above and below, a few at a time, so that
        page up/down find them drawn (drawing a row costs more than showing a drawn one)."""
        if self._warming or self.source is None or not self._widths:
            return
        height = max(1, self._body_height())
        top = self.scroll_offset.y
        todo = []
        for index in range(max(0, top - height), min(self.row_count, top + 2 * height)):
            row = self._row_at(index, read=False)
            if row is not None and (row.key, False, row.key in self.marks) not in self._strips:
                todo.append(row)
        if not todo:
            return
        for row in todo[:10]:
            self._drawn(row, False)
        if len(todo) > 10:
            self._warming = True
            self.call_later(self._warm_more)

    def _warm_more(self) -> None:
        self._warming = False
        self._warm()

    def _header(self) -> Strip:
        if self._header_strip is None:
            style = self._style("header")
            texts = [" " * GUTTER]
            for column, width in zip(self.source.columns, self._widths, strict=False):
                label = column.label
                if self.view is not None and column.key == self.view.sort:
                    label += " ▼" if self.view.descending else " ▲"
                texts.append(_fit(label, width, column.align) + " ")
            text = "".join(texts)
            self._header_strip = Strip([Segment(text, style)], cell_len(text))
        return self._header_strip

    def _row_strip(
        self, row: Row, is_cursor: bool, marked: bool, widths: list[int] | None = None
    ) -> Strip:
        base = self._style("cursor" if is_cursor else "")
        mark_style = self._style("cursor-mark" if is_cursor else "mark")
        pieces = [("● ", mark_style) if marked else ("  ", base)]
        length = GUTTER
        for column, width in zip(self.source.columns, widths or self._widths, strict=False):
            text = _fit(column.format(row.data.get(column.key)), width, column.align)
            style = base
            if self.cell_style is not None:
                extra = self.cell_style(row, column)
                if extra:
                    style = base + _parse_style(extra)
            pieces.append((text, style))
            pieces.append((" ", base))
            length += width + 1
        return Strip(_merged(pieces), length)

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
        if moved_page:
            self.call_after_refresh(self._prefetch)
        self._update_position()

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
            x = offset.x + self.scroll_offset.x - GUTTER
            for column, width in zip(self.source.columns, self._widths, strict=False):
                if x < width + 1:
                    self.sort_by(column.key)
                    return
                x -= width + 1
            return
        self._move_to(self.scroll_offset.y + offset.y - 1)

    # --- marks and sort -----------------------------------------------------------------------

    def action_toggle_mark(self) -> None:
        key = self.cursor_key
        if key is None:
            return
        self.marks.symmetric_difference_update({key})
        self._marks_changed()
        self._move_to(self.cursor + 1)
        self.refresh_line(self.cursor)  # the row just marked (header is line 0)

    def action_mark_all(self) -> None:
        """Mark every row the filter matches (all of them, not just those read), or unmark."""
        if self.marks and len(self.marks) >= self.row_count:
            self.marks.clear()
            self._marks_changed()
            self.refresh()
            return
        generation, view, source = self._generation, self.view, self.source

        def read() -> None:
            self.post_message(self._MarksLoaded(generation, set(source.keys(view))))

        self.run_worker(read, thread=True, group="paged-table-marks", exit_on_error=False)

    @on(_MarksLoaded)
    def _apply_marks(self, message: _MarksLoaded) -> None:
        if message.generation == self._generation:
            self.marks = message.keys
            self._marks_changed()
            self.refresh()

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


class FilterInput(Input):
    """The ``/`` filter's input: a typed change and its matches show in one frame."""

    def validate_value(self, value: str) -> str:
        # Before the input repaints itself: hold the frame until the table has the matches.
        parent = self.parent
        if value != self.value and isinstance(parent, PagedList):
            parent.table._hold_frames()
        return value


class PagedList(Vertical):
    """A paged table with its ``/`` filter input below it."""

    DEFAULT_CSS = """
    PagedList { height: 1fr; }
    PagedList > Input.paged-filter { display: none; height: 1; border: none; padding: 0 1; }
    PagedList > Input.paged-filter.-shown { display: block; }
    """
    BINDINGS = [Binding("slash", "filter", "Filter")]

    def __init__(self, table: PagedTable, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.table = table

    def compose(self) -> ComposeResult:
        yield self.table
        yield FilterInput(placeholder="filter (esc clears)", classes="paged-filter")

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
        if event.key == "escape" and self.filter_input.has_focus:
            event.stop()
            self.filter_input.value = ""  # posts Changed: the filter clears
            self.filter_input.remove_class("-shown")
            self.table.focus()
