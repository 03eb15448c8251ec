"""Widgets of the PO detail: the header's field grid, the lines table and the inline editor."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import DataTable, Input, Label, Static

from screens.safe_text import VISIBLE, safe

LABEL_WIDTH = 15


@dataclass(frozen=True)
class HeaderField:
    key: str
    label: str
    value: Content


class FieldGrid(Widget, can_focus=True):
    """Label/value pairs in columns (two by default) with a cursor; enter asks to edit."""

    DEFAULT_CSS = """
    FieldGrid { height: auto; padding: 0 1; }
    FieldGrid > .field-grid--label { color: $text-muted; }
    FieldGrid > .field-grid--cursor { background: $accent 40%; text-style: bold; }
    """
    COMPONENT_CLASSES = {"field-grid--label", "field-grid--cursor"}
    BINDINGS = [
        Binding("up", "move_row(-1)", show=False),
        Binding("down", "move_row(1)", show=False),
        Binding("left", "move(-1)", show=False),
        Binding("right", "move(1)", show=False),
        Binding("enter", "select", "Edit"),
    ]
    cursor: reactive[int] = reactive(0)

    @dataclass
    class Selected(Message):
        grid: FieldGrid
        key: str

    @dataclass
    class Highlighted(Message):
        grid: FieldGrid
        key: str

    def __init__(
        self, *, columns: int = 2, label_width: int = LABEL_WIDTH, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.fields: list[HeaderField] = []
        self.columns = columns
        self.label_width = label_width

    def set_fields(self, fields: list[HeaderField]) -> None:
        self.fields = fields
        self.cursor = min(self.cursor, max(len(fields) - 1, 0))
        self.refresh(layout=True)

    @property
    def current_key(self) -> str | None:
        return self.fields[self.cursor].key if self.fields else None

    def value_of(self, key: str) -> Content | None:
        return next((f.value for f in self.fields if f.key == key), None)

    def move_to(self, key: str) -> None:
        for i, f in enumerate(self.fields):
            if f.key == key:
                self.cursor = i

    def action_move(self, step: int) -> None:
        if self.fields:
            self.cursor = max(0, min(len(self.fields) - 1, self.cursor + step))

    def action_move_row(self, rows: int) -> None:
        self.action_move(rows * self.columns)

    def action_select(self) -> None:
        if self.current_key:
            self.post_message(self.Selected(self, self.current_key))

    def watch_cursor(self) -> None:
        if self.current_key and self.has_focus:
            self.post_message(self.Highlighted(self, self.current_key))

    def on_focus(self) -> None:
        self.refresh()
        if self.current_key:
            self.post_message(self.Highlighted(self, self.current_key))

    def on_blur(self) -> None:
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        column = min(event.x * self.columns // max(self.content_size.width, 1), self.columns - 1)
        index = event.y * self.columns + column
        if 0 <= index < len(self.fields):
            self.cursor = index

    def get_content_height(self, container, viewport, width: int) -> int:
        return -(-len(self.fields) // self.columns)

    def render(self) -> Content:
        lw, columns = self.label_width, self.columns
        half = max(self.content_size.width // columns, lw + 4)  # one column's width
        label_style = self.get_visual_style("field-grid--label")
        # partial: the cursor keeps the value's own colour (a red last-synced date stays red)
        cursor_style = self.get_visual_style("field-grid--cursor", partial=True)
        rows: list[Content] = []
        for top in range(0, len(self.fields), columns):
            cells = []
            for i in range(top, min(top + columns, len(self.fields))):
                f = self.fields[i]
                label = Content(f"{f.label:<{lw}}"[:lw]).stylize(label_style)
                value = f.value.truncate(half - lw - 1, ellipsis=True)
                if self.has_focus and i == self.cursor:
                    value = value.pad_right(half - lw - 1 - value.cell_length)
                    value = value.stylize(cursor_style)
                cell = Content.assemble(label, value).truncate(half, pad=True)
                cells.append(cell)
            rows.append(Content("").join(cells))
        return Content("\n").join(rows)


def refill(table: DataTable, rows: Iterable[tuple[str, list[Content]]]) -> None:
    """Replace a small table's rows (key, cells), the cursor staying where it was."""
    cursor = table.cursor_coordinate
    table.clear()
    for key, cells in rows:
        table.add_row(*cells, key=key)
    if table.row_count:
        table.cursor_coordinate = cursor  # clamped to the table by DataTable


class LineTable(DataTable):
    """The PO's lines; enter on a cell asks to edit it (a DataTable.CellSelected)."""

    BINDINGS = [Binding("enter", "select_cursor", "Edit")]


class EditBar(Vertical):
    """The inline editor: one field's value in an Input; enter saves, escape cancels."""

    DEFAULT_CSS = """
    EditBar { height: auto; display: none; background: $boost; padding: 0 1; }
    EditBar.editing { display: block; }
    EditBar > Horizontal { height: 1; }
    EditBar Label { width: auto; padding-right: 1; text-style: bold; }
    EditBar Input { width: 1fr; }
    EditBar #edit-help { color: $text-muted; height: auto; }
    EditBar #edit-help.error { color: $error; text-style: bold; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    class Cancelled(Message):
        pass

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(id="edit-label")
            yield Input(compact=True, highlighter=VISIBLE, id="edit-input")
        yield Static(id="edit-help")

    def open(self, label: str, value: str, help_text: str) -> None:
        self.query_one("#edit-label", Label).update(Content(label))
        field = self.query_one(Input)
        field.value = value
        field.cursor_position = len(value)
        self.say(help_text)
        self.add_class("editing")
        field.focus()

    def say(self, text: str, *, error: bool = False) -> None:
        help_line = self.query_one("#edit-help", Static)
        help_line.update(safe(text))  # may quote the value refused
        help_line.set_class(error, "error")

    def close(self) -> None:
        self.remove_class("editing")

    @property
    def is_open(self) -> bool:
        return self.has_class("editing")

    def action_cancel(self) -> None:
        self.post_message(self.Cancelled())
