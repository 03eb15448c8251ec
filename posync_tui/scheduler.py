"""The poll scheduler: APScheduler on the running asyncio loop, one leased job per connector.

In the console the loop is Textual's; in ``posync worker`` it is the worker's own. Each tick:
take or renew the connector's lease (database work in a thread, never on the loop), skip if
another process polls it, else run the job and record its outcome in ``connector_state`` with a
"connector" change, so every console's status line updates. A job's exception is recorded as the
connector's last error; it never stops the scheduler or the other jobs.

A job that fails backs off: its next run waits twice as long after each failure in a row (from
its interval, up to ``MAX_BACKOFF``), so a partner that is down for an hour is asked a few dozen
times, not hundreds, and is used again within minutes of coming back; a success returns the job
to its interval.

A job runs under its lease's ``Fence``: every write it makes checks the fence in its own
transaction (see ``leases``), and so does the outcome written here. A job that lost its lease
while it ran (a process paused past its lease) ends "lost" and writes nothing more.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlmodel import select

from posync_tui import delivery, events, failures, leases
from posync_tui.db import Database
from posync_tui.events import note_change
from posync_tui.models import ConnectorState

log = logging.getLogger(__name__)

# A follower retries this long after the leader's lease would expire.
TAKEOVER_DELAY = timedelta(milliseconds=50)
# The longest a failing job waits before its next try (unless its interval is longer).
MAX_BACKOFF = 300.0


def backoff(failures: int, interval: float) -> float:
    """Seconds before the next run of a job that failed ``failures`` times in a row."""
    if failures <= 0:
        return interval
    return min(interval * 2 ** min(failures - 1, 32), max(interval, MAX_BACKOFF))


@dataclass
class Job:
    """One connector's scheduled work: ``run(fence)`` returns a summary in plain words."""

    name: str
    interval: float
    run: Callable[[leases.Fence], Awaitable[str]]


@dataclass(frozen=True)
class Outcome:
    """What one tick did: "ok", "failed", "skipped" (another process polls), "busy" (already
    running here) or "lost" (the lease passed to another process during the run)."""

    name: str
    status: str
    summary: str
    leader: str | None = None

    @property
    def ok(self) -> bool:
        """The tick did its work: it ran and succeeded (skipped, busy and lost did nothing)."""
        return self.status == "ok"

    def as_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


