"""Leases with fencing: a process that lost its lease writes nothing under it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import pytest

from posync_tui import leases
from posync_tui.scheduler import Job, PollScheduler
from posync_tui.services.supplier_sync import apply_page, read_cursor
from posync_tui.services.supplier_sync_store import CatalogAnswers
from tests.test_leases import _expire
from tests.test_scheduler import state, until, wait_for_line


def test_each_new_term_of_leadership_has_a_new_generation_and_a_renewal_keeps_it(any_db):
    first = leases.acquire(any_db, "supplier", "worker-a", ttl=60)
    renewed = leases.acquire(any_db, "supplier", "worker-a", ttl=60)
    assert renewed.generation == first.generation
    _expire(any_db, "supplier")
    taken = leases.acquire(any_db, "supplier", "worker-b", ttl=60)
    assert taken.generation == first.generation + 1
    _expire(any_db, "supplier")
    # The same process taking back a lease it let lapse starts a new term too.
    back = leases.acquire(any_db, "supplier", "worker-b", ttl=60)
    assert back.generation == taken.generation + 1


def test_a_write_under_a_lost_lease_is_refused_and_nothing_is_written(any_db):
    fence = leases.acquire(any_db, "supplier", "worker-a", ttl=60).fence()
    apply_page(any_db, [], CatalogAnswers(), "5", fence=fence)
    _expire(any_db, "supplier")
    leases.acquire(any_db, "supplier", "worker-b", ttl=60)
    with pytest.raises(leases.LeaseLost):
        apply_page(any_db, [], CatalogAnswers(), "3", fence=fence)
    assert read_cursor(any_db) == "5"


def test_a_lease_that_lapsed_fences_its_holder_even_before_another_takes_it(any_db):
    fence = leases.acquire(any_db, "supplier", "worker-a", ttl=60).fence()
    _expire(any_db, "supplier")
    with pytest.raises(leases.LeaseLost):
        apply_page(any_db, [], CatalogAnswers(), "9", fence=fence)
    assert read_cursor(any_db) is None


def test_a_follower_has_no_fence(any_db):
    leases.acquire(any_db, "supplier", "worker-a", ttl=60)
    with pytest.raises(leases.LeaseLost):
        leases.acquire(any_db, "supplier", "worker-b", ttl=60).fence()


async def test_a_run_that_lost_its_lease_ends_lost_and_records_nothing(any_db):
    async def overtaken(fence) -> str:
        # Another process takes the lease while this run waits on its partner.
        await asyncio.to_thread(_expire, any_db, "supplier")
        await asyncio.to_thread(leases.acquire, any_db, "supplier", "worker-b", 60)
        return "3 POs updated"

    scheduler = PollScheduler(any_db, [Job("supplier", 30, overtaken)], holder="worker-a")
    outcome = await scheduler.run_now("supplier")
    assert outcome.status == "lost" and not outcome.ok
    st = state(any_db, "supplier")
    assert st.leader == "worker-b" and st.summary is None and st.last_success_at is None


# A worker whose supplier poll fetches, then waits on its partner before applying: the moment
# a paused process (SIGSTOP, Ctrl-Z, a frozen VM) is most dangerous.
PAUSABLE_WORKER = """
import asyncio, sys
from posync_tui.config import Settings
from posync_tui.db import Database
from posync_tui.runtime import Runtime
from posync_tui.scheduler import Job
from posync_tui.services.supplier_sync import apply_page, read_cursor
from posync_tui.services.supplier_sync_store import CatalogAnswers
from posync_tui.worker import run_worker

db = Database(sys.argv[1])

async def poll(fence):
    cursor = int(await asyncio.to_thread(read_cursor, db) or 0)
    print(f"fetched the page after {cursor}", flush=True)
    await asyncio.sleep(float(sys.argv[2]) * 4)
    await asyncio.to_thread(apply_page, db, [], CatalogAnswers(), str(cursor + 1), fence=fence)
    return f"applied up to {cursor + 1}"

run_worker(Runtime(Settings(), db), [Job("supplier", float(sys.argv[2]), poll)])
"""


async def test_a_leader_paused_mid_poll_and_resumed_writes_nothing(any_db):
    interval = 0.5
    proc = subprocess.Popen(
        [sys.executable, "-c", PAUSABLE_WORKER, any_db.url, str(interval)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    follower = None
    try:
        await wait_for_line(proc, "fetched the page after 0")
        os.kill(proc.pid, signal.SIGSTOP)

        async def newer(fence) -> str:
            await asyncio.to_thread(apply_page, any_db, [], CatalogAnswers(), "100", fence=fence)
            return "applied up to 100"

        follower = PollScheduler(any_db, [Job("supplier", interval, newer)], holder="worker-b")
        follower.start()
        await until(lambda: state(any_db, "supplier").summary == "applied up to 100")
        follower.shutdown()  # the paused one may take the lease back: it must still write nothing

        os.kill(proc.pid, signal.SIGCONT)
        await wait_for_line(proc, "lost the supplier lease")
        assert read_cursor(any_db) == "100"
        assert state(any_db, "supplier").summary == "applied up to 100"
    finally:
        if follower is not None:
            follower.shutdown()
        os.kill(proc.pid, signal.SIGCONT)
        proc.kill()
        proc.wait(timeout=10)
