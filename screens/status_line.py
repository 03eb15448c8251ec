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
                text = f"● {c.name} ✓{c.last_success or '—'} ↻{c.next_run or '—'}"
                parts.append(Content.styled(text, "$success"))
            else:
                text = f"✖ {c.name} failed ×{c.failures} (e)"
                parts.append(Content.styled(text, "bold $error"))
        parts.append(Content.styled(f"polled {_pollers(connectors)}", "dim"))
        self.update(Content("  ").join(parts))


def _pollers(connectors: list[ConnectorHealth]) -> str:
    """Which process polls: this console, another process, or nobody yet."""
    from posync_tui.events import ORIGIN

    leaders = {c.leader for c in connectors if c.leader}
    if not leaders:
        return "by none yet"
    if leaders == {ORIGIN}:
        return "here"
    if len(leaders) > 1:
        return "by several (e)"
    (leader,) = leaders
    return "by " + ":".join(leader.split(":")[:2])  # host:pid