class PollScheduler:
    def __init__(
        self,
        db: Database,
        jobs: list[Job],
        *,
        holder: str = events.ORIGIN,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.db = db
        self.clock = clock  # for the back-off of failing jobs (tests play the clock)
        self.failures: dict[str, int] = {}  # job → failed runs in a row here
        self.retry_at: dict[str, datetime] = {}  # job → its backed-off next run
        self.jobs = {job.name: job for job in jobs}
        # The lease holder; one per process normally, distinct ones let tests run two "workers".
        self.holder = holder
        self._scheduler: AsyncIOScheduler | None = None
        self._running: dict[str, asyncio.Task] = {}
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._picked_up: set[asyncio.Task] = set()  # held: the loop keeps only weak references
        self._picking_up: set[str] = set()  # jobs with a pick-up waiting for their run
        self._led_elsewhere: dict[str, datetime] = {}  # job → when another's lease expires

    # --- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start on the running asyncio loop; each job's first tick is now."""
        self._loop = asyncio.get_running_loop()
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        now = datetime.now(UTC)
        for job in self.jobs.values():
            self._scheduler.add_job(
                self._scheduled_tick,
                "interval",
                seconds=job.interval,
                args=[job.name],
                id=job.name,
                name=f"poll {job.name}",
                next_run_time=now,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=None,
            )
        self._scheduler.start()

    def shutdown(self) -> None:
        """Stop ticking, cancel runs in progress and release this process's leases."""
        self._stopping = True
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        for task in list(self._running.values()):
            task.cancel()
        self.release_leases()

    def release_leases(self) -> None:
        for name in self.jobs:
            try:
                leases.release(self.db, name, self.holder)
            except Exception:
                log.exception("could not release the %s lease", name)

    # --- ticks ------------------------------------------------------------------------------

    def run_now(self, name: str) -> asyncio.Task[Outcome]:
        """The console's "run now" key: one tick of ``name`` at once (call on the loop)."""
        return asyncio.get_running_loop().create_task(self.tick(name))

    def pick_up(self, change: events.Change) -> None:
        """Another process queued outbox messages of a connector whose job runs here: deliver
        them now, not at the next tick. Safe from any thread (the change watcher's).

        A connector's deliveries run in the job named after it. The run takes the lease as a
        tick does; while another process holds it, that process picks the work up instead. Runs
        are not doubled: a run under way is followed by at most one more, if work still waits.
        """
        connector = delivery.outbox_connector(change.kind)
        loop = self._loop
        if connector is None or connector not in self.jobs or loop is None:
            return
        if change.local or self._stopping:
            return
        loop.call_soon_threadsafe(self._start_pick_up, connector)

    def _start_pick_up(self, name: str) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver_waiting(name))
        self._picked_up.add(task)
        task.add_done_callback(self._picked_up.discard)

    async def _deliver_waiting(self, name: str) -> None:
        if name in self._picking_up:
            return  # a pick-up of this job already waits: it covers this change too
        led_until = self._led_elsewhere.get(name)
        if led_until is not None and led_until > datetime.now(UTC):
            return  # another process leads: it sees the same change
        self._picking_up.add(name)
        try:
            if (running := self._running.get(name)) is not None:
                # Its next round may send them; what it no longer saw goes right after it.
                await asyncio.wait([running])
            if self._stopping or not await asyncio.to_thread(delivery.has_work, self.db, name):
                return  # nothing waits: delivered already, or an outcome another process noted
        except Exception:
            log.exception("could not look for %s work", name)
            return
        finally:
            self._picking_up.discard(name)
        await self._scheduled_tick(name)

    async def run_all_once(self) -> dict[str, Outcome]:
        """One tick of every job, one after another (``posync sync --once``)."""
        return {name: await self.tick(name) for name in self.jobs}

    async def _scheduled_tick(self, name: str) -> None:
        try:
            outcome = await self.tick(name)
        except asyncio.CancelledError:
            if self._stopping:
                return  # shutdown cancelled a run in progress; nothing went wrong
            raise
        level = logging.INFO if outcome.status == "ok" else logging.DEBUG  # failures: warned
        log.log(level, "%s: %s %s", name, outcome.status, outcome.summary)

    async def tick(self, name: str) -> Outcome:
        job = self.jobs[name]
        if self._stopping:
            return Outcome(name, "skipped", "the scheduler is stopping")
        if name in self._running:
            return Outcome(name, "busy", f"{name} is already running")
        task = asyncio.current_task()
        assert task is not None  # a coroutine awaited on the loop runs in a task
        self._running[name] = task
        try:
            return await self._lead_and_run(job)
        finally:
            self._running.pop(name, None)

    async def _lead_and_run(self, job: Job) -> Outcome:
        ttl = leases.lease_ttl(job.interval)
        try:
            lease = await asyncio.to_thread(leases.acquire, self.db, job.name, self.holder, ttl)
        except Exception as exc:
            log.exception("could not take the %s lease", job.name)
            return Outcome(job.name, "failed", f"database unavailable: {exc}")
        if not lease.held:
            if lease.expires_at is not None:
                self._led_elsewhere[job.name] = lease.expires_at
            self._follow(job, lease)
            return Outcome(
                job.name,
                "skipped",
                f"not run here: {lease.leader} polls {job.name}",
                leader=lease.leader,
            )
        self._led_elsewhere.pop(job.name, None)
        started = datetime.now(UTC)
        fence = lease.fence()
        keeper = asyncio.create_task(self._keep_lease(job, ttl))
        try:
            summary = str(await job.run(fence))
        except leases.LeaseLost as exc:
            log.warning("%s: %s", job.name, exc.message)
            return Outcome(job.name, "lost", exc.message)
        except Exception as exc:
            error = plain_error(exc)
            expected = _expected(exc) or failures.database_fault(exc) is not None
            log.warning("%s failed: %s", job.name, error, exc_info=not expected)
            self._back_off(job)
            await self._record(job, fence, started, ttl, error=error)
            return Outcome(job.name, "failed", error, leader=self.holder)
        finally:
            keeper.cancel()
        self.failures.pop(job.name, None)
        self.retry_at.pop(job.name, None)
        if not await self._record(job, fence, started, ttl, summary=summary):
            return Outcome(job.name, "lost", f"{self.holder} lost the {job.name} lease")
        return Outcome(job.name, "ok", summary, leader=self.holder)

    def _back_off(self, job: Job) -> None:
        """After a failure: the next run waits longer each time (see ``backoff``)."""
        failures = self.failures[job.name] = self.failures.get(job.name, 0) + 1
        retry_at = self.clock() + timedelta(seconds=backoff(failures, job.interval))
        self.retry_at[job.name] = retry_at
        scheduler = None if self._stopping else self._scheduler
        if scheduler is not None and scheduler.get_job(job.name) is not None:
            scheduler.modify_job(job.name, next_run_time=retry_at)

    def _follow(self, job: Job, lease: leases.Lease) -> None:
        """Another process polls: look again just after its lease would expire."""
        if self._scheduler is None or lease.expires_at is None or self._stopping:
            return
        now = datetime.now(UTC)
        # Bounded by one lease length, in case the clocks of two hosts disagree.
        latest = now + timedelta(seconds=leases.lease_ttl(job.interval))
        retry_at = min(max(lease.expires_at, now), latest) + TAKEOVER_DELAY
        if self._scheduler.get_job(job.name) is not None:
            self._scheduler.modify_job(job.name, next_run_time=retry_at)

    async def _keep_lease(self, job: Job, ttl: float) -> None:
        """Renew the lease while a long poll runs, so no other process starts the same poll."""
        while True:
            await asyncio.sleep(ttl / 3)
            try:
                lease = await asyncio.to_thread(leases.acquire, self.db, job.name, self.holder, ttl)
            except Exception:
                log.exception("%s: could not renew the lease", job.name)
                continue
            if not lease.held:
                log.warning("%s: lost the lease to %s during a poll", job.name, lease.leader)

    async def _record(
        self, job: Job, fence: leases.Fence, started: datetime, ttl: float, *, summary=None,
        error=None,
    ) -> bool:  # fmt: skip
        """Write the run's outcome; False when the lease was lost meanwhile (nothing written)."""
        if self._stopping:
            return True
        next_run = self.retry_at.get(job.name) if error is not None else None
        if next_run is None and self._scheduler is not None:
            scheduled = self._scheduler.get_job(job.name)
            next_run = scheduled.next_run_time if scheduled else None
        try:
            await asyncio.to_thread(
                record_outcome, self.db, fence, started, next_run, ttl, summary, error
            )
        except leases.LeaseLost as exc:
            log.warning("%s: %s", job.name, exc.message)
            return False
        except Exception:
            log.exception("could not record the outcome of %s", job.name)
        return True

    # --- status -----------------------------------------------------------------------------

    def states(self) -> list[ConnectorState]:
        """Every connector's health and leader, for the status line (call in a thread)."""
        with self.db.reader() as session:
            return list(session.exec(select(ConnectorState).order_by(ConnectorState.name)).all())


