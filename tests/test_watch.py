"""A change committed by another process reaches this one (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
import queue
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from posync_tui import events
from posync_tui.events import note_change
from posync_tui.models import ChangeLogEntry
from posync_tui.sqltypes import utcnow
from posync_tui.watch import ChangeWatcher, prune_change_log

# Another posync process (a console, a worker): for each line "URL KIND ID..." read from
# stdin it commits one change of KIND with those ids on that database, then prints its origin.
OTHER_PROCESS = """
import sys
from posync_tui.db import Database
from posync_tui.events import ORIGIN, note_change
databases = {}
for line in sys.stdin:
    url, kind, *ids = line.split()
    db = databases.get(url) or databases.setdefault(url, Database(url))
    with db.session() as s:
        note_change(s, kind, [int(i) for i in ids])
    print(ORIGIN, flush=True)
"""


class OtherProcess:
    def __init__(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", OTHER_PROCESS],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def commit(self, db, kind: str, *ids: int) -> str:
        """Commit a change there; returns once it is committed, with that process's origin."""
        self.proc.stdin.write(" ".join([db.url, kind, *map(str, ids)]) + "\n")
        self.proc.stdin.flush()
        origin = self.proc.stdout.readline().strip()
        assert origin, "the other process died"
        return origin

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def other_process():
    # One for the whole module: starting Python with posync's imports takes a second or two.
    process = OtherProcess()
    yield process
    process.close()


@pytest.fixture
def watched(any_db, other_process):
    seen: queue.Queue[events.Change] = queue.Queue()
    watcher = ChangeWatcher(any_db, seen.put)
    watcher.start()
    assert watcher.wait_ready()
    yield any_db, seen, other_process
    watcher.stop()


def test_a_change_committed_by_another_process_reaches_the_watcher(watched):
    db, seen, other_process = watched
    origin = other_process.commit(db, "purchase_order", 7, 8)
    change = seen.get(timeout=10)
    assert change == events.Change("purchase_order", (7, 8), origin)
    assert not change.local


def test_changes_made_by_this_process_are_not_delivered_again(watched):
    db, seen, other_process = watched
    with db.session() as s:
        note_change(s, "vendor", [1])
    origin = other_process.commit(db, "vendor", 2)
    assert seen.get(timeout=10) == events.Change("vendor", (2,), origin)
    assert seen.empty()


def test_history_before_the_watcher_started_is_not_replayed(any_db, other_process):
    other_process.commit(any_db, "vendor", 1)
    seen: queue.Queue[events.Change] = queue.Queue()
    watcher = ChangeWatcher(any_db, seen.put)
    watcher.start()
    try:
        assert watcher.wait_ready()
        origin = other_process.commit(any_db, "vendor", 2)
        assert seen.get(timeout=10) == events.Change("vendor", (2,), origin)
        assert seen.empty()
    finally:
        watcher.stop()


def test_a_failing_listener_does_not_stop_the_watcher(any_db, other_process):
    seen: queue.Queue[events.Change] = queue.Queue()

    def listener(change):
        seen.put(change)
        if change.ids == (1,):
            raise RuntimeError("a screen went away")

    watcher = ChangeWatcher(any_db, listener)
    watcher.start()
    try:
        watcher.wait_ready()
        other_process.commit(any_db, "vendor", 1)
        assert seen.get(timeout=10).ids == (1,)
        other_process.commit(any_db, "vendor", 2)
        assert seen.get(timeout=10).ids == (2,)
    finally:
        watcher.stop()


def test_stop_joins_the_thread(any_db):
    watcher = ChangeWatcher(any_db, lambda change: None)
    watcher.start()
    watcher.wait_ready()
    watcher.stop()
    assert not any(t.name == "posync-watch" and t.is_alive() for t in threading.enumerate())


def _age_every_change(db):
    with db.session() as s:
        s.execute(update(ChangeLogEntry).values(at=utcnow() - timedelta(hours=2)))


def _logged_ids(db):
    with db.reader() as s:
        return [e.ids for e in s.exec(select(ChangeLogEntry).order_by(ChangeLogEntry.id))]


def test_pruning_drops_changes_older_than_an_hour_but_keeps_the_newest(any_db):
    for i in range(3):
        with any_db.session() as s:
            note_change(s, "vendor", [i])
    _age_every_change(any_db)
    # The newest stays even when old: an empty SQLite table would hand out id 1 again.
    assert prune_change_log(any_db) == 2
    assert _logged_ids(any_db) == ["2"]
    with any_db.session() as s:
        note_change(s, "vendor", [3])
    assert prune_change_log(any_db) == 1
    assert _logged_ids(any_db) == ["3"]


def test_a_server_restart_is_one_plain_warning_and_the_watcher_keeps_its_place(
    pg_db, other_process, caplog
):
    from tests.reliability.faults_db import terminate_backends

    seen: queue.Queue[events.Change] = queue.Queue()
    watcher = ChangeWatcher(pg_db, seen.put)
    caplog.set_level(logging.WARNING, logger="posync_tui.watch")
    watcher.start()
    try:
        assert watcher.wait_ready()
        other_process.commit(pg_db, "vendor", 1)
        assert seen.get(timeout=10).ids == (1,)
        assert terminate_backends(pg_db) >= 1  # the watcher's LISTEN connection among them
        # Committed while the watcher is cut off: found once it is back, from where it was.
        other_process.commit(pg_db, "vendor", 2)
        assert seen.get(timeout=10).ids == (2,)
        origin = other_process.commit(pg_db, "vendor", 3)  # after the reconnection
        assert seen.get(timeout=10) == events.Change("vendor", (3,), origin)
        assert seen.empty()
    finally:
        watcher.stop()
    (said,) = [r for r in caplog.records if r.name == "posync_tui.watch"]
    assert (said.levelno, said.exc_info) == (logging.WARNING, None)
    assert said.getMessage().startswith(
        "the change watcher connects again in 1 s: the connection to the database server was lost"
    )
    assert "\n" not in said.getMessage() and "SELECT" not in said.getMessage()
