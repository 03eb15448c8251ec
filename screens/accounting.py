"""Accounting › QuickBooks Online: the upload queues (Cin7 seed), one tab each, and Contacts.

Tabs: Purchases › Supplier Invoices (billed POs to sync as bills), Purchases › Purchase Orders
(unbilled POs to upload as QuickBooks purchase orders), Errors › Supplier Invoices, Errors ›
Purchase Orders (QuickBooks' code and message; fix the PO, then re-sync it there) and Contacts.
Mark rows with space (ctrl+a: every matching row, the seed's header checkbox), then ``u``
Upload Selected or ``U`` Upload All: a confirmation with the count, then the POs are queued
(``enqueue_upload``, in a worker thread) and handed to the holder of the "quickbooks" lease — this
console's scheduler runs its job now (taking the lease if it is free), or the process that holds
it uploads them — while a progress bar follows the outbox. A console never delivers beside it.
Each failure raises a notification and its PO moves to an Errors tab; synced rows leave the
queue. ``r`` resets a PO for re-import (an admin action). The line at the top says whether
QuickBooks is connected, or that it must be reconnected.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Label, ProgressBar, Static, TabbedContent, TabPane

from posync_tui.failures import database_faults, plain
from screens.accounting_admin import SHOWN_FAILURES, DecisionsAndReset
from screens.accounting_contacts import ContactsPane
from screens.accounting_discrepancies import DiscrepanciesPane
from screens.accounting_queue import KIND_WORDS, TABS, ErrorsPane, QueuePane
from screens.accounting_settings import SettingsPane
from screens.confirm import Confirm
from screens.safe_text import safe
from screens.selection import Selection

if TYPE_CHECKING:
    from posync_tui.events import Change
    from posync_tui.runtime import Runtime
    from posync_tui.services.accounting_queues import UploadFailure

KINDS = (
    "purchase_order",
    "vendor",
    "outbox",
    "connector",
    "item",
    "accounting_mapping",
    "accounting_discrepancy",
)
# The tabs that are not upload queues: each pane reads its own rows (``refresh_rows``).
OWN_PANES = {
    "contacts": ContactsPane,
    "settings": SettingsPane,
    "discrepancies": DiscrepanciesPane,
}
OWN = (ContactsPane, SettingsPane, DiscrepanciesPane)


class AccountingQueues(DecisionsAndReset, Vertical):
    """The Accounting area's body: the QuickBooks Online upload queues."""

    DEFAULT_CSS = """
    AccountingQueues { height: 1fr; }
    AccountingQueues > #qbo-connection { height: 1; padding: 0 1; }
    AccountingQueues > #qbo-progress { height: 1; display: none; padding: 0 1; }
    AccountingQueues > #qbo-progress.-running { display: block; }
    AccountingQueues #qbo-progress Label { width: auto; margin-right: 1; }
    AccountingQueues #queues, AccountingQueues #queues > ContentSwitcher { height: 1fr; }
    AccountingQueues TabPane { height: 1fr; padding: 0; }
    AccountingQueues #setting-off { display: none; }
    AccountingQueues #setting-off.-shown { display: block; }
    """
    BINDINGS = [
        Binding(str(i), f"show_tab('{tab}')", label, show=False)
        for i, (tab, (label, _)) in enumerate(TABS.items(), start=1)
    ]

    @dataclass
    class _Changed(Message):
        kinds: frozenset[str]

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, AccountingQueues._Changed)

    @dataclass
    class _Counts(Message):
        counts: dict[str, int]

    @dataclass
    class _Connection(Message):
        state: str

    @dataclass
    class _Progress(Message):
        done: int
        total: int

    @dataclass
    class _Queued(Message):
        po_ids: list[int]
        message_ids: list[int]
        skipped: dict[str, list[str]]

    @dataclass
    class _Finished(Message):
        summary: str
        queued: int
        skipped: dict[str, list[str]] = field(default_factory=dict)  # PO number → reasons
        failures: list[UploadFailure] = field(default_factory=list)
        error: str | None = None

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.rt: Runtime | None = None
        self.setting_on = False
        self.uploading = False
        self._sending: list[int] = []  # the outbox messages of the upload under way
        self._following: AccountingQueues._Queued | None = None  # sent by a run under way
        self._decided_run: asyncio.Task | None = None
        self.connection = ""
        self.last_upload = ""
        self._stale: set[str] = set()

    def compose(self) -> ComposeResult:
        yield Static("QuickBooks: …", id="qbo-connection")
        with Horizontal(id="qbo-progress"):
            yield Label("", id="qbo-progress-label")
            yield ProgressBar(show_eta=False, id="qbo-progress-bar")
        with TabbedContent(id="queues"):
            for tab, (label, _) in TABS.items():
                with TabPane(label, id=tab):
                    if tab in OWN_PANES:
                        yield OWN_PANES[tab]()
                        continue
                    if tab == "purchase_orders":
                        yield Static(
                            'Uploading POs as QuickBooks purchase orders is off: set "Upload '
                            'POs as QuickBooks Purchase Orders" (quickbooks.'
                            "upload_pos_as_purchase_orders = true) in the config file.",
                            id="setting-off",
                            classes="warning-banner",
                        )
                    yield ErrorsPane(tab) if tab.startswith("errors_") else QueuePane(tab)

    # --- the body contract ------------------------------------------------------------------

    def attach(self, rt: Runtime) -> None:
        from posync_tui.services.accounting_queues import setting_on

        self.rt = rt
        self.setting_on = setting_on(rt.settings)
        self.query_one("#setting-off").set_class(not self.setting_on, "-shown")
        for pane in self.query(QueuePane):
            pane.attach(rt, self.setting_on)
        for own in OWN_PANES.values():
            self.query_one(own).attach(rt)
        self.read_counts()
        self.read_connection()
        self._focus_active()

    def on_change(self, change: Change) -> None:
        """A committed change; safe to call from any thread."""
        kind = change.kind.partition(":")[0]  # "outbox:quickbooks" is an outbox change
        if kind in KINDS:
            self.post_message(self._Changed(frozenset({kind})))

    @on(_Changed)
    def _refresh(self, message: _Changed) -> None:
        if self.rt is None:
            return
        if "connector" in message.kinds:
            self.read_connection()
        if "outbox" in message.kinds and self._sending:
            self.read_progress(self._sending)
        # Re-read the tab on screen now; the others when they are shown.
        self._stale.update(TABS)
        self._refresh_tab(self.active_tab)
        self.read_counts()

    def _refresh_tab(self, tab: str) -> None:
        if tab not in self._stale:
            return
        self._stale.discard(tab)
        pane = self._pane(tab)
        if pane is not None:
            pane.refresh_rows() if isinstance(pane, OWN) else pane.table.refresh_rows()

    # --- tabs ---------------------------------------------------------------------------------

    @property
    def tabs(self) -> TabbedContent:
        return self.query_one("#queues", TabbedContent)

    @property
    def active_tab(self) -> str:
        return self.tabs.active or "supplier_invoices"

    def _pane(self, tab: str) -> QueuePane | ContactsPane | SettingsPane | DiscrepanciesPane | None:
        found = self.query(f"#{tab}-pane")
        return found.first() if found else None

    def action_show_tab(self, tab: str) -> None:
        self.tabs.active = tab

    @on(TabbedContent.TabActivated)
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        self._refresh_tab(self.active_tab)
        self._focus_active()

    def _focus_active(self) -> None:
        pane = self._pane(self.active_tab)
        if pane is not None:
            pane.table.focus()

    @work(thread=True, exclusive=True, group="accounting-counts", exit_on_error=False)
    def read_counts(self) -> None:
        from posync_tui.services.accounting import queue_counts
        from posync_tui.services.accounting_discrepancies import discrepancy_count

        counts = queue_counts(self.rt.db, self.rt.settings)
        counts["discrepancies"] = discrepancy_count(self.rt.db)
        self.post_message(self._Counts(counts))

    @on(_Counts)
    def _show_counts(self, message: _Counts) -> None:
        for tab, (label, _) in TABS.items():
            count = message.counts.get(tab, 0)
            self.tabs.get_tab(tab).label = Content(f"{label} {count:,}" if count else label)

    @work(thread=True, exclusive=True, group="accounting-connection", exit_on_error=False)
    def read_connection(self) -> None:
        from posync_tui.services.accounting import connection_state

        try:
            state = connection_state(self.rt)
        except Exception as exc:  # noqa: BLE001 - shown to the operator
            state = f"reconnect QuickBooks: {plain(exc)}"
        self.post_message(self._Connection(state))

    @on(_Connection)
    def _show_connection(self, message: _Connection) -> None:
        self.connection = message.state
        self._show_status()

    def _show_status(self) -> None:
        state = self.connection or "…"
        style = "bold $success" if state == "connected" else "bold $error"
        parts = [Content("QuickBooks: "), safe(state, style, one_line=True)]
        if state == "not connected":
            parts.append(Content(" (see the README)"))
        parts.append(Content(" · POs as QBO POs: " + ("on" if self.setting_on else "off")))
        if self.last_upload:
            parts.append(safe(f" · last upload: {self.last_upload}", one_line=True))
        self.query_one("#qbo-connection", Static).update(Content.assemble(*parts))

    # --- Upload Selected / Upload All ---------------------------------------------------------

    @on(QueuePane.UploadRequested)
    def _upload_requested(self, message: QueuePane.UploadRequested) -> None:
        message.stop()
        self.upload(message.pane, message.selection)

    @on(QueuePane.ResetRequested)
    def _reset_requested(self, message: QueuePane.ResetRequested) -> None:
        message.stop()
        self.reset(message.selection)

    def upload(self, pane: QueuePane, selection: Selection | None) -> None:
        """Upload (or re-sync) the selected POs, or with None every row of the pane's queue."""
        from posync_tui.services.accounting import TAB_KIND, UploadKind

        if self.rt is None:
            return
        if self.uploading:
            self.app.notify("An upload to QuickBooks is already running.", severity="warning")
            return
        kind = TAB_KIND[pane.tab]
        if kind == UploadKind.PURCHASE_ORDER and not self.setting_on:
            self.app.notify(
                'The setting "Upload POs as QuickBooks Purchase Orders" is off: unbilled POs '
                "are not uploaded. Turn it on in the config file.",
                severity="warning",
            )
            return
        if selection is None:
            self._ask_all(pane)
            return
        reason = selection.all_hidden("PO", "POs")
        if reason is not None:
            self.app.notify(reason, severity="warning")
            return
        self._confirm(pane, selection.keys, selection)

    @work(thread=True, exclusive=True, group="accounting-upload-all", exit_on_error=False)
    def _ask_all(self, pane: QueuePane) -> None:
        from posync_tui.services.accounting_queues import upload_all_ids

        try:
            ids = upload_all_ids(self.rt.db, pane.tab)
        except database_faults() as exc:
            self.post_message(self._Finished("nothing queued", 0, error=plain(exc)))
            return
        self.app.call_from_thread(self._confirm, pane, ids)

    def _confirm(
        self, pane: QueuePane, po_ids: list[int], selection: Selection | None = None
    ) -> None:
        from posync_tui.services.accounting import TAB_KIND

        kind = str(TAB_KIND[pane.tab])
        if not po_ids:
            self.app.notify("Nothing ready to upload on this tab.", severity="warning")
            return
        verb = "Re-sync" if pane.errors else "Upload"
        selection = selection or Selection(po_ids)
        count = selection.words("PO", "POs")
        question = f"{verb} {count} to QuickBooks as {KIND_WORDS[kind]}{selection.untouched()}?"

        def answered(yes: bool | None) -> None:
            if yes:
                pane.table.unmark(po_ids)  # marks the filter hides stay
                self._start(kind, po_ids)

        self.app.push_screen(Confirm(question, yes=verb, title="QuickBooks Online"), answered)

    def _start(self, kind: str, po_ids: list[int]) -> None:
        self.uploading = True
        self._set_progress(0, len(po_ids), f"Uploading {len(po_ids):,} to QuickBooks…")
        self.query_one("#qbo-progress").add_class("-running")
        self.run_upload(kind, po_ids)

    @work(thread=True, group="accounting-upload", exit_on_error=False)
    def run_upload(self, kind: str, po_ids: list[int]) -> None:
        """Queue off the UI thread; the lease holder delivers (see ``_hand_over``)."""
        from posync_tui.services.accounting import enqueue_upload
        from posync_tui.services.accounting_queues import po_numbers

        try:
            result = enqueue_upload(self.rt.db, kind, po_ids, settings=self.rt.settings)
            numbers = po_numbers(self.rt.db, list(result.skipped))
        except Exception as exc:  # noqa: BLE001 - nothing was queued; say why
            self.post_message(self._Finished("nothing queued", 0, error=plain(exc)))
            return
        skipped = {numbers.get(i, f"#{i}"): why for i, why in result.skipped.items()}
        if not result.queued:
            self.post_message(self._Finished("nothing queued", 0, skipped))
            return
        self.post_message(self._Queued(result.queued, result.message_ids, skipped))

    @on(_Queued)
    def _hand_over(self, message: _Queued) -> None:
        """Only the lease holder delivers: this console's scheduler, if it may, else the other
        process that holds the "quickbooks" lease (it sees the outbox change)."""
        scheduler = getattr(self.app, "scheduler", None)
        count = len(message.po_ids)
        if scheduler is None or "quickbooks" not in scheduler.jobs:
            summary = f"{count:,} queued: the process running QuickBooks uploads them"
            self.post_message(self._Finished(summary, count, message.skipped))
            return
        self._sending = message.message_ids
        self._set_progress(0, count, f"Uploading {count:,} to QuickBooks…")
        self.await_upload(scheduler.run_now("quickbooks"), message)

    @work(group="accounting-upload", exit_on_error=False)
    async def await_upload(self, run: asyncio.Task, queued: _Queued) -> None:
        """Wait for the scheduler's run of the "quickbooks" job; report what became of it."""
        from posync_tui.services.accounting_queues import upload_failures

        outcome = await run
        count, error = len(queued.po_ids), None
        if outcome.status == "busy":
            # A run was under way here: its next round sends these; the progress follows them.
            self._following = queued
            self.read_progress(queued.message_ids)
            return
        if outcome.status == "ok":
            summary = outcome.summary
        elif outcome.status == "skipped":
            leader = outcome.leader or "another process"
            summary = f"{count:,} queued: {leader} runs QuickBooks and uploads them"
        else:  # failed (reconnect, unreachable) or lost: the rows stay waiting
            summary = "the POs stay waiting and go out on the next run"
            error = outcome.summary
        failures = await asyncio.to_thread(upload_failures, self.rt.db, queued.po_ids)
        self.post_message(self._Finished(summary, count, queued.skipped, failures, error))

    @work(thread=True, group="accounting-upload", exit_on_error=False)
    def finish_followed(self, queued: _Queued) -> None:
        """The run that was under way has sent every queued PO: say what became of them."""
        from posync_tui.services.accounting_queues import upload_failures

        failures = upload_failures(self.rt.db, queued.po_ids)
        count = len(queued.po_ids)
        sent = count - len(failures)
        summary = f"{sent:,} uploaded to QuickBooks"
        if failures:
            summary += f", {len(failures):,} failed (see the Errors tabs)"
        self.post_message(self._Finished(summary, count, queued.skipped, failures))

    @work(thread=True, group="accounting-progress", exclusive=True, exit_on_error=False)
    def read_progress(self, message_ids: list[int]) -> None:
        from posync_tui.services.accounting_queues import settled_count

        self.post_message(self._Progress(settled_count(self.rt.db, message_ids), len(message_ids)))

    @on(_Progress)
    def _show_progress(self, message: _Progress) -> None:
        if not self.uploading:
            return
        if self._following is not None and message.done >= message.total:
            self.finish_followed(self._following)
            self._following = None
        done, total = message.done, max(message.total, 1)
        self._set_progress(done, total, f"Uploading to QuickBooks… {done:,}/{total:,}")

    def _set_progress(self, done: int, total: int, text: str) -> None:
        self.query_one("#qbo-progress-bar", ProgressBar).update(total=total, progress=done)
        self.query_one("#qbo-progress-label", Label).update(text)

    @on(_Finished)
    def _finished(self, message: _Finished) -> None:
        self.uploading, self._sending = False, []
        self.query_one("#qbo-progress").remove_class("-running")
        notify = self.app.notify
        if message.skipped:
            number, reasons = next(iter(message.skipped.items()))
            others = len(message.skipped) - 1
            notify(
                f"{number} is not ready: {' '.join(reasons)}"
                + (f" ({others:,} more not ready)" if others else ""),
                title="Not uploaded",
                severity="warning",
            )
        if message.error:
            notify(message.error, title="QuickBooks", severity="error")
            self.read_connection()
        if message.queued:
            # Short enough for the status line at 80 columns.
            self.last_upload = message.summary.replace(" to QuickBooks", "").replace(
                " (see the Errors tabs)", ""
            )
            self._show_status()
            if not message.error:
                notify(message.summary, title="QuickBooks")
        for failure in message.failures[:SHOWN_FAILURES]:
            notify(
                f"{failure.number} failed ({failure.code}): {failure.error}",
                title="QuickBooks refused a PO",
                severity="error",
            )
        more = len(message.failures) - SHOWN_FAILURES
        if more > 0:
            notify(f"{more:,} more failed: see the Errors tabs.", severity="error")
