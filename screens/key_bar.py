"""The key bar: the screen's keys and what they do, on the bottom line.

Textual's Footer makes a widget per key and restyles each whenever the bindings change (every
focus change, every area switch): about a tenth of a second of the console's start-up. The key
bar draws the same keys as one line, redrawn when the screen's bindings change; a click on a
key presses it.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.widget import Widget

HELP_KEY = "question_mark"
MORE = "More keys"


def _cells(entry: tuple[str, str, str, bool]) -> int:
    """Cells of one "key description" on the bar."""
    key, description, _, _ = entry
    return cell_len(key) + 1 + cell_len(description)


def _width(entries) -> int:
    """Cells the entries take: a leading space, then each entry, two spaces between them."""
    return 1 + sum(_cells(e) for e in entries) + 2 * max(len(entries) - 1, 0)


class KeyBar(Widget):
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        background: $footer-background;
        color: $footer-foreground;
        text-wrap: nowrap;
        text-overflow: clip;
    }
    KeyBar > .key-bar--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyBar > .key-bar--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    KeyBar > .key-bar--disabled { text-style: dim; }
    """
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description", "key-bar--disabled"}

    def __init__(self) -> None:
        super().__init__()
        self._spans: list[tuple[int, int, str]] = []  # (start, end, key) of each shown key

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen) -> None:
        self.refresh()

    def entries(self) -> list[tuple[str, str, str, bool]]:
        """(key shown, description, key, enabled) of each shown key, in the bindings' order
        (the most used first), the command palette last."""
        found = []
        shown: set[str] = set()
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if not binding.show or binding.action in shown:
                continue  # one entry per action, as the footer does
            shown.add(binding.action)
            key = self.app.get_key_display(binding)
            found.append((key, binding.description, binding.key, enabled))
        palette = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
        if self.app.ENABLE_COMMAND_PALETTE and palette is not None:
            key = self.app.get_key_display(palette.binding)
            found.append((key, palette.binding.description, palette.binding.key, True))
        return found

    def fitted(self, width: int) -> list[tuple[str, str, str, bool]]:
        """The entries that fit ``width`` cells whole, in order; when some do not, the help
        key closes the bar as "? More keys" (they are all listed there)."""
        entries = self.entries()
        help_key = next((e for e in entries if e[2] == HELP_KEY), None)
        rest = [e for e in entries if e is not help_key]
        if help_key is None or _width(entries) <= width:
            return [*rest, help_key] if help_key else rest
        more = (help_key[0], MORE, help_key[2], True)
        fitted, used = [], _width([more])
        for entry in rest:
            used += _cells(entry) + 2
            if used > width:
                break
            fitted.append(entry)
        return [*fitted, more]

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        disabled = self.get_component_rich_style("key-bar--disabled")
        text = Text(" ", end="", no_wrap=True)
        self._spans = []
        for key, description, binding_key, enabled in self.fitted(self.size.width or 80):
            start = text.cell_len
            extra = disabled if not enabled else None
            text.append(key, key_style + extra)
            text.append(" " + description, description_style + extra)
            self._spans.append((start, text.cell_len, binding_key))
            text.append("  ")
        text.rstrip()
        return text

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                self.app.simulate_key(key)
                return
