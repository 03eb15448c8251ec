"""One line at the bottom of every area: each connector's health at a glance."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from screens.messages import ConnectorHealth


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, **kw) -> None:
        super().__init__("connecting…", **kw)

    def show(self, connectors: list[ConnectorHealth]) -> None:
        if not connectors:
            self.update("no connectors enabled")
            return
        parts: list[Content] = []
        for c in connectors:
            if c.ok:
                text = f"● {c.name} {c.last_success or '—'} next {c.next_run or '—'}"
                parts.append(Content.styled(text, "$success"))
            else:
                text = f"✖ {c.name} failed ×{c.failures} (e: error)"
                parts.append(Content.styled(text, "bold $error"))
        self.update(Content("  ").join(parts))