def record_outcome(
    db: Database,
    fence: leases.Fence,
    started: datetime,
    next_run: datetime | None,
    ttl: float,
    summary: str | None,
    error: str | None,
) -> None:
    """Write a run's result to connector_state and tell every console (one transaction, under
    the run's lease: LeaseLost, and nothing written, if another process leads now)."""
    state = ConnectorState.__table__
    with db.session() as session:
        fence.check(session)
        now = record_health(session, fence.name, started, next_run, summary, error)
        # The lease runs from the end of the run, too: a long poll must not let it lapse.
        session.execute(
            update(state)
            .where(state.c.name == fence.name, state.c.leader == fence.holder)
            .values(lease_expires_at=now + timedelta(seconds=ttl))
        )


def record_health(
    session: Session,
    name: str,
    started: datetime,
    next_run: datetime | None,
    summary: str | None,
    error: str | None,
) -> datetime:
    """A connector's last attempt, success or failure, for every console's status line; the
    database's time of it."""
    state = ConnectorState.__table__
    leases.ensure_row(session, name)
    now = leases.db_now(session)
    values: dict = {"last_attempt_at": started, "next_run_at": next_run}
    if error is None:
        values |= {
            "last_success_at": now,
            "consecutive_failures": 0,
            "last_error": None,
            "summary": summary,
        }
    else:
        values |= {
            "last_error": error,
            "consecutive_failures": state.c.consecutive_failures + 1,
        }
    session.execute(update(state).where(state.c.name == name).values(**values))
    note_change(session, "connector")
    return now


def plain_error(exc: BaseException) -> str:
    """An operator-readable sentence for a failure (connector errors already are one)."""
    if (fault := failures.database_fault(exc)) is not None:
        return fault
    message = getattr(exc, "message", None) or str(exc).strip()
    if _expected(exc):
        return message or type(exc).__name__
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _expected(exc: BaseException) -> bool:
    """A partner's failure, already in plain words (no traceback, no class name)."""
    if isinstance(exc, delivery.NoAnswer):  # a delivery run the partner answered nothing of
        return True
    try:
        from connectors.base import ConnectorError
    except ImportError:  # pragma: no cover - connectors ships with posync
        return False
    return isinstance(exc, ConnectorError)
