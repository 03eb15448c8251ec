"""The frame every area shares: a title bar with live counts, the area's body, the status line."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from screens.key_bar import KeyBar
from screens.messages import (
    Changed,
    CountsChanged,
    DatabaseReady,
    HealthChanged,
    OpenPurchaseOrder,
    RuntimeReady,
)
from screens.safe_text import safe
from screens.status_line import StatusLine

if TYPE_CHECKING:
    from posync_tui.services.status import ShellCounts


class TitleBar(Static):
    DEFAULT_CSS = """
    TitleBar { height: 1; background: $primary; color: $text; padding: 0 1; }
    """

    def __init__(self, area: str):
        super().__init__()
        self.area = area
        self.counts: ShellCounts | None = None
        self._render_title()

    def set_area(self, area: str) -> None:
        if area != self.area:
            self.area = area
            self._render_title()

    def set_counts(self, counts: ShellCounts | None) -> None:
        if counts != self.counts:
            self.counts = counts
            self._render_title()

    def _render_title(self) -> None:
        # The area may name a record (a PO number from a supplier).
        left = Content.assemble(("posync", "bold"), " · ", safe(self.area, one_line=True))
        badges = []
        if self.counts is not None:
            if self.counts.unreviewed:
                text = f"⚑ {self.counts.unreviewed} unreviewed"
                badges.append(Content.styled(text, "bold $warning"))
            # Only queues holding something: six partners' badges at zero would not fit 80 columns.
            for short, queue in self.counts.queues.items():
                if queue.waiting:
                    badges.append(Content(f"{short.upper()} {queue.waiting} waiting"))
                if queue.errors:
                    text = f"{queue.errors} {short.upper()} errors"
                    badges.append(Content.styled(text, "bold $error"))
        # One line whatever it says: no layout of the screen when a count changes.
        self.update(Content("   ").join([left, *badges]), layout=False)


class AreaScreen(Screen):
    """An area of the console (purchase orders, vendors, …). Subclasses give the body."""

    AREA = ""
    # "module:Class" of the body widget: imported when the area is first shown, so that the
    # console's first frame does not wait for every area's modules.
    BODY = ""

    def compose(self) -> ComposeResult:
        module, name = self.BODY.split(":")
        body: type[Widget] = getattr(import_module(module), name)
        yield TitleBar(self.AREA)
        yield body(classes="area-body")
        yield StatusLine()
        yield KeyBar()

    @property
    def body(self) -> Widget:
        return self.query_one(".area-body")

    def on_mount(self) -> None:
        self.app.register_live_screen(self)

    def on_unmount(self) -> None:
        self.app.unregister_live_screen(self)

    def on_database_ready(self, message: DatabaseReady) -> None:
        show_first_page = getattr(self.body, "open_database", None)
        if show_first_page is not None:
            show_first_page(self.app.database)

    def on_runtime_ready(self, message: RuntimeReady) -> None:
        attach = getattr(self.body, "attach", None)
        if attach is not None:
            attach(self.app.runtime)

    def on_changed(self, message: Changed) -> None:
        on_change = getattr(self.body, "on_change", None)
        if on_change is not None:
            on_change(message)

    def on_open_purchase_order(self, message: OpenPurchaseOrder) -> None:
        message.stop()
        self.app.open_purchase_order(message.po_id)

    def on_health_changed(self, message: HealthChanged) -> None:
        self.query_one(StatusLine).show(message.connectors)

    def on_counts_changed(self, message: CountsChanged) -> None:
        self.query_one(TitleBar).set_counts(message.counts)
