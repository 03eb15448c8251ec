"""The PO detail's P21 tab: where its export to Prophet 21 stands, and its linked backorders.

``show(rt, po_id)`` after each read of the PO reads, in a thread, the PO's last export and the
sales-order lines P21 linked it to (``backorder_link``, as P21 answered). ``export()`` queues
the PO for export (the detail's ``X``); the "p21" job sends it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Static

from posync_tui.failures import database_faults, plain
from posync_tui.models import OutboxStatus
from screens.po_widgets import refill
from screens.safe_text import safe

if TYPE_CHECKING:
    from posync_tui.runtime import Runtime
    from posync_tui.services.p21_export import ExportState
    from posync_tui.services.p21_links import LinkedLine

HINT = "X exports this PO to Prophet 21 (again after a change)"


class P21Pane(Vertical):
    DEFAULT_CSS = """
    P21Pane { height: 1fr; }
    P21Pane #p21-state { height: auto; padding: 0 1; }
    P21Pane #p21-state.-error { color: $error; text-style: bold; }
    """

    @dataclass
    class _Read(Message):
        state: ExportState | None
        links: list[LinkedLine]

    @dataclass
    class Said(Message):
        """What an action did, for the detail's hint line."""

        text: str
        error: bool = False

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rt: Runtime | None = None
        self.po_id: int | None = None

    def compose(self) -> ComposeResult:
        yield Static(HINT, id="p21-state")
        yield DataTable(id="p21-links", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one("#p21-links", DataTable)
        for key, label, width in (
            ("po_line", "PO line", 7),
            ("order", "Sales order", 13),
            ("date", "Date", 10),
            ("customer", "Customer", 18),
            ("item", "Item", 10),
            ("quantity", "Qty", 6),
        ):
            table.add_column(label, key=key, width=width)

    def show(self, rt: Runtime, po_id: int) -> None:
        self.rt, self.po_id = rt, po_id
        self._read(rt, po_id)

    @work(thread=True, exclusive=True, group="po-p21-read", exit_on_error=False)
    def _read(self, rt: Runtime, po_id: int) -> None:
        from posync_tui.services.p21_export import export_state
        from posync_tui.services.p21_links import po_links

        self.post_message(self._Read(export_state(rt.db, po_id), po_links(rt.db, po_id)))

    @on(_Read)
    def _shown(self, message: _Read) -> None:
        state = message.state
        words = (
            "Not exported to P21 yet" if state is None else state.text[:1].upper() + state.text[1:]
        )
        count = len(message.links)
        linked = f"{count} backordered sales-order line{'s' if count != 1 else ''} linked"
        text = f"{words} · {linked} · {HINT}"
        box = self.query_one("#p21-state", Static)
        box.update(safe(text))
        failed = state is not None and state.status in (OutboxStatus.FAILED, OutboxStatus.DECISION)
        box.set_class(failed, "-error")
        refill(
            self.query_one("#p21-links", DataTable),
            (
                (
                    f"{n}",
                    (
                        Content(str(link.po_line_number)),
                        safe(f"{link.order_number}/{link.line_number}", one_line=True),
                        Content(link.order_date.isoformat() if link.order_date else ""),
                        safe(link.customer, one_line=True),
                        safe(link.sku, one_line=True),
                        Content(format(link.quantity.normalize(), "f")),
                    ),
                )
                for n, link in enumerate(message.links)
            ),
        )

    def export(self) -> None:
        if self.rt is not None and self.po_id is not None:
            self._export(self.rt, self.po_id)

    @work(thread=True, exclusive=True, group="po-p21-export", exit_on_error=False)
    def _export(self, rt: Runtime, po_id: int) -> None:
        from posync_tui.services.p21_export import ExportRefused, export_po

        try:
            export_po(rt.db, po_id)
        except ExportRefused as exc:
            self.post_message(self.Said(str(exc), error=True))
            return
        except database_faults() as exc:  # rolled back: nothing queued
            self.post_message(self.Said(f"Not exported: {plain(exc)}", error=True))
            return
        self.post_message(self.Said("Queued for export to Prophet 21"))
