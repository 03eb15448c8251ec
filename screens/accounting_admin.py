"""The Accounting body's operator actions beside uploading: decisions on an upload that may be
in QuickBooks (the Errors tabs), and the admin's reset for re-import. ``deliver_now`` hands what
an operator put back in the queue to this console's scheduler, if it runs the QuickBooks job.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual import work

from posync_tui.failures import database_faults, plain
from screens.accounting_queue import ErrorsPane
from screens.confirm import Confirm
from screens.selection import Selection

if TYPE_CHECKING:
    from textual.app import App

    from posync_tui.runtime import Runtime

SHOWN_FAILURES = 5  # one notification each; the rest are counted in one more


def deliver_now(app: App) -> asyncio.Task | None:
    """The leader delivers what an operator put back in the queue: run it now if here. The task
    is returned to be held (the loop keeps only weak references to tasks)."""
    scheduler = getattr(app, "scheduler", None)
    if scheduler is not None and "quickbooks" in scheduler.jobs:
        return scheduler.run_now("quickbooks")
    return None


class DecisionsAndReset:
    """Mixed into ``AccountingQueues`` (a widget with ``rt``)."""

    rt: Runtime | None
    _decided_run: asyncio.Task | None

    # --- decisions on an upload that may be in QuickBooks ------------------------------------

    # Named for the message (a mixin's ``@on`` handlers are not collected by Textual).
    def on_errors_pane_decision_requested(self, message: ErrorsPane.DecisionRequested) -> None:
        from screens.accounting_decide import QuickBooksIdPrompt

        message.stop()
        po_id, number, decision = message.po_id, message.number, message.decision
        if decision == "done":

            def entered(qbo_id: str | None) -> None:
                if qbo_id:
                    self.run_decision(po_id, number, decision, qbo_id)

            self.app.push_screen(QuickBooksIdPrompt(number), entered)
            return
        if decision == "cancel":

            def answered(yes: bool | None) -> None:
                if yes:
                    self.run_decision(po_id, number, decision)

            question = f"Cancel the upload of {number}? It goes back to its Purchases tab."
            self.app.push_screen(Confirm(question, yes="Cancel it", no="Keep"), answered)
            return
        self.run_decision(po_id, number, decision)

    @work(thread=True, group="accounting-decision", exit_on_error=False)
    def run_decision(self, po_id: int, number: str, decision: str, qbo_id: str = "") -> None:
        from posync_tui.delivery_decisions import NotDecidable
        from screens.accounting_decide import DECISIONS, decide

        try:
            decide(self.rt.db, po_id, decision, qbo_id)
        except NotDecidable as exc:
            text, severity = f"{number}: {exc}", "warning"
        except database_faults() as exc:  # rolled back: the upload waits as it did
            self.app.call_from_thread(
                self.app.notify,
                f"{number}: not done: {plain(exc)}",
                title="QuickBooks",
                severity="error",
                markup=False,
            )
            return
        else:
            text, severity = f"{number}: {DECISIONS[decision]} — done.", "information"
        self.app.call_from_thread(
            self.app.notify, text, title="QuickBooks", severity=severity, markup=False
        )
        if decision in ("look_up", "send"):
            self.app.call_from_thread(self._hand_to_leader)

    def _hand_to_leader(self) -> None:
        self._decided_run = deliver_now(self.app)

    # --- admin: reset for re-import -----------------------------------------------------------

    def reset(self, selection: Selection) -> None:
        from posync_tui.models import AccountingStatus

        po_ids = selection.keys
        reason = selection.all_hidden("PO", "POs")
        if reason is not None:
            self.app.notify(reason, severity="warning")
        if self.rt is None or not po_ids:
            return
        question = (
            f"Reset {selection.words('PO', 'POs')} for re-import{selection.untouched()}? "
            'Accounting Status becomes "'
            f'{AccountingStatus.NOT_IMPORTED}" and any upload error is cleared.'
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_reset(po_ids)

        self.app.push_screen(Confirm(question, yes="Reset", title="Admin"), answered)

    @work(thread=True, group="accounting-reset", exit_on_error=False)
    def run_reset(self, po_ids: list[int]) -> None:
        from posync_tui.services.accounting import ResetRefused, reset_for_reimport

        done, refused, fault = 0, [], None
        for po_id in po_ids:
            try:
                reset_for_reimport(self.rt.db, po_id)  # each PO in a transaction of its own
                done += 1
            except LookupError:
                continue  # deleted meanwhile
            except ResetRefused as exc:
                refused.append(str(exc))
            except database_faults() as exc:  # this PO rolled back; the rest would fail too
                fault = plain(exc)
                break
        text = f"{done:,} PO{'s' if done != 1 else ''} reset for re-import."
        if fault is None:
            self.app.call_from_thread(self.app.notify, text, title="Admin")
        else:
            self.app.call_from_thread(
                self.app.notify,
                f"{text} Stopped: {fault}",
                title="Admin",
                severity="error",
                markup=False,
            )
        for why in refused[:SHOWN_FAILURES]:
            self.app.call_from_thread(
                self.app.notify, why, title="Not reset", severity="warning", markup=False
            )
