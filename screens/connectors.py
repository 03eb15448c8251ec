"""The `e` screen: each connector's health in full, its last error readable, and run now."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from screens.messages import ConnectorHealth, HealthChanged
from screens.safe_text import safe


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
    ConnectorsScreen #error { padding: 1 1 0 1; height: auto; }
    """

    def __init__(self, health: list[ConnectorHealth]):
        super().__init__()
        self.health = health

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Connectors"
            box.border_subtitle = "r run now · esc close"
            yield DataTable(cursor_type="row", zebra_stripes=False)
            yield Static(id="error")

    def on_mount(self) -> None:
        self.app.register_live_screen(self)
        table = self.query_one(DataTable)
        for label, width in [
            ("connector", 11),
            ("state", 8),
            ("last success", 12),
            ("next run", 9),
            ("failures", 8),
            ("polled by", 20),
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
            state = (
                Content.styled("ok", "$success")
                if c.ok
                else Content.styled("FAILING", "bold $error")
            )
            table.add_row(
                c.name,
                state,
                c.last_success or "—",
                c.next_run or "—",
                str(c.failures),
                safe(":".join(c.leader.split(":")[:2]) if c.leader else "—", one_line=True),
                key=c.name,
            )
        if self.health:
            table.move_cursor(row=min(row, len(self.health) - 1))
        self._show_error()

    def _selected(self) -> ConnectorHealth | None:
        table = self.query_one(DataTable)
        if not self.health:
            return None
        return self.health[min(table.cursor_row, len(self.health) - 1)]

    def _show_error(self) -> None:
        c = self._selected()
        error = self.query_one("#error", Static)
        if c is None:
            error.update("No connector is enabled.")
        elif c.last_error:
            heading = Content.styled(f"{c.name}: last error\n", "bold $error")
            error.update(Content.assemble(heading, safe(c.last_error)))
        else:
            error.update(Content(f"{c.name}: no error"))

    def on_data_table_row_highlighted(self, _event) -> None:
        self._show_error()

    def on_health_changed(self, message: HealthChanged) -> None:
        self.health = message.connectors
        self._fill()

    def action_run_now(self) -> None:
        c = self._selected()
        if c is not None:
            self.app.action_run_now(c.name)
