"""What every edit form shares: a message at the field, save with ctrl+s, ask before discarding.

A form is a ``FormScreen[T]`` (a modal): its fields are widgets with ids, each followed by a
``FieldError(field)``. Nothing is written until the operator saves (ctrl+s or the Save button);
``values()`` are compared with the values the form opened with, and leaving with unsaved
changes (esc or Cancel) asks whether to discard them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Label, Static

from screens.confirm import Confirm
from screens.safe_text import safe

if TYPE_CHECKING:
    from posync_tui.refused import Refused

T = TypeVar("T")


def at_fields(
    refused: Refused,
    keys: Sequence[int],
    typed: Callable[[int], tuple[str, int | None]],
    picks: Mapping[str, tuple[str, int | None]],
) -> dict[str, str]:
    """Each refused value at the form field it is about: a line's at its row's (``keys``: the
    rows' ids; ``typed(i)``: the text in the i-th line's look-up field and the record picked from
    its matches). A look-up field (``picks``: the head's, by name; a line's "item") with text
    typed but nothing picked says to pick one."""
    shown_at: dict[str, str] = {}
    for problem in refused.problems:
        message = problem.message
        if problem.line is not None and 0 < problem.line <= len(keys):
            field = f"line-{keys[problem.line - 1]}-{problem.field}"
            text, picked = typed(problem.line - 1)
        elif problem.line is not None:
            field, text, picked = "lines", "", None
        else:
            field = problem.field
            text, picked = picks.get(problem.field, ("", None))
        is_lookup = problem.field == "item" or problem.field in picks
        if is_lookup and text and picked is None:
            what = problem.field.replace("_", "-")
            message = f"Pick the {what} from the matches (up/down, enter)"
        shown_at.setdefault(field, message)
    return shown_at


class FieldError(Static):
    """The message under a field when its value is refused (hidden when there is none)."""

    DEFAULT_CSS = """
    FieldError { display: none; color: $error; text-style: bold; height: auto; }
    FieldError.-shown { display: block; }
    """

    def __init__(self, field: str):
        super().__init__(id=f"{field}-error", classes="field-error")
        self.field = field
        self.message = ""

    def show(self, message: str | None) -> None:
        self.message = message or ""
        self.update(safe(self.message))  # may quote partner data
        self.set_class(bool(message), "-shown")


class Tick(Checkbox):
    """A checkbox whose state reads without colour (NO_COLOR, a monochrome terminal)."""

    @property
    def BUTTON_INNER(self) -> str:  # noqa: N802 - Textual's name
        return "X" if self.value else " "


class FormScreen(ModalScreen[T]):
    """A modal form; subclasses compose the fields and define ``values()`` and ``action_save``."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    DEFAULT_CSS = """
    FormScreen { align: center middle; }
    FormScreen > #dialog {
        width: 72; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    FormScreen .field-row { height: auto; margin-top: 1; }
    FormScreen .field-label { width: 22; color: $text-muted; }
    FormScreen .field-row > Input, FormScreen .field-row > Select { width: 1fr; }
    FormScreen FieldError { margin-left: 22; }
    FormScreen .form-note { color: $text-muted; height: auto; }
    FormScreen #form-error { margin-left: 0; }
    FormScreen #buttons { height: auto; margin-top: 1; align-horizontal: right; }
    FormScreen #buttons Button { margin-left: 2; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.original: dict[str, Any] = {}
        self.saving = False

    # Subclasses define ``values() -> dict`` (what the form holds now, compared with
    # ``original`` to know whether there are unsaved changes) and ``action_save()``.

    @staticmethod
    def field(label: str, widget: Widget) -> ComposeResult:
        """A field on one line (its label, then the widget) and its message below it."""
        with Horizontal(id=f"{widget.id}-row", classes="field-row"):
            yield Label(label, classes="field-label")
            yield widget
        yield FieldError(widget.id)

    def buttons(self) -> ComposeResult:
        """The form-wide message (e.g. the database refused), then Save and Cancel."""
        yield FieldError("form")
        with Horizontal(id="buttons"):
            yield Button("Save (ctrl+s)", id="save", variant="primary", compact=True)
            yield Button("Cancel (esc)", id="cancel", compact=True)

    # --- state ---------------------------------------------------------------------------------

    @property
    def dirty(self) -> bool:
        return self.values() != self.original

    def show_errors(self, problems: dict[str, str], message: str | None = None) -> bool:
        """Show each refused value at its field (focusing the first); True when all is fine."""
        for error in self.query(FieldError):
            error.show(problems.get(error.field))
        self.query_one("#form-error", FieldError).show(message)
        for field in problems:
            widget = self.query(f"#{field}").first(Widget)
            if widget.focusable:
                widget.focus()
            break
        return not problems and not message

    # --- leaving -------------------------------------------------------------------------------

    def action_cancel(self) -> None:
        if self.saving:
            return
        if not self.dirty:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            Confirm("Discard your unsaved changes?", yes="Discard", no="Keep editing"),
            answered,
        )

    @on(Button.Pressed, "#save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()
