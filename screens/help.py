"""The `?` screen: every key that works here, gathered from the bindings themselves."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 72; max-width: 100%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, sections: list[tuple[str, list[tuple[str, str]]]]):
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "Keys"
            scroll.border_subtitle = "esc to close"
            for title, rows in self.sections:
                yield Static(Content.styled(title, "bold $accent"))
                for key, description in rows:
                    yield Static(Content.assemble((f"{key:>12}", "bold"), "  ", description))


def binding_rows(bindings: list[Binding], app) -> list[tuple[str, str]]:
    rows = []
    for binding in bindings:
        if not binding.description:
            continue
        rows.append((app.get_key_display(binding), binding.description))
    return rows
