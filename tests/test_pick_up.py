"""The lease holder picks up work another process queued at once, not at its next tick."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import pytest
from sqlmodel import select

from posync_tui import delivery, events
from posync_tui.models import ChangeLogEntry, OutboxMessage, OutboxStatus
from posync_tui.scheduler import Job, PollScheduler
from tests.test_delivery import CONNECTOR, FakeAdapter, FakePartner, queue
from tests.test_scheduler import state, until, wait_for_line

ELSEWHERE = "console-elsewhere:4242:abcdef"  # the origin of another process's change


def enqueue(db, *record_ids: int) -> events.Change:
    """Queue messages as Upload Selected does; the change as another process's watcher sees it."""
    ids = queue(db, *record_ids)
    with db.session() as s:
        delivery.note_outbox(s, CONNECTOR, ids)
    with db.reader() as s:
        kind = s.exec(select(ChangeLogEntry.kind).order_by(ChangeLogEntry.id.desc())).first()
    return events.Change(kind, tuple(ids), origin=ELSEWHERE)


def sent(db) -> set[int]:
    with db.reader() as s:
        return set(
            s.exec(select(OutboxMessage.record_id).where(OutboxMessage.status == OutboxStatus.SENT))
        )


def delivering(db, partner: FakePartner, runs: list[str], holder: str, gate=None):
    """A delivery job body for ``holder``: counts its runs, waits at ``gate`` after delivering."""

    async def run(fence) -> str:
        runs.append(holder)
        tally = await delivery.deliver(db, FakeAdapter(partner), fence)
        if gate is not None and len(runs) == 1:
            await gate.wait()
        return f"{tally.total} delivered"

    return run


async def test_the_leader_delivers_another_process_upload_within_a_second(any_db):
    partner, runs = FakePartner(), []
    leader, follower = (
        PollScheduler(
            any_db, [Job(CONNECTOR, 60, delivering(any_db, partner, runs, holder))], holder=holder
        )
        for holder in ("worker-a", "worker-b")
    )
    leader.start()
    await until(lambda: runs == ["worker-a"] and state(any_db, CONNECTOR).summary, what="a lead")
    follower.start()
    try:
        change = enqueue(any_db, 1, 2, 3)
        assert change.kind == f"outbox:{CONNECTOR}"  # the change names its connector
        queued_at = time.monotonic()
        for scheduler in (follower, leader):  # every process's watcher delivers it
            scheduler.pick_up(change)
        await until(lambda: sent(any_db) == {1, 2, 3}, timeout=1.0, what="the leader's delivery")
        assert time.monotonic() - queued_at < 1.0  # its next tick was a minute away
    finally:
        leader.shutdown()
        follower.shutdown()
    assert runs.count("worker-a") == 2 and "worker-b" not in runs
    assert sorted(partner.sent) == sorted(set(partner.sent))  # none sent twice


async def test_a_change_made_here_or_of_another_connector_starts_nothing(db):
    partner, runs = FakePartner(), []
    scheduler = PollScheduler(db, [Job(CONNECTOR, 60, delivering(db, partner, runs, "here"))])
    scheduler.start()
    try:
        await until(lambda: runs == ["here"] and state(db, CONNECTOR).summary, what="first tick")
        elsewhere = enqueue(db, 1)
        tasks = asyncio.all_tasks()
        for change in (
            events.Change(elsewhere.kind, elsewhere.ids),  # this process: it runs it itself
            events.Change("outbox:warehouse", elsewhere.ids, origin=ELSEWHERE),
            events.Change("purchase_order", (1,), origin=ELSEWHERE),
        ):
            scheduler.pick_up(change)
        await asyncio.sleep(0)  # one turn of the loop: a pick-up would have started by now
        assert asyncio.all_tasks() == tasks
        scheduler.pick_up(elsewhere)
        assert asyncio.all_tasks() == tasks  # started on the loop's next turn...
        await asyncio.sleep(0)
        assert len(asyncio.all_tasks() - tasks) == 1  # ...as the ignored ones would have been
    finally:
        scheduler.shutdown()


async def test_changes_during_a_run_add_one_run_after_it_not_one_each(db):
    partner, runs, gate = FakePartner(), [], asyncio.Event()
    scheduler = PollScheduler(db, [Job(CONNECTOR, 60, delivering(db, partner, runs, "here", gate))])
    scheduler.start()
    try:
        await until(lambda: runs == ["here"], what="the first run")
        # Queued after the first run looked for work: it no longer sees them.
        for record_id in (1, 2, 3):
            scheduler.pick_up(enqueue(db, record_id))
        gate.set()
        await until(lambda: sent(db) == {1, 2, 3}, what="the run after it")
        await until(lambda: state(db, CONNECTOR).summary == "3 delivered", what="its outcome")
    finally:
        scheduler.shutdown()
    assert runs == ["here", "here"]


WORKER = """
import sys
from posync_tui import delivery
from posync_tui.config import Settings
from posync_tui.db import Database
from posync_tui.runtime import Runtime
from posync_tui.scheduler import Job
from posync_tui.worker import run_worker
from tests.test_delivery import CONNECTOR, FakeAdapter, FakePartner, queue

db = Database(sys.argv[1])
partner = FakePartner()

async def deliver(fence):
    tally = await delivery.deliver(db, FakeAdapter(partner), fence)
    print("delivered", tally.total, flush=True)
    return f"{tally.total} delivered"

run_worker(Runtime(Settings(), db), [Job(CONNECTOR, 60, deliver)])
"""


@pytest.fixture
def worker(any_db):
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER, any_db.url], stdout=subprocess.PIPE, text=True
    )
    yield proc
    if proc.poll() is None:
        proc.terminate()
    proc.wait(timeout=10)


async def test_posync_worker_delivers_a_console_upload_within_a_second(any_db, worker):
    await wait_for_line(worker, "delivered 0")  # its first tick: it holds the lease, nothing to do
    enqueue(any_db, 7, 8)  # this test process is the console: the worker's watcher sees it
    queued_at = time.monotonic()
    await wait_for_line(worker, "delivered 2")
    assert time.monotonic() - queued_at < 1.0  # its next tick was a minute away
    await until(lambda: sent(any_db) == {7, 8}, what="the outcomes written")
