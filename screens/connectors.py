"""The `e` screen: every connector's health in full, its last error readable, and run now."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from screens.messages import ConnectorHealth, CountsChanged, HealthChanged
from screens.safe_text import safe

if TYPE_CHECKING:
    from posync_tui.services.status import ShellCounts

STATES = {
    "ok": "$success",
    "failing": "bold $error",
    "not configured": "$warning",
    "not run yet": "",
}


class ConnectorsScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,e", "dismiss", "Close"),
        Binding("r", "run_now", "Run now"),
    ]
    DEFAULT_CSS = """
    ConnectorsScreen { align: center middle; }
    ConnectorsScreen > Vertical {
        width: 90%; height: auto; max-height: 90%;
        border: round $primary; background: $surface;
    }
    ConnectorsScreen DataTable { height: auto; max-height: 10; }
    ConnectorsScreen #details { padding: 1 1 0 1; height: auto; }
    """

    def __init__(self, health: list[ConnectorHealth], counts: ShellCounts | None = None):
        super().__init__()
        self.health = health
        self.counts = counts

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Connectors"
            box.border_subtitle = "r run now · esc close"
            yield DataTable(cursor_type="row", zebra_stripes=False)
            yield Static(id="details")

    def on_mount(self) -> None:
        self.app.register_live_screen(self)
        table = self.query_one(DataTable)
        for label, width in [
            ("connector", 10),
            ("state", 14),
            ("last success", 12),
            ("next run", 8),
            ("polled by", 14),
        ]:
            table.add_column(label, width=width)
        self._fill()

    def on_unmount(self) -> None:
        self.app.unregister_live_screen(self)

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for c in self.health:
            state = c.state if c.state != "failing" else f"failing ×{c.failures}"
            table.add_row(
                c.name,
                Content.styled(state, STATES[c.state]),
                c.last_success or "—",
                c.next_run or "—",
                _polled_by(c),
                key=c.name,
            )
        if self.health:
            table.move_cursor(row=min(row, len(self.health) - 1))
        self._show_details()

    def _selected(self) -> ConnectorHealth | None:
        table = self.query_one(DataTable)
        if not self.health:
            return None
        return self.health[min(table.cursor_row, len(self.health) - 1)]

    def _show_details(self) -> None:
        c = self._selected()
        details = self.query_one("#details", Static)
        if c is None:
            details.update("No connector is enabled.")
            return
        lines = [Content.styled(f"{c.name}: {c.state}", f"bold {STATES[c.state]}".strip())]
        if c.state == "not configured":
            lines.append(Content(f"Add to the config file: {c.config_line}"))
        queue = self.counts.queues.get(c.short) if self.counts is not None else None
        if queue is not None:
            lines.append(Content(f"queue: {queue.waiting} waiting, {queue.errors} errors"))
        if c.last_error:
            # Partner text is data, never markup.
            lines.append(Content.assemble(("last error: ", "bold $error"), safe(c.last_error)))
        elif c.state != "not configured":
            lines.append(Content("no error"))
        details.update(Content("\n").join(lines))

    def on_data_table_row_highlighted(self, _event) -> None:
        self._show_details()

    def on_health_changed(self, message: HealthChanged) -> None:
        self.health = message.connectors
        self._fill()

    def on_counts_changed(self, message: CountsChanged) -> None:
        self.counts = message.counts
        self._show_details()

    def action_run_now(self) -> None:
        c = self._selected()
        if c is None:
            return
        if not c.scheduled:
            self.app.notify(f"{c.name} has no job of its own: it is called by other connectors")
        elif c.state == "not configured":
            self.app.notify(f"{c.name} is not configured: add {c.config_line}", severity="warning")
        else:
            self.app.action_run_now(c.name)


def _polled_by(c: ConnectorHealth) -> Content | str:
    if not c.scheduled:
        return "on demand"
    return safe(":".join(c.leader.split(":")[:2]), one_line=True) if c.leader else "—"
