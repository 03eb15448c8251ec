"""The poll scheduler: leased jobs, outcomes in connector_state, one poller per connector."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import select

from connectors.base import PartnerUnavailable
from posync_tui import leases
from posync_tui.models import ChangeLogEntry, ConnectorState
from posync_tui.scheduler import Job, PollScheduler
from tests.waiting import until


def state(db, name: str) -> ConnectorState:
    with db.reader() as s:
        return s.get(ConnectorState, name)


def failures(db, name: str) -> int:
    st = state(db, name)
    return st.consecutive_failures if st else 0


def change_kinds(db) -> list[str]:
    with db.reader() as s:
        return [e.kind for e in s.exec(select(ChangeLogEntry).order_by(ChangeLogEntry.id))]


class Counting:
    """A job body that counts its runs and answers with a summary or an error."""

    def __init__(self, summary: str = "3 POs updated", error: Exception | None = None):
        self.summary, self.error, self.runs = summary, error, 0

    async def __call__(self, fence) -> str:
        self.runs += 1
        await asyncio.sleep(0)
        if self.error is not None:
            raise self.error
        return self.summary


async def test_a_successful_poll_is_recorded_with_a_connector_change(any_db):
    seen = []
    any_db.bus.subscribe(seen.append)
    scheduler = PollScheduler(any_db, [Job("supplier", 30, Counting("3 POs updated"))])
    scheduler.start()
    try:
        await until(lambda: state(any_db, "supplier") and state(any_db, "supplier").summary)
    finally:
        scheduler.shutdown()
    st = state(any_db, "supplier")
    assert st.summary == "3 POs updated"
    assert st.consecutive_failures == 0 and st.last_error is None
    assert st.last_success_at is not None and st.last_attempt_at <= st.last_success_at
    assert st.next_run_at > st.last_attempt_at  # the scheduler's next tick, for the status line
    assert "connector" in change_kinds(any_db)
    assert any(c.kind == "connector" for c in seen)


async def test_a_failure_is_recorded_in_plain_words_and_counted(any_db):
    body = Counting(error=PartnerUnavailable("The supplier did not answer within 10 s"))
    scheduler = PollScheduler(any_db, [Job("supplier", 30, body)])
    first = await scheduler.run_now("supplier")
    await scheduler.run_now("supplier")
    assert first.status == "failed" and not first.ok
    st = state(any_db, "supplier")
    assert st.last_error == "The supplier did not answer within 10 s"
    assert st.consecutive_failures == 2
    assert st.last_success_at is None

    body.error = None
    assert (await scheduler.run_now("supplier")).ok
    st = state(any_db, "supplier")
    assert st.consecutive_failures == 0 and st.last_error is None
    assert st.summary == "3 POs updated"


async def test_an_unexpected_exception_names_its_kind(any_db):
    scheduler = PollScheduler(any_db, [Job("supplier", 30, Counting(error=KeyError("sku")))])
    outcome = await scheduler.run_now("supplier")
    assert outcome.summary == "KeyError: 'sku'"
    assert state(any_db, "supplier").last_error == "KeyError: 'sku'"


async def test_run_now_while_the_job_runs_does_not_start_a_second_run(any_db):
    release = asyncio.Event()
    runs = 0

    async def slow(fence) -> str:
        nonlocal runs
        runs += 1
        await release.wait()
        return "done"

    scheduler = PollScheduler(any_db, [Job("supplier", 30, slow)])
    first = scheduler.run_now("supplier")
    await until(lambda: runs == 1, what="the first run")
    second = await scheduler.run_now("supplier")
    release.set()
    assert second.status == "busy"
    assert (await first).status == "ok"
    assert runs == 1


async def test_a_failing_job_does_not_stop_the_others(any_db):
    broken = Counting(error=RuntimeError("boom"))
    healthy = Counting("ok")
    scheduler = PollScheduler(
        any_db, [Job("supplier", 0.1, broken), Job("quickbooks", 0.1, healthy)]
    )
    scheduler.start()
    try:
        await until(
            lambda: failures(any_db, "supplier") >= 3 and healthy.runs >= 3,
            what="three failures of one and three runs of the other",
        )
    finally:
        scheduler.shutdown()
    assert state(any_db, "quickbooks").consecutive_failures == 0
    assert state(any_db, "quickbooks").summary == "ok"


async def test_shutdown_releases_the_leases_and_states_show_every_connector(any_db):
    scheduler = PollScheduler(
        any_db, [Job("supplier", 30, Counting()), Job("quickbooks", 30, Counting())]
    )
    await scheduler.run_now("supplier")
    await scheduler.run_now("quickbooks")
    states = await asyncio.to_thread(scheduler.states)
    assert [(s.name, s.leader) for s in states] == [
        ("quickbooks", scheduler.holder),
        ("supplier", scheduler.holder),
    ]
    scheduler.shutdown()
    assert [s.leader for s in await asyncio.to_thread(scheduler.states)] == [None, None]


async def test_two_workers_on_one_database_run_each_job_in_only_one_of_them(any_db):
    ran: Counter[tuple[str, str]] = Counter()
    active: Counter[str] = Counter()
    overlaps: list[str] = []

    def body(name: str, holder: str):
        async def run(fence) -> str:
            active[name] += 1
            if active[name] > 1:
                overlaps.append(name)
            ran[name, holder] += 1
            await asyncio.sleep(0.05)
            active[name] -= 1
            return "ok"

        return run

    workers = [
        PollScheduler(
            any_db,
            [Job(name, 0.3, body(name, holder)) for name in ("supplier", "quickbooks")],
            holder=holder,
        )
        for holder in ("worker-a", "worker-b")
    ]
    for worker in workers:
        worker.start()
    try:
        await until(
            lambda: sum(ran.values()) >= 8, what="several ticks of both jobs in both workers"
        )
    finally:
        for worker in workers:
            worker.shutdown()
    assert not overlaps
    for name in ("supplier", "quickbooks"):
        assert len([holder for (job, holder) in ran if job == name]) == 1, ran


# A worker process: `posync worker` with one supplier job that says "polling" and then hangs,
# as a poll waiting on a slow partner does.
HANGING_WORKER = """
import asyncio, sys
from posync_tui.config import Settings
from posync_tui.db import Database
from posync_tui.runtime import Runtime
from posync_tui.scheduler import Job
from posync_tui.worker import run_worker

