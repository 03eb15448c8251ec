"""A yes/no question before an outbound, destructive or far-reaching action.

``Confirm(question)`` is a ``ModalScreen[bool]``: y or the Yes button → True, n, esc or the No
button → False. Say the count in the question ("Upload 12 POs to QuickBooks?"). The question and
the title are shown through ``safe`` (they may hold partner data such as a vendor name).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from screens.safe_text import safe


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
