"""The console: a Textual app with one mode per area, live from database events.

The first frame is drawn before the database, the ORM, HTTP clients or the scheduler are
loaded: ``load_runtime`` runs in a worker thread after the shell is shown.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from screens.areas import AREAS
from screens.help import HelpScreen, binding_rows
from screens.messages import (
    Changed,
    ConnectorHealth,
    CountsChanged,
    DatabaseReady,
    HealthChanged,
    RuntimeReady,
)
from screens.palette import AreasProvider, JumpProvider
from screens.safe_text import visible

if TYPE_CHECKING:
    from textual.message import Message
    from textual.notifications import SeverityLevel

    from posync_tui.db import Database
    from posync_tui.runtime import Runtime
    from posync_tui.scheduler import Job, PollScheduler
    from posync_tui.services.status import ShellCounts
    from posync_tui.watch import ChangeWatcher

CSS = Path(__file__).parent.parent / "screens" / "app.tcss"
CHANGES_EVERY = 0.25  # seconds: during a burst of changes, the screens hear of them this often
# The collector's young generation, in objects (Python's default is 700). A batch run keeps
# thousands of objects alive across each partner call and every frame drawn leaves cycles
# behind (Textual's strips cache themselves); at 700 they were promoted to the old generation
# and twelve full collections of 60-90 ms each stalled a 10,000-line run; at 3,000 they die
# young: one full collection, and half the collector's time. That one (80-100 ms: it walks every
# object made since start-up) comes after 100 collections of the middle generation instead of
# Python's 10, so a 10,000-line run makes none; cyclic garbage that old waits that much longer.
YOUNG_GENERATION = 3000
MIDDLE_COLLECTIONS = 100


class PosyncApp(App):
    CSS_PATH = str(CSS)
    TITLE = "posync"
    MODES = dict(AREAS)
    DEFAULT_MODE = "purchase_orders"
    COMMANDS = App.COMMANDS | {JumpProvider, AreasProvider}
    BINDINGS = [
        Binding("p", "area('purchase_orders')", "POs"),
        Binding("v", "area('vendors')", "Vendors"),
        Binding("n", "area('notifications')", "Notices"),
        Binding("b", "area('batches')", "Batches"),
        Binding("a", "area('accounting')", "Accounting"),
        Binding("d", "area('edi_documents')", "EDI documents", show=False),
        Binding("e", "connectors", "Connectors"),
        Binding("T", "area('purchase_targets')", "Target lines", show=False),
        Binding("comma", "area('settings')", "Settings", show=False),
        Binding("R", "run_now", "Run now", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        load_runtime: Callable[[Database | None], Runtime],
        *,
        open_database: Callable[[], Database | None] | None = None,
        jobs: Callable[[Runtime], list[Job]] | None = None,
        watch_other_processes: bool = True,
    ):
        """``load_runtime(database)`` builds the runtime (on the database opened first, if
        any); ``open_database`` opens the database alone, quickly, so that the PO list shows
        its first page before the settings, the ORM and the partners are loaded."""
        super().__init__()
        self._load_runtime = load_runtime
        self._open_database = open_database
        self.database: Database | None = None
        self._jobs = jobs
        self._watch = watch_other_processes
        self.runtime: Runtime | None = None
        self.scheduler: PollScheduler | None = None
        self.watcher: ChangeWatcher | None = None
        self.health: list[ConnectorHealth] = []
        self.counts: ShellCounts | None = None
        # One count at a time: on a big database a count takes a while, and a burst of changes
        # must not start one per change. A change during a count asks for one more after it.
        self._counting = False
        self._count_again = False
        self._live: set[Screen] = set()
        # Changes that came during a burst, by kind (ids: () for many or unknown); None: no
        # burst under way, the next change is broadcast at once.
        self._held: dict[str, tuple[int, ...]] | None = None

    # --- start-up ----------------------------------------------------------------------------

    def on_ready(self) -> None:
        # The first frame is on the screen: load the rest, off the loop.
        self.load()

    def on_mount(self) -> None:
        if sys.__stdin__ is not None and sys.__stdin__.isatty():
            # An SSH session whose terminal is gone must not leave a console polling behind.
            self.set_interval(5, self._exit_if_terminal_gone)

    @work(thread=True, exit_on_error=False, name="load runtime")
    def load(self) -> None:
        try:
            db = self._open_database() if self._open_database is not None else None
            if db is not None:
                db.open_schema()
                self.call_from_thread(self._database_ready, db)
            runtime = self._load_runtime(db)
            if runtime.db is not db:
                runtime.db.open_schema()
            # Building the jobs imports the services and the HTTP stack: here, not on the loop.
            jobs = self._jobs(runtime) if self._jobs is not None else None
        except Exception as exc:  # noqa: BLE001 - shown to the operator, then we stop
            self.call_from_thread(self.exit, return_code=1, message=_why_not_started(exc))
            return
        if self._watch:
            import posync_tui.watch  # noqa: F401  (imported here, used on the loop)
        if jobs is not None:
            import posync_tui.scheduler  # noqa: F401
        self.call_from_thread(self._runtime_ready, runtime, jobs)

    def _database_ready(self, db: Database) -> None:
        self.database = db
        self._broadcast(DatabaseReady)

    def _runtime_ready(self, runtime: Runtime, jobs: list[Job] | None) -> None:
        # What start-up loaded stays: fewer objects for the garbage collector to walk, so no
        # full collection pauses a key press.
        gc.freeze()
        gc.set_threshold(YOUNG_GENERATION, 10, MIDDLE_COLLECTIONS)
        if self.database is not None and self.database is not runtime.db:
            self.database.dispose()  # the settings name another database: the lists move to it
        self.runtime, self.database = runtime, runtime.db
        runtime.db.bus.subscribe(self._on_bus_change)
        if self._watch:
            from posync_tui.watch import ChangeWatcher

            self.watcher = ChangeWatcher(runtime.db, self._on_bus_change)
            self.watcher.start()
        self._broadcast(RuntimeReady)
        if jobs is not None:
            from posync_tui.scheduler import PollScheduler

            self.scheduler = PollScheduler(runtime.db, jobs)
            self.scheduler.start()
        self.refresh_health()
        self.refresh_counts()

    def _on_bus_change(self, change) -> None:
        # Runs on whichever thread committed; post_message and pick_up are thread-safe.
        self.post_message(Changed(change.kind, change.ids))
        if self.scheduler is not None:
            self.scheduler.pick_up(change)  # another console's uploads, if this one delivers

    def _exit_if_terminal_gone(self) -> None:
        if sys.__stdin__ is None or not sys.__stdin__.isatty():
            self.exit(return_code=1)

    async def on_unmount(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown()
        if self.watcher is not None:
            self.watcher.stop()
        if self.runtime is not None:
            self.runtime.close()

    # --- events ------------------------------------------------------------------------------

    def register_live_screen(self, screen: Screen) -> None:
        self._live.add(screen)
        if self.runtime is None and self.database is not None:
            screen.post_message(DatabaseReady())
        if self.runtime is not None:
            screen.post_message(RuntimeReady())
            screen.post_message(HealthChanged(self.health))
        if self.counts is not None:
            screen.post_message(CountsChanged(self.counts))

    def unregister_live_screen(self, screen: Screen) -> None:
        self._live.discard(screen)

    def _broadcast(self, make: Callable[[], Message]) -> None:
        for screen in list(self._live):
            screen.post_message(make())

    def on_changed(self, message: Changed) -> None:
        if self._held is not None:  # a burst: kept for the next broadcast
            self._held[message.kind] = _merged(self._held.get(message.kind), message.ids)
            return
        self._held = {}
        self._send_changes({message.kind: message.ids})
        self._hold_changes()

    @work(group="changes", exit_on_error=False)
    async def _hold_changes(self) -> None:
        """A burst of changes (a batch run commits one every few ms) reaches the screens as one
        broadcast every CHANGES_EVERY, not as a re-read per change: every re-read is a thread
        competing with the loop for the GIL."""
        while True:
            await asyncio.sleep(CHANGES_EVERY)
            held, self._held = self._held or {}, {}
            if not held:
                self._held = None
                return
            self._send_changes(held)

    def _send_changes(self, changes: dict[str, tuple[int, ...]]) -> None:
        for kind, ids in changes.items():
            self._broadcast(functools.partial(Changed, kind, ids))
        if "connector" in changes:
            self.refresh_health()
        if changes.keys() - {"connector"}:
            self.refresh_counts()

    @work(thread=True, exclusive=True, group="health", exit_on_error=False)
    def refresh_health(self) -> None:
        from posync_tui.services.status import connector_health

        assert self.runtime is not None  # refreshed only once the runtime is up
        rows = connector_health(self.runtime)
        health = [ConnectorHealth(**row) for row in rows]
        self.call_from_thread(self._set_health, health)

    def _set_health(self, health: list[ConnectorHealth]) -> None:
        self.health = health
        self._broadcast(lambda: HealthChanged(health))

    def refresh_counts(self) -> None:
        if self._counting:
            self._count_again = True
            return
        self._counting = True
        self._count()

    @work(thread=True, group="counts", exit_on_error=False)
    def _count(self) -> None:
        from posync_tui.services.status import shell_counts

        assert self.runtime is not None  # refreshed only once the runtime is up
        try:
            counts = shell_counts(self.runtime)
        finally:
            self.call_from_thread(self._counted)
        self.call_from_thread(self._set_counts, counts)

    def _counted(self) -> None:
        self._counting = False
        if self._count_again:
            self._count_again = False
            self.refresh_counts()

    def _set_counts(self, counts: ShellCounts) -> None:
        self.counts = counts
        self._broadcast(lambda: CountsChanged(counts))

    # --- actions -----------------------------------------------------------------------------

    def action_area(self, name: str) -> None:
        self.switch_mode(name)

    def action_help(self) -> None:
        screen = self.screen
        sections = [("Everywhere", binding_rows(list(Binding.make_bindings(self.BINDINGS)), self))]
        sections.append(("Command palette", [("ctrl+p", "jump to a PO, vendor or batch")]))
        sections.append(
            (
                "Status line",
                [
                    ("●sup ✓12:03", "connector healthy, last success at 12:03"),
                    ("●sup ✖3", "3 failures in a row: e shows why"),
                    ("●sup –", "not run yet"),
                    ("○sup unset", "not configured: e shows the config line"),
                ],
            )
        )
        local: list = []
        for active in screen.active_bindings.values():
            if active.node is not self and active.binding.description:
                local.append(active.binding)
        if local:
            area = getattr(screen, "AREA", "") or "this screen"  # modal screens name no area
            sections.insert(0, (f"Here ({area})", binding_rows(local, self)))
        self.push_screen(HelpScreen(sections))

    def open_purchase_order(self, po_id: int) -> None:
        """Show a PO's detail from anywhere (the command palette): its area, then the PO.
        Escape on it goes back to the area the operator came from."""
        from screens.po_detail import PurchaseOrderDetail

        came_from = self.current_mode
        self.switch_mode("purchase_orders")
        top = self.screen
        if isinstance(top, PurchaseOrderDetail) and top.po_id == po_id:
            return
        back_to = came_from if came_from != "purchase_orders" else None
        self.push_screen(PurchaseOrderDetail(po_id, back_to=back_to))

    async def open_vendor(self, vendor_id: int) -> None:
        """Show a vendor's Edit Vendor form from anywhere (the command palette)."""
        from screens.vendors import Vendors

        await self.switch_mode("vendors")
        self.screen.query_one(".area-body", Vendors).edit(vendor_id)

    async def show_vendor_pos(self, vendor_id: int, code: str | None) -> None:
        """The PO list filtered to one vendor (from the Vendors area)."""
        from screens.purchase_orders import PurchaseOrders
        from screens.shell import AreaScreen

        await self.switch_mode("purchase_orders")
        while len(self.screen_stack) > 1 and not isinstance(self.screen, AreaScreen):
            self.pop_screen()
        self.screen.query_one(".area-body", PurchaseOrders).show_vendor(vendor_id, code)

    def action_connectors(self) -> None:
        from screens.connectors import ConnectorsScreen

        self.push_screen(ConnectorsScreen(self.health, self.counts))

    def action_run_now(self, name: str | None = None) -> None:
        if self.scheduler is None:
            self.notify("The scheduler is not running in this console.", severity="warning")
            return
        names = [name] if name else list(self.scheduler.jobs)
        self.notify(f"Running now: {', '.join(names)}")
        for each in names:
            self._report_run(each, self.scheduler.run_now(each))

    @work(group="run now", exit_on_error=False)
    async def _report_run(self, name: str, task) -> None:
        outcome = await task
        severity: SeverityLevel = "error" if outcome.status == "failed" else "information"
        self.notify(f"{name}: {outcome.summary}", severity=severity)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """A toast, in plain text: toasts quote partner and operator text, which is never markup
        and never reaches the terminal as controls. ``markup`` is accepted (``Widget.notify``
        passes it) and ignored."""
        super().notify(
            visible(message),
            title=visible(title, one_line=True),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    # --- jumping (the command palette) -------------------------------------------------------

    async def open_record(self, kind: str, record_id: int) -> None:
        if kind == "purchase_order":
            self.open_purchase_order(record_id)
        elif kind == "vendor":
            await self.open_vendor(record_id)
        elif kind == "warehouse_batch":
            from screens.batches import open_batch

            await open_batch(self, record_id)


def _merged(held: tuple[int, ...] | None, ids: tuple[int, ...]) -> tuple[int, ...]:
    """Two changes of one kind as one: their ids, or () when either names no ids (many)."""
    if held is None:
        return ids
    if not held or not ids:
        return ()
    return tuple(dict.fromkeys(held + ids))


def _why_not_started(exc: Exception) -> Text:
    from posync_tui.failures import expected_failure

    # Printed by Rich after the app has gone: a Text, so that a "[/]" in a path or an error is
    # shown as it is, never parsed as markup; controls made visible like everything shown.
    return Text(visible(expected_failure(exc) or f"posync cannot start: {exc}"))
