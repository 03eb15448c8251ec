"""A yes/no question before an outbound, destructive or far-reaching action.

``Confirm(question)`` is a ``ModalScreen[bool]``: y or a click on Yes → True, n, esc or a click
on No → False; enter gives the answer shown reversed (No, until left, right or tab switches it).
Say the count in the question ("Upload 12 POs to QuickBooks?"). The question and the title are
shown through ``safe`` (they may hold partner data such as a vendor name).

``act_on_selection`` runs an action on a list's selection, asking first when the filter hides
marked rows (the question names what is touched and what is not).
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Static

from screens.safe_text import safe
from screens.selection import Selection


class Confirm(ModalScreen[bool]):
    # The answers are a line of text, not Buttons: the dialog opens on the event loop while
    # runs are under way, and a Button restyles itself as it is made and at every focus change
    # (two of them took about half of the 100 ms a push and pop of this dialog cost the loop).
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
        Binding("enter", "answer_chosen", show=False),
        Binding("left,right,tab,shift+tab", "switch", show=False),
    ]
    DEFAULT_CSS = """
    Confirm { align: center middle; }
    Confirm > Vertical {
        width: 60; max-width: 100%; height: auto;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    Confirm #question { width: 1fr; height: auto; padding: 1 0; }
    Confirm #answers { width: 1fr; text-align: right; }
    """
    chosen: reactive[bool] = reactive(False, init=False)  # what enter answers: No at first

    def __init__(self, question: str, *, yes: str = "Yes", no: str = "No", title: str = ""):
        super().__init__()
        self.question = question
        self.yes, self.no, self.title_text = yes, no, title

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = safe(self.title_text or "Confirm", one_line=True)
            yield Static(safe(self.question), id="question")
            yield Static(self._answers(), id="answers")

    def _answers(self) -> Content:
        def answer(label: str, key: str, value: bool) -> Content:
            # A click answers as the key does; the answer enter gives is shown reversed.
            words = Content.from_markup(
                f"[@click=screen.answer({value})] $label ({key}) [/]", label=label
            )
            return words.stylize("reverse bold" if value == self.chosen else "bold")

        return Content.assemble(answer(self.yes, "y", True), "  ", answer(self.no, "n", False))

    def watch_chosen(self) -> None:
        self.query_one("#answers", Static).update(self._answers())

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    def action_answer_chosen(self) -> None:
        self.dismiss(self.chosen)

    def action_switch(self) -> None:
        self.chosen = not self.chosen


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
