"""The key bar: the screen's keys and what they do, on the bottom line.

Textual's Footer makes a widget per key and restyles each whenever the bindings change (every
focus change, every area switch): about a tenth of a second of the console's start-up. The key
bar draws the same keys as one line, redrawn when the screen's bindings change; a click on a
key presses it.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.widget import Widget


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

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        disabled = self.get_component_rich_style("key-bar--disabled")
        text = Text(" ", end="", no_wrap=True)
        self._spans = []
        shown: set[str] = set()
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if not binding.show or binding.action in shown:
                continue  # one entry per action, as the footer does
            shown.add(binding.action)
            start = text.cell_len
            extra = disabled if not enabled else None
            text.append(self.app.get_key_display(binding), key_style + extra)
            text.append(" " + binding.description, description_style + extra)
            self._spans.append((start, text.cell_len, binding.key))
            text.append("  ")
        palette = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
        if self.app.ENABLE_COMMAND_PALETTE and palette is not None:
            start = text.cell_len
            text.append(self.app.get_key_display(palette.binding), key_style)
            text.append(" " + palette.binding.description, description_style)
            self._spans.append((start, text.cell_len, palette.binding.key))
        return text

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                self.app.simulate_key(key)
                return
