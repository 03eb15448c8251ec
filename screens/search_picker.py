"""Pick a record by typing part of its code or name: a field with a small list of matches.

``SearchPicker(search, input_id=...)`` is an Input (with the id given, so a form can show a
message at it and focus it) over a short list of matches. Each keystroke asks ``search(text)``
in a thread worker (the UI thread never waits on the database); an answer for text that has
since changed is dropped. up/down move through the matches, enter (or a click) picks one; esc
closes the list. Picking posts ``Picked``; typing over a picked record posts ``Cleared``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from posync_tui.failures import plain
from screens.safe_text import VISIBLE, safe


@dataclass(frozen=True)
class Choice:
    key: int
    label: str  # shown in the field once picked
    detail: str  # shown in the list of matches
    value: Any = None


class _Matches(OptionList, can_focus=False):
    """The matches; focus stays in the field while the list is used."""


class _PickerInput(Input):
    BINDINGS = [
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("escape", "close", show=False),
    ]

    @property
    def picker(self) -> SearchPicker:
        return self.parent  # type: ignore[return-value]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("move", "close"):
            # With no list open these keys are the form's (esc: cancel the form).
            return self.picker.is_open
        return super().check_action(action, parameters)

    def action_move(self, step: int) -> None:
        self.picker.move(step)

    def action_close(self) -> None:
        self.picker.close()


class SearchPicker(Vertical):
    DEFAULT_CSS = """
    SearchPicker { height: auto; width: 1fr; }
    SearchPicker > _Matches {
        display: none; height: auto; max-height: 6; border: none; padding: 0;
        background: $boost;
    }
    SearchPicker.-open > _Matches { display: block; }
    """

    @dataclass
    class Picked(Message):
        picker: SearchPicker
        choice: Choice

        @property
        def control(self) -> SearchPicker:
            return self.picker

    @dataclass
    class Cleared(Message):
        picker: SearchPicker

        @property
        def control(self) -> SearchPicker:
            return self.picker

    @dataclass
    class _Found(Message):
        text: str
        choices: list[Choice]
        error: str | None = None

    def __init__(
        self,
        search: Callable[[str], list[Choice]],
        *,
        input_id: str,
        placeholder: str = "",
        classes: str | None = None,
    ):
        super().__init__(id=f"{input_id}-picker", classes=classes)
        self.search = search
        self.input = _PickerInput(
            placeholder=placeholder, compact=True, highlighter=VISIBLE, id=input_id
        )
        self.matches = _Matches(compact=True, markup=False)
        self.choice: Choice | None = None
        self._choices: list[Choice] = []

    def compose(self) -> ComposeResult:
        yield self.input
        yield self.matches

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    @property
    def text(self) -> str:
        return self.input.value

    def close(self) -> None:
        self.remove_class("-open")

    def move(self, step: int) -> None:
        if step > 0:
            self.matches.action_cursor_down()
        else:
            self.matches.action_cursor_up()

    def pick(self, choice: Choice) -> None:
        """Show ``choice`` as picked (also from code: a prefilled field)."""
        self.choice = choice
        self.close()
        if self.input.value != choice.label:
            self.input.value = choice.label
            self.input.cursor_position = len(choice.label)
        self.post_message(self.Picked(self, choice))

    # --- typing -------------------------------------------------------------------------------

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        # Not stopped: the form clears the message at this field.
        if self.choice is not None and event.value == self.choice.label:
            return  # the picked record's label, shown by ``pick``
        if self.choice is not None:
            self.choice = None
            self.post_message(self.Cleared(self))
        text = event.value.strip()
        if not text:
            self.close()
            return
        self._search(text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="search-picker")
    def _search(self, text: str) -> None:
        try:
            choices = self.search(text)
        except Exception as exc:  # noqa: BLE001 - shown in the list; the field stays usable
            self.post_message(self._Found(text, [], f"Could not search: {plain(exc)}"))
        else:
            self.post_message(self._Found(text, choices))

    @on(_Found)
    def _found(self, message: _Found) -> None:
        if message.text != self.input.value.strip() or self.choice is not None:
            return  # typed on since (or picked): a stale answer
        self._choices = message.choices
        if message.choices:
            options = [Option(safe(c.detail, one_line=True)) for c in message.choices]
        else:
            options = [Option(safe(message.error or "No matches"), disabled=True)]
        self.matches.set_options(options)
        self.matches.highlighted = 0 if message.choices else None
        self.set_class(self.input.has_focus, "-open")
        if self.is_open:
            self.call_after_refresh(self.matches.scroll_visible)

    # --- picking ------------------------------------------------------------------------------

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if not self.is_open:
            return  # bubbles: the form moves on to the next field
        event.stop()
        self.matches.action_select()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_index < len(self._choices):
            self.pick(self._choices[event.option_index])
            self.input.focus()

    def on_descendant_blur(self) -> None:
        self.call_after_refresh(self._close_if_left)

    def _close_if_left(self) -> None:
        if not self.input.has_focus:
            self.close()