async def hang(fence):
    print("polling", flush=True)
    await asyncio.sleep(3600)
    return "never"

run_worker(Runtime(Settings(), Database(sys.argv[1])), [Job("supplier", float(sys.argv[2]), hang)])
"""


@pytest.fixture
def hanging_worker(any_db):
    interval = 1.0
    proc = subprocess.Popen(
        [sys.executable, "-c", HANGING_WORKER, any_db.url, str(interval)],
        stdout=subprocess.PIPE,
        text=True,
    )
    yield proc, interval
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)


async def wait_for_line(proc, text: str) -> None:
    """Read a worker process's output until a line contains ``text``."""
    while True:
        line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), timeout=30)
        if not line:
            pytest.fail(f"the worker exited before printing {text!r}")
        if text in line:
            return


async def test_a_worker_killed_mid_poll_hands_its_job_to_another_within_an_interval(
    any_db, hanging_worker
):
    proc, interval = hanging_worker
    await wait_for_line(proc, "polling")
    dead_leader = state(any_db, "supplier").leader

    takeover = Counting("taken over")
    follower = PollScheduler(any_db, [Job("supplier", interval, takeover)], holder="worker-b")
    follower.start()
    try:
        # While the other worker lives it renews its lease through its long poll.
        await asyncio.sleep(1.5 * leases.lease_ttl(interval))
        assert takeover.runs == 0
        assert state(any_db, "supplier").leader == dead_leader

        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        expiry = state(any_db, "supplier").lease_expires_at
        await until(lambda: state(any_db, "supplier").summary == "taken over", what="takeover")
        st = state(any_db, "supplier")
        assert st.leader == "worker-b"
        # Taken over within one interval of the dead worker's lease running out.
        assert st.last_attempt_at - expiry < timedelta(seconds=interval)
    finally:
        follower.shutdown()
