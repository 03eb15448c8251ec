"""A yes/no question before an outbound, destructive or far-reaching action.

``Confirm(question)`` is a ``ModalScreen[bool]``: y or the Yes button → True, n, esc or the No
button → False. Say the count in the question ("Upload 12 POs to QuickBooks?"). The question and
the title are shown through ``safe`` (they may hold partner data such as a vendor name).

``act_on_selection`` runs an action on a list's selection, asking first when the filter hides
marked rows (the question names what is touched and what is not).
"""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Static

from screens.safe_text import safe
from screens.selection import Selection


class Confirm(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
        Binding("left,right", "switch", show=False),
    ]
    DEFAULT_CSS = """
    Confirm { align: center middle; }
    Confirm > Vertical {
        width: 60; max-width: 100%; height: auto;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    Confirm #question { width: 1fr; height: auto; padding: 1 0; }
    Confirm Horizontal { height: auto; align-horizontal: right; }
    Confirm Button { margin-left: 2; }
    """

    def __init__(self, question: str, *, yes: str = "Yes", no: str = "No", title: str = ""):
        super().__init__()
        self.question = question
        self.yes, self.no, self.title_text = yes, no, title

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = safe(self.title_text or "Confirm", one_line=True)
            yield Static(safe(self.question), id="question")
            with Horizontal():
                yield Button(f"{self.yes} (y)", id="yes", variant="warning", compact=True)
                yield Button(f"{self.no} (n)", id="no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()  # the safe answer is the default

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    def action_switch(self) -> None:
        self.focus_next(Button)


def act_on_selection(
    widget: Widget,
    selection: Selection,
    names: tuple[str, str],
    question: Callable[[str], str],
    act: Callable[[list[int]], None],
    *,
    yes: str,
) -> None:
    """``act(keys)`` on the rows the selection touches: at once, or, when the filter hides
    marked rows, once the operator says yes to ``question(what is touched, in words)``, which
    is asked with what is not touched added: "Refresh 4 marked POs (24 more marked are hidden
    by the filter and will not be touched)?"."""
    noun, plural = names
    reason = selection.all_hidden(noun, plural)
    if reason is not None:
        widget.app.notify(reason, severity="warning")
        return
    if not selection.keys:
        return
    if not selection.hidden:
        act(selection.keys)
        return

    def answered(yes: bool | None) -> None:
        if yes:
            act(selection.keys)

    asked = question(selection.words(noun, plural)) + selection.untouched() + "?"
    widget.app.push_screen(Confirm(asked, yes=yes), answered)
