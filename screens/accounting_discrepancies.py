"""Accounting › Discrepancies: where QuickBooks now differs from what posync made there.

The read-back runs on the scheduler (the "quickbooks-readback" job; ``g`` runs it now). Each
line is one field of one PO's bill or purchase order, with posync's value and QuickBooks'.
``s`` re-syncs the PO from posync (a sparse update, through the outbox like every upload);
``a`` accepts QuickBooks' version (recorded in the PO's history).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Static

from posync_tui.failures import database_faults, plain
from screens.confirm import Confirm
from screens.rows_pane import RowsPane
from screens.safe_text import safe

if TYPE_CHECKING:
    from posync_tui.services.accounting_discrepancies import DiscrepancyRow

EMPTY = "No discrepancies: QuickBooks agrees with what posync made (g reads it back now)."


def _cells(d: DiscrepancyRow) -> tuple:
    return (
        safe(d.number, one_line=True),
        safe(d.vendor_name, one_line=True),
        "bill" if d.entity == "Bill" else "PO",
        d.field,
        safe(d.posync_value, one_line=True),
        safe(d.qbo_value, one_line=True),
    )


def _key(d: DiscrepancyRow) -> str:
    return str(d.id)


class DiscrepancyTable(DataTable):
    BINDINGS = [
        Binding("s", "act('resync')", "Re-sync from posync"),
        Binding("a", "act('accept')", "Accept QuickBooks"),
        Binding("g", "act('read_back')", "Read back now"),
    ]

    def action_act(self, action: str) -> None:
        self.post_message(DiscrepanciesPane.Act(action))


class DiscrepanciesPane(RowsPane["DiscrepancyRow"]):
    DEFAULT_CSS = """
    DiscrepanciesPane { height: 1fr; }
    DiscrepanciesPane > DiscrepancyTable { height: 1fr; }
    DiscrepanciesPane > #discrepancy-hint { height: 2; padding: 0 1; color: $text-muted; }
    """

    @dataclass
    class Act(Message):
        action: str

    def __init__(self) -> None:
        from posync_tui.services.accounting_discrepancies import list_discrepancies

        super().__init__(id="discrepancies-pane", read=list_discrepancies, cells=_cells, key=_key)

    def compose(self) -> ComposeResult:
        table = DiscrepancyTable(cursor_type="row", zebra_stripes=True, id="discrepancy-table")
        for label, width in (
            ("PO", 11),
            ("Vendor", 12),
            ("In QBO", 6),
            ("Field", 9),
            ("posync", 16),
            ("QuickBooks", 16),
        ):
            table.add_column(label, width=width)
        yield table
        yield Static(EMPTY, id="discrepancy-hint")

    def shown(self) -> None:
        hint = (
            f"{len(self.rows):,} differences · s re-sync from posync · a accept QuickBooks' "
            "version · g read back now"
            if self.rows
            else EMPTY
        )
        self.query_one("#discrepancy-hint", Static).update(hint)

    @on(Act)
    def _act(self, message: Act) -> None:
        if message.action == "read_back":
            from posync_tui.services.accounting_connection import READ_BACK_JOB

            # The app runs a job now on its scheduler, or says the scheduler is not running.
            self.app.action_run_now(READ_BACK_JOB)  # type: ignore[attr-defined]
            return
        d = self.current
        if d is None:
            return
        if message.action == "resync":
            question = (
                f"Re-sync PO {d.number} from posync? QuickBooks' {d.entity} gets posync's "
                "vendor, number, dates and lines again (its other fields are kept)."
            )
            yes = "Re-sync"
        else:
            question = (
                f"Accept QuickBooks' {d.field} of PO {d.number}: {d.qbo_value!r} instead of "
                f"{d.posync_value!r}? It is recorded in the PO's history."
            )
            yes = "Accept"

        def answered(ok: bool | None) -> None:
            if ok:
                self.run(message.action, d)

        self.app.push_screen(Confirm(question, yes=yes, title="Discrepancy"), answered)

    @work(thread=True, group="accounting-discrepancy-act", exit_on_error=False)
    def run(self, action: str, d: DiscrepancyRow) -> None:
        from posync_tui.services import accounting_discrepancies as service

        try:
            if action == "resync":
                service.resync(self.rt.db, d.po_id)
                text = f"PO {d.number} queued to re-sync to QuickBooks."
            else:
                service.accept(self.rt.db, d.id)
                text = f"PO {d.number}: QuickBooks' {d.field} accepted."
        except (LookupError, service.ResyncRefused) as exc:
            self.app.call_from_thread(
                self.app.notify, str(exc), title="Discrepancy", severity="warning", markup=False
            )
        except database_faults() as exc:  # rolled back: the discrepancy stays as it was
            what = "re-synced" if action == "resync" else "accepted"
            self.app.call_from_thread(
                self.app.notify,
                f"PO {d.number} was not {what}: {plain(exc)}",
                title="Discrepancy",
                severity="error",
                markup=False,
            )
            return
        else:
            self.app.call_from_thread(self.app.notify, text, title="Discrepancy", markup=False)
        self.app.call_from_thread(self.refresh_rows)
        if action == "resync":
            self.app.call_from_thread(self._hand_to_leader)

    def _hand_to_leader(self) -> None:
        from screens.accounting_admin import deliver_now

        self._run = deliver_now(self.app)
