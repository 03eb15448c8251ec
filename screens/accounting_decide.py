"""The Errors tabs' decisions on an upload that may or may not be in QuickBooks.

``l`` looks it up again, ``g`` sends it again (``s`` sorts, as in every list), ``d`` marks it
done with the QuickBooks id the operator found there (asked by ``QuickBooksIdPrompt``), ``x``
cancels it (after a confirmation).
The work runs in a worker thread; the outcome comes back as a notification.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

DECISIONS = {
    "look_up": "look it up again",
    "send": "send it again",
    "done": "mark it done",
    "cancel": "cancel it",
}
HINT = "l look it up again · g send it again · d mark it done with its QuickBooks id · x cancel"


class QuickBooksIdPrompt(ModalScreen["str | None"]):
    """Asks for the id QuickBooks gave the record; esc: None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    QuickBooksIdPrompt { align: center middle; }
    QuickBooksIdPrompt > Vertical {
        width: 60; max-width: 100%; height: auto;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    QuickBooksIdPrompt Static { height: auto; padding: 1 0 0 0; }
    """

    def __init__(self, number: str):
        super().__init__()
        self.number = number

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Content("Mark done")
            yield Static(
                Content(
                    f"{self.number} is in QuickBooks: enter the id QuickBooks shows for it "
                    "(enter to save, esc to go back)."
                )
            )
            yield Input(placeholder="QuickBooks id", max_length=30, id="qbo-id")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


def decide(db, po_id: int, decision: str, qbo_id: str = "") -> None:
    """Carry out one decision (in a worker thread); raises NotDecidable with the reason."""
    from posync_tui.services import accounting_decisions as decisions

    if decision == "look_up":
        decisions.look_up_again(db, po_id)
    elif decision == "send":
        decisions.send_again(db, po_id)
    elif decision == "done":
        decisions.mark_done(db, po_id, qbo_id)
    else:
        decisions.cancel_upload(db, po_id)
