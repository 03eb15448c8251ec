"""`posync worker` (headless, until a signal) and `posync sync --once` (one cycle, a summary)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import update

from connectors.base import RateLimited
from posync_tui import leases
from posync_tui.config import Settings
from posync_tui.models import ConnectorState, utcnow
from posync_tui.runtime import Runtime
from posync_tui.scheduler import Job
from posync_tui.worker import run_once


def state(db, name: str) -> ConnectorState | None:
    with db.reader() as s:
        return s.get(ConnectorState, name)


async def fine(fence) -> str:
    return "2 bills uploaded"


async def throttled(fence) -> str:
    raise RateLimited("QuickBooks Online asked us to slow down (429)", retry_after=30)


def test_sync_once_runs_each_job_once_and_summarises_each_connector(db):
    runtime = Runtime(Settings(), db)
    summary = run_once(runtime, [Job("supplier", 30, fine), Job("quickbooks", 60, throttled)])
    assert summary["supplier"]["ok"] and summary["supplier"]["summary"] == "2 bills uploaded"
    assert not summary["quickbooks"]["ok"]
    assert summary["quickbooks"]["summary"] == "QuickBooks Online asked us to slow down (429)"
    assert state(db, "quickbooks").consecutive_failures == 1
    # Nothing is left leased: a worker started next can poll at once.
    assert state(db, "supplier").leader is None and state(db, "quickbooks").leader is None


def test_sync_once_leaves_a_connector_alone_while_a_worker_polls_it(any_db):
    leases.acquire(any_db, "supplier", "worker-elsewhere", ttl=60)
    summary = run_once(Runtime(Settings(), any_db), [Job("supplier", 30, fine)])
    # Nothing was done here, so it is not reported ok: it says who does it instead.
    assert summary["supplier"]["status"] == "skipped" and not summary["supplier"]["ok"]
    assert summary["supplier"]["summary"] == "not run here: worker-elsewhere polls supplier"
    assert state(any_db, "supplier").leader == "worker-elsewhere"


def test_sync_once_takes_over_the_expired_lease_of_a_dead_process(any_db):
    leases.acquire(any_db, "supplier", "worker-dead", ttl=60)
    with any_db.session() as s:
        s.execute(update(ConnectorState).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    summary = run_once(Runtime(Settings(), any_db), [Job("supplier", 30, fine)])
    assert summary["supplier"]["ok"] and summary["supplier"]["summary"] == "2 bills uploaded"


WORKER = """
import sys
from posync_tui.config import Settings
from posync_tui.db import Database
from posync_tui.runtime import Runtime
from posync_tui.scheduler import Job
from posync_tui.worker import run_worker

async def poll(fence):
    return "nothing new"

run_worker(Runtime(Settings(), Database(sys.argv[1])), [Job("supplier", 30, poll)])
"""


async def test_a_worker_logs_to_stdout_and_on_sigterm_releases_its_lease(any_db):
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER, any_db.url], stdout=subprocess.PIPE, text=True
    )
    try:
        lines = []
        while not any("supplier: ok nothing new" in line for line in lines):
            line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), timeout=30)
            assert line, f"the worker exited early: {lines}"
            lines.append(line)
        assert any("started: supplier every 30 s" in line for line in lines)
        assert state(any_db, "supplier").leader is not None
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(proc.wait, 30) == 0
        assert state(any_db, "supplier").leader is None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
