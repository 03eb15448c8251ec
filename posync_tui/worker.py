"""``posync worker`` (the scheduler without a screen) and ``posync sync --once``."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from posync_tui import events
from posync_tui.runtime import Runtime
from posync_tui.scheduler import Job, PollScheduler
from posync_tui.watch import ChangeWatcher

log = logging.getLogger("posync.worker")


def run_worker(runtime: Runtime, jobs: list[Job]) -> None:
    """Poll until SIGINT or SIGTERM, logging to stdout; release the leases on the way out."""
    logging.basicConfig(
        stream=sys.stdout,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # it logs every tick at INFO
    asyncio.run(_serve(runtime, jobs))


async def _serve(runtime: Runtime, jobs: list[Job]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    scheduler = PollScheduler(runtime.db, jobs)

    def changed(change: events.Change) -> None:
        log.debug("change from %s: %s %s", change.origin, change.kind, change.ids)
        scheduler.pick_up(change)  # work a console queued: delivered now where this one leads

    # The worker shows nothing, but its watcher keeps the change log pruned and brings it the
    # work the consoles queue.
    watcher = ChangeWatcher(runtime.db, changed)
    watcher.start()
    scheduler.start()
    names = ", ".join(f"{job.name} every {job.interval:g} s" for job in jobs) or "no jobs"
    log.info("worker %s started: %s", events.ORIGIN, names)
    try:
        await stop.wait()
    finally:
        log.info("worker %s stopping; releasing its leases", events.ORIGIN)
        scheduler.shutdown()
        await asyncio.sleep(0)  # let APScheduler's own shutdown run on the loop
        watcher.stop()


def run_once(runtime: Runtime, jobs: list[Job]) -> dict[str, dict]:
    """One cycle of each job; per connector: ok, status, summary (or the error), leader.

    Leases are respected: a connector that a running worker polls is skipped, not polled twice.
    """

    async def once() -> dict[str, dict]:
        scheduler = PollScheduler(runtime.db, jobs)
        try:
            outcomes = await scheduler.run_all_once()
        finally:
            await asyncio.to_thread(scheduler.release_leases)
        return {name: outcome.as_dict() for name, outcome in outcomes.items()}

    return asyncio.run(once())
