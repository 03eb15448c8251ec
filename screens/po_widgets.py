"""Widgets of the PO detail: the header's field grid, the lines table and the inline editor."""

from __future__ import annotations

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

LABEL_WIDTH = 15


@dataclass(frozen=True)
class HeaderField:
    key: str
    label: str
    value: Content


class FieldGrid(Widget, can_focus=True):
    """Label/value pairs in two columns with a cursor; enter asks to edit the field."""

    DEFAULT_CSS = """
    FieldGrid { height: auto; padding: 0 1; }
    FieldGrid > .field-grid--label { color: $text-muted; }
    FieldGrid > .field-grid--cursor { background: $accent 40%; text-style: bold; }
    """
    COMPONENT_CLASSES = {"field-grid--label", "field-grid--cursor"}
    BINDINGS = [
        Binding("up", "move(-2)", show=False),
        Binding("down", "move(2)", show=False),
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

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.fields: list[HeaderField] = []

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
        column = 1 if event.x >= self.content_size.width // 2 else 0
        index = event.y * 2 + column
        if 0 <= index < len(self.fields):
            self.cursor = index

    def get_content_height(self, container, viewport, width: int) -> int:
        return (len(self.fields) + 1) // 2

    def render(self) -> Content:
        width = self.content_size.width
        half = max(width // 2, LABEL_WIDTH + 4)
        label_style = self.get_visual_style("field-grid--label")
        # partial: the cursor keeps the value's own colour (a red last-synced date stays red)
        cursor_style = self.get_visual_style("field-grid--cursor", partial=True)
        rows: list[Content] = []
        for top in range(0, len(self.fields), 2):
            cells = []
            for i in (top, top + 1):
                if i >= len(self.fields):
                    break
                f = self.fields[i]
                label = Content(f"{f.label:<{LABEL_WIDTH}}"[:LABEL_WIDTH]).stylize(label_style)
                value = f.value.truncate(half - LABEL_WIDTH - 1, ellipsis=True)
                if self.has_focus and i == self.cursor:
                    value = value.pad_right(half - LABEL_WIDTH - 1 - value.cell_length)
                    value = value.stylize(cursor_style)
                cell = Content.assemble(label, value).truncate(half, pad=True)
                cells.append(cell)
            rows.append(Content("").join(cells))
        return Content("\n").join(rows)


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
            yield Input(compact=True, id="edit-input")
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
        help_line.update(Content(text))
        help_line.set_class(error, "error")

    def close(self) -> None:
        self.remove_class("editing")

    @property
    def is_open(self) -> bool:
        return self.has_class("editing")

    def action_cancel(self) -> None:
        self.post_message(self.Cancelled())
