"""One line at the bottom of every area: each connector's health at a glance.

Compact, so that six connectors fit at 80 columns: a glyph, the short name and the state
(``●sup ✓12:03``, ``●qbo ✖3``, ``●cat –``, ``○edi unset``); the details are on `e`. Each state
has its own sign, so that it reads without colour (NO_COLOR) too. Who polls is added when it fits.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from screens.messages import ConnectorHealth
from screens.safe_text import visible


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, **kw) -> None:
        super().__init__("connecting…", **kw)
        self.connectors: list[ConnectorHealth] | None = None

    def show(self, connectors: list[ConnectorHealth]) -> None:
        self.connectors = connectors
        self._show()

    def on_resize(self) -> None:
        if self.connectors is not None:
            self._show()

    def _show(self) -> None:
        connectors = self.connectors or []
        if not connectors:
            self.update("no connectors enabled", layout=False)
            return
        line = Content(" ").join([entry(c) for c in connectors])
        pollers = Content.styled(f"polled {_pollers(connectors)}", "dim")
        if line.cell_length + 2 + pollers.cell_length <= self.content_size.width:
            line = Content("  ").join([line, pollers])
        self.update(line, layout=False)  # one line whatever it says: no layout of the screen


def entry(c: ConnectorHealth) -> Content:
    if c.state == "not configured":
        return Content.styled(f"○{c.short} unset", "$warning")
    if c.state == "failing":
        return Content.styled(f"●{c.short} ✖{c.failures}", "bold $error")
    if c.state == "not run yet":
        return Content(f"●{c.short} –")
    return Content.styled(f"●{c.short} ✓{c.last_success[:5]}", "$success")  # HH:MM


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
    return "by " + visible(":".join(leader.split(":")[:2]), one_line=True)  # host:pid
