"""Drawing the paged table's lines: the header, and each row as one strip kept once drawn.

Drawing a row (fitting every cell, resolving its style) costs more than showing a drawn one, so
drawn rows are kept by (key, is cursor, is marked) while their data, the column widths and the
styles hold. Styles are resolved once on the UI thread; after that a row can be drawn in a thread
too (the loader draws the rows it reads). Partner text is drawn as plain segments, never parsed
as markup, through ``visible`` (controls shown as placeholders).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import lru_cache

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.content import Content
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from posync_tui.paging import Column, Row, View
from screens.safe_text import visible

GUTTER = 2  # the mark column
# A flexible column grows to at most this many cells: at a wide terminal the spare width stays
# at the right instead of pushing the other columns away from the first.
FLEX_MOST = 40
CACHED_STRIPS = 1000  # drawn rows kept, the least recently shown or warmed dropped first
STYLE_PARTS = ("header", "cursor", "mark", "loading")  # the table's component classes

CellStyle = Callable[[Row, Column], str | None]
StripKey = tuple[int, bool, bool]  # (row key, is cursor, is marked)


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


def fit(text: str, width: int, align: str) -> str:
    """The text as exactly ``width`` cells, on one line, its controls visible."""
    text = visible(text, one_line=True)
    if align == "right" and cell_len(text) < width:
        return " " * (width - cell_len(text)) + text
    return set_cell_size(text, width)


def set_border_text(widget: Widget, name: str, text: Content) -> None:
    """Set a widget's border title (or subtitle) and repaint its border line only.

    Textual's ``border_title`` setter repaints the whole widget; a mark or a cursor move
    changes one border line, so set the field the setter sets and refresh that line.
    """
    if getattr(widget, name, None) == text:
        return
    outer = widget.outer_size
    if not widget.is_mounted or not outer.height or not hasattr(widget, name):
        setattr(widget, name.removeprefix("_"), text)
        return
    setattr(widget, name, widget.render_str(text).expand_tabs(4).split()[0])
    left, top = widget.content_offset
    y = -top if name == "_border_title" else outer.height - top - 1
    widget.refresh(Region(-left, y, outer.width, 1))


class RowPainter:
    """Draws a table's header and rows at its column widths, and keeps the rows it drew.

    ``resolve`` returns the table's styles by part ("" the table's own, ``STYLE_PARTS``,
    "cursor-mark"); it is called on first use after ``forget(styles=True)``.
    """

    def __init__(self, resolve: Callable[[], dict[str, Style]], cell_style: CellStyle | None):
        self.resolve = resolve
        self.cell_style = cell_style
        self.columns: Sequence[Column] = ()
        self.widths: list[int] = []
        self.strips: OrderedDict[StripKey, Strip] = OrderedDict()
        self._styles: dict[str, Style] | None = None
        self._header: Strip | None = None
        self._fillers: dict[tuple[str, int], Strip] = {}  # loading and blank lines, by width

    def style(self, name: str) -> Style:
        styles = self._styles
        if styles is None:
            styles = self._styles = self.resolve()
        return styles[name]

    def forget(self, styles: bool = False) -> None:
        """Drop the drawn rows and header (rows read again, new widths, or new styles)."""
        self.strips.clear()
        self._header = None
        self._fillers.clear()
        if styles:
            self._styles = None

    def fit_columns(self, available: int) -> int:
        """Size the columns to ``available`` cells, the first flexible column taking what the
        others leave (up to ``FLEX_MOST``); the width of a row."""
        widths = [c.width for c in self.columns]
        spare = available - GUTTER - sum(widths) - len(widths)
        for i, column in enumerate(self.columns):
            if column.flex and spare > 0:
                widths[i] = max(widths[i], min(widths[i] + spare, FLEX_MOST))
                break
        if widths != self.widths:
            self.widths = widths
            self.forget()
        return GUTTER + sum(widths) + len(widths)

    def column_at(self, x: int) -> Column | None:
        """The column at ``x`` cells from the row's left edge (a header click sorts by it)."""
        x -= GUTTER
        for column, width in zip(self.columns, self.widths, strict=False):
            if x < width + 1:  # the mark column counts as the first column
                return column
            x -= width + 1
        return None

    def loading(self, width: int) -> Strip:
        """A row not read yet."""
        key = ("loading", width)
        if key not in self._fillers:
            text = fit("  …", width, "left")
            self._fillers[key] = Strip([Segment(text, self.style("loading"))], width)
        return self._fillers[key]

    def blank(self, width: int) -> Strip:
        """A line below the last row."""
        key = ("blank", width)
        if key not in self._fillers:
            self._fillers[key] = Strip.blank(width, self.style(""))
        return self._fillers[key]

    def header(self, view: View | None) -> Strip:
        if self._header is None:
            texts = [" " * GUTTER]
            for column, width in zip(self.columns, self.widths, strict=False):
                label = column.label
                if view is not None and column.key == view.sort:
                    label += " ▼" if view.descending else " ▲"
                texts.append(fit(label, width, column.align) + " ")
            text = "".join(texts)
            self._header = Strip([Segment(text, self.style("header"))], cell_len(text))
        return self._header

    def drawn(self, row: Row, is_cursor: bool, marked: bool) -> Strip:
        """The row's strip, drawn once and kept while its data, the widths and styles hold."""
        key = (row.key, is_cursor, marked)
        strip = self.strips.get(key)
        if strip is not None:
            self.strips.move_to_end(key)
        else:
            strip = self.strips[key] = self.draw(row, is_cursor, marked)
            if len(self.strips) > CACHED_STRIPS:
                self.strips.popitem(last=False)
        return strip

    def warm(self, wanted: list[tuple[Row | None, bool]], marks: set[int], most: int = 10) -> bool:
        """Draw up to ``most`` of the ``(row, is cursor)`` not drawn yet; True if more are left
        to draw."""
        todo = {}
        for row, is_cursor in wanted:
            if row is not None:
                key = (row.key, is_cursor, row.key in marks)
                if key in self.strips:
                    self.strips.move_to_end(key)  # still wanted: not the next one dropped
                else:
                    todo[key] = row
        for key, row in list(todo.items())[:most]:
            self.drawn(row, key[1], key[2])
        return len(todo) > most

    def draw(
        self, row: Row, is_cursor: bool, marked: bool, widths: list[int] | None = None
    ) -> Strip:
        """The row drawn now (not kept); ``widths`` when drawn in a thread for a load."""
        base = self.style("cursor" if is_cursor else "")
        mark_style = self.style("cursor-mark" if is_cursor else "mark")
        pieces = [("● ", mark_style) if marked else ("  ", base)]
        length = GUTTER
        for column, width in zip(self.columns, widths or self.widths, strict=False):
            value = row.data.get(column.key)
            shown = column.cell(row.data) if column.cell else column.format(value)
            text = fit(shown, width, column.align)
            style = base
            if self.cell_style is not None:
                extra = self.cell_style(row, column)
                if extra:
                    style = base + _parse_style(extra)
            pieces.append((text, style))
            pieces.append((" ", base))
            length += width + 1
        return Strip(_merged(pieces), length)
