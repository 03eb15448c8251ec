"""Choose a record of one of QuickBooks' lists: type to narrow, up/down, enter; esc cancels.

The list was read from QuickBooks before the dialog opens (in the caller's worker); typing
filters it here, so a long item list is searched without asking QuickBooks again. The first
option clears the choice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from screens.safe_text import VISIBLE, safe

if TYPE_CHECKING:
    from connectors.quickbooks import ListEntry

CLEAR = "-"  # the option that clears the choice
SHOWN = 200  # options listed at once; typing narrows the rest


class ChooseFromQuickBooks(ModalScreen["ListEntry | str | None"]):
    """Dismissed with the entry picked, ``CLEAR`` to clear the choice, or None (esc)."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel"),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
    ]
    DEFAULT_CSS = """
    ChooseFromQuickBooks { align: center middle; }
    ChooseFromQuickBooks > Vertical {
        width: 64; max-width: 100%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    ChooseFromQuickBooks OptionList { height: auto; max-height: 12; }
    ChooseFromQuickBooks #count { height: 1; color: $text-muted; }
    """

    def __init__(self, title: str, entries: list[ListEntry], current: str | None = None):
        super().__init__()
        self.title_text, self.entries, self.current = title, entries, current

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = safe(self.title_text, one_line=True)
            box.border_subtitle = "type to search · ↑↓ · enter choose · esc cancel"
            yield Input(placeholder="search QuickBooks' list", highlighter=VISIBLE, id="search")
            yield Static("", id="count")
            yield OptionList(id="entries")

    def on_mount(self) -> None:
        self.show("")

    @on(Input.Changed, "#search")
    def _typed(self, event: Input.Changed) -> None:
        self.show(event.value)

    def show(self, text: str) -> None:
        from posync_tui.services.accounting_mappings import search_items

        found = search_items(self.entries, text) if text.strip() else self.entries
        options = [Option("(none: clear the choice)", id=CLEAR)]
        for entry in found[:SHOWN]:
            label = entry.name + (f"  · {entry.kind}" if entry.kind else "")
            options.append(Option(safe(label, one_line=True), id=entry.id))
        listed = self.query_one("#entries", OptionList)
        listed.set_options(options)
        current = next((i for i, e in enumerate(found[:SHOWN]) if e.id == self.current), None)
        listed.highlighted = 1 + current if current is not None else (1 if found else 0)
        more = f" (first {SHOWN}: type to narrow)" if len(found) > SHOWN else ""
        self.query_one("#count", Static).update(f"{len(found):,} in QuickBooks{more}")

    def action_move(self, step: int) -> None:
        listed = self.query_one("#entries", OptionList)
        listed.highlighted = max(0, min((listed.highlighted or 0) + step, listed.option_count - 1))

    @on(Input.Submitted, "#search")
    def _chosen(self) -> None:
        listed = self.query_one("#entries", OptionList)
        if listed.highlighted is not None:
            self._pick(listed.get_option_at_index(listed.highlighted).id)

    @on(OptionList.OptionSelected, "#entries")
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        self._pick(event.option.id)

    def _pick(self, option_id: str | None) -> None:
        if option_id == CLEAR:
            self.dismiss(CLEAR)
            return
        self.dismiss(next((e for e in self.entries if e.id == option_id), None))
