"""The paged table's rows: a few cached pages, loads of a view, and pages read ahead in threads.

A load (a new view, sort or filter, or rows changed) counts the view, finds where the cursor's
row now is and reads the pages it will show (by keyset around that row), in a thread worker; it
draws those rows there too, while the UI thread waits anyway. A new sort shows its rows before
it has counted where the cursor's row now is (see ``Loaded``). Reading a page is an index walk
of about a millisecond, so a page the screen needs is read in place; a view whose pages read
slowly (a broad filter) reads them in a thread from then on. The pages a screen above and
below, and those home and end show, are read ahead in threads. Every read carries its load's
generation: a result for a view that has since changed is dropped.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message
from textual.strip import Strip

from posync_tui.paging import Row, View
from screens.paged_render import StripKey

if TYPE_CHECKING:
    from screens.paged_table import PagedTable

PAGE = 50  # rows per cached page
CACHED_PAGES = 24  # besides the first and last pages, which stay for home and end
SLOW_READ = 0.012  # seconds: a page read slower than this goes to a thread from then on


@dataclass(frozen=True)
class LoadRequest:
    generation: int
    view: View
    keep_key: int | None  # keep the cursor on this row if it still matches
    fallback: int  # else on this row index
    screen_row: int  # the cursor's row on screen, kept when possible
    height: int
    count: int | None  # the row count when known (a new sort of the same rows)
    widths: list[int]  # the column widths now: the reader draws the rows it reads with them
    marks: frozenset[int] = frozenset()  # the marked rows: the reader says which the view shows


@dataclass
class Loaded(Message, bubble=False):
    """A load's reads: the count (-1: the read failed), the cursor, the top row, its pages.

    A new sort posts its rows twice: first (not ``final``) placed where the cursor was, as soon
    as they are read, then once the cursor row's position in the new order is counted.
    """

    request: LoadRequest
    count: int
    cursor: int
    top: int
    pages: dict[int, list[Row]]
    strips: dict[StripKey, Strip]  # the rows shown, drawn in the thread
    widths: list[int]  # the column widths they were drawn with
    final: bool = True


@dataclass
class PageLoaded(Message, bubble=False):
    generation: int
    page: int
    rows: list[Row]


@dataclass
class MarksCounted(Message, bubble=False):
    """Which of the marks ``asked`` about the view shows (after a load's rows, or when rows were
    marked during a load)."""

    generation: int
    asked: frozenset[int]
    shown: frozenset[int]


@dataclass
class MarksLoaded(Message, bubble=False):
    """The keys of every row the view matches (for "mark all matching")."""

    generation: int
    keys: set[int]


class PageLoader:
    """Reads a table's rows for it, and keeps the pages read (the first and last ones always)."""

    def __init__(self, table: PagedTable):
        self.table = table
        self.pages: OrderedDict[int, list[Row]] = OrderedDict()
        self.wanted: set[int] = set()  # pages being read in a thread
        self.generation = 0  # of the newest load asked for
        self.prepared = False  # the source's prepare() has run
        self.slow = False  # this view's pages read slowly: read them in threads
        self._running: int | None = None  # the generation of the load that holds the next back
        self._shown = False  # that load has shown its rows and only counts the cursor's place
        self._pending: LoadRequest | None = None
        # Where a new sort first put the cursor's row, until its exact position is counted:
        # meanwhile a row's index is not its index in the view, so no page is read by index.
        self.placed: int | None = None
        self.placed_by: int | None = None  # the generation of the load that placed it

    # --- loads --------------------------------------------------------------------------------

    def load(
        self,
        view: View,
        keep_key: int | None,
        fallback: int,
        screen_row: int,
        height: int,
        count: int | None,
        widths: list[int],
        marks: frozenset[int],
    ) -> None:
        self.generation += 1
        request = LoadRequest(
            self.generation, view, keep_key, fallback, screen_row, height, count, widths, marks
        )
        if self._running is not None and not self._shown:
            self._pending = request  # the newest wins; the one in flight is dropped
            return
        self._running, self._shown = request.generation, False
        self.table.run_worker(
            lambda: self._read(request),
            thread=True,
            group="paged-table-load",
            exit_on_error=False,
            description="read the table's rows",
        )

    def _read(self, request: LoadRequest) -> None:
        """In a thread: count, find the cursor's row, read the pages it will show."""
        table = self.table
        source = table.source
        view = request.view
        try:
            if not self.prepared:
                source.prepare()
                self.prepared = True
            count = request.count
            if count is None:
                count = source.count(view)
            row = index = None
            drawn: dict[StripKey, Strip] = {}
            if request.keep_key is not None:
                found = source.rows(view, [request.keep_key])
                row = found[0] if found else None
            if row is not None and request.count is not None:
                # A new order of the same rows: show the cursor's row where the cursor is
                # now, read by keyset around it, while its exact position is counted.
                guess = max(0, min(request.fallback, count - 1))
                placed = self._around(request, row, guess, count)
                if placed is not None:
                    drawn = self._post(request, count, guess, *placed, final=False)
            if row is not None:
                index = source.position(view, row.key)
            if index is None:
                index = max(0, min(request.fallback, count - 1))
                row = None
            placed = self._around(request, row, index, count) if row is not None else None
            if placed is None:
                top = max(0, min(index - request.screen_row, count - request.height))
                pages = {}
                for page in range(top // PAGE, (top + request.height) // PAGE + 1):
                    if page * PAGE < count:
                        pages[page] = source.page(view, page * PAGE, PAGE, total=count)
                placed = top, pages
        except Exception:
            table.post_message(Loaded(request, -1, 0, 0, {}, {}, []))
            raise
        self._post(request, count, index, *placed, drawn=drawn)
        if request.marks:
            # After the rows, not before: which marks the view shows is for the title and the
            # next action, and would delay the frame a typed filter character waits for.
            shown = frozenset(source.matching(view, request.marks))
            table.post_message(MarksCounted(request.generation, request.marks, shown))

    def _around(
        self, request: LoadRequest, row: Row, index: int, count: int
    ) -> tuple[int, dict[int, list[Row]]] | None:
        """The top row and the whole pages a screen shows with ``row`` at ``index``, read by
        keyset from the row (no OFFSET walk); None if the list ends before they fill."""
        source, view = self.table.source, request.view
        top = max(0, min(index - request.screen_row, count - request.height))
        first = top // PAGE
        end = min(count, ((top + request.height - 1) // PAGE + 1) * PAGE)  # past the last page
        wanted_before, wanted_after = index - first * PAGE, end - 1 - index
        before = source.page(view, 0, wanted_before, before=row)
        after = source.page(view, 0, wanted_after, after=row)
        if len(before) < wanted_before or len(after) < wanted_after:
            return None
        rows = [*before, row, *after]
        pages = {first + i // PAGE: rows[i : i + PAGE] for i in range(0, len(rows), PAGE)}
        return top, pages

    def _post(
        self,
        request: LoadRequest,
        count: int,
        index: int,
        top: int,
        pages: dict[int, list[Row]],
        final: bool = True,
        drawn: dict[StripKey, Strip] | None = None,
    ) -> dict[StripKey, Strip]:
        """Post a load's rows, with the rows it shows drawn here (or taken from ``drawn``),
        while the UI thread waits anyway (drawing a row costs more than showing a drawn one)."""
        table = self.table
        strips = {}
        for i in range(top, min(count, top + request.height)) if request.widths else ():
            rows = pages[i // PAGE]
            if i % PAGE < len(rows):
                row = rows[i % PAGE]
                key = (row.key, i == index, row.key in table.marks)
                strip = (drawn or {}).get(key)
                if strip is None:
                    strip = table.painter.draw(row, key[1], key[2], request.widths)
                strips[key] = strip
        table.post_message(Loaded(request, count, index, top, pages, strips, request.widths, final))
        return strips

    def finished(self, message: Loaded) -> LoadRequest | None:
        """A load posted its rows (applied or not): the request asked for meanwhile, if it may
        start now. A load that has shown its rows and only counts the cursor row's position
        holds no request back: its count is left to finish unused."""
        if message.request.generation != self._running:
            return None  # a load given up for a newer one
        if message.final:
            self._running = None
        else:
            self._shown = True
        pending, self._pending = self._pending, None
        if pending is not None:
            self._running = None
        return pending

    def is_current(self, message: Loaded) -> bool:
        return message.request.generation == self.generation and message.count >= 0

    def keep_loaded(self, message: Loaded) -> None:
        """The load's pages replace every page read before (the rows were read again)."""
        self.pages = OrderedDict(message.pages)
        self.wanted.clear()
        self.placed = None if message.final else message.cursor
        self.placed_by = message.request.generation
        self.slow = False

    # --- pages --------------------------------------------------------------------------------

    def row_at(self, index: int, read: bool = True) -> Row | None:
        """The row at ``index``; its page is read in place if missing (unless ``read`` is
        False, or its view reads slowly: then in a thread, and None until it is read)."""
        page = index // PAGE
        rows = self.pages.get(page)
        if rows is None:
            table = self.table
            if not read or self.placed is not None or index >= table.row_count:
                return None
            rows = self._read_page(page)
            if rows is None:
                return None
        self.pages.move_to_end(page)
        offset = index - page * PAGE
        return rows[offset] if offset < len(rows) else None

    def _anchors(self, page: int) -> dict[str, Row | None]:
        """The neighbouring rows a page can be read after (or before) by keyset, when cached."""
        before, after = self.pages.get(page + 1), self.pages.get(page - 1)
        return {
            "after": after[-1] if after else None,
            "before": before[0] if before and not after else None,
        }

    def _read_page(self, page: int) -> list[Row] | None:
        if self.slow:
            self.read_in_thread([page])
            return None
        table = self.table
        started = time.perf_counter()
        rows = table.source.page(
            table.view, page * PAGE, PAGE, total=table.row_count, **self._anchors(page)
        )
        self.slow = time.perf_counter() - started > SLOW_READ
        self._keep_page(page, rows)
        return rows

    def read_ahead(self, top: int, height: int) -> None:
        """Read, in a thread, the pages a screen above and below the shown rows and those that
        home and end show, so that moving the cursor draws from the cache."""
        last = self.table.row_count - 1
        spans = [
            (max(0, top - height), min(last, top + 2 * height)),
            (0, min(last, height)),
            (max(0, last - height), last),
        ]
        pages = {page for start, end in spans for page in range(start // PAGE, end // PAGE + 1)}
        self.read_in_thread(sorted(pages - self.pages.keys() - self.wanted))

    def read_in_thread(self, pages: list[int]) -> None:
        pages = [page for page in pages if page not in self.wanted]
        if not pages or self.placed is not None:
            return
        self.wanted.update(pages)
        table = self.table
        generation, view, total, source = self.generation, table.view, table.row_count, table.source
        anchors = {page: self._anchors(page) for page in pages}

        def read() -> None:
            for page in pages:
                rows = source.page(view, page * PAGE, PAGE, total=total, **anchors[page])
                table.post_message(PageLoaded(generation, page, rows))

        table.run_worker(read, thread=True, group="paged-table-page", exit_on_error=False)

    def keep_read(self, message: PageLoaded) -> bool:
        """A page read in a thread: kept unless stale or read meanwhile on the UI thread."""
        if message.generation != self.generation:
            return False
        self.wanted.discard(message.page)
        if message.page in self.pages:
            return False
        self._keep_page(message.page, message.rows)
        return True

    def _keep_page(self, page: int, rows: list[Row]) -> None:
        self.pages[page] = rows
        self.pages.move_to_end(page)
        ends = {0, (self.table.row_count - 1) // PAGE}  # home and end stay instant
        for old in list(self.pages):
            if len(self.pages) <= CACHED_PAGES:
                break
            if old not in ends:
                del self.pages[old]

    # --- marks --------------------------------------------------------------------------------

    def read_keys(self) -> None:
        """Read, in a thread, the keys of every row the view matches; posts ``MarksLoaded``."""
        table = self.table
        generation, view, source = self.generation, table.view, table.source

        def read() -> None:
            table.post_message(MarksLoaded(generation, set(source.keys(view))))

        table.run_worker(read, thread=True, group="paged-table-marks", exit_on_error=False)

    def count_marks(self) -> None:
        """Read, in a thread, which marks the view shows; posts ``MarksCounted``."""
        table = self.table
        generation, view, source = self.generation, table.view, table.source
        marks = frozenset(table.marks)

        def read() -> None:
            shown = frozenset(source.matching(view, marks))
            table.post_message(MarksCounted(generation, marks, shown))

        table.run_worker(read, thread=True, group="paged-table-marks", exit_on_error=False)
