"""Changes committed by other processes, delivered to this one.

Every service writes a ``change_log`` row with each committed change (events.note_change).
A ``ChangeWatcher`` runs a daemon thread with its own database connection and notices new rows:

- SQLite: ``PRAGMA data_version`` changes whenever another connection commits. Asking for it
  costs a few microseconds and touches no table, so the thread asks every ~30 ms and reads
  ``change_log`` only when it moved.
- PostgreSQL: ``LISTEN posync_changes``; services ``pg_notify`` it at commit.

Rows written by this process (origin == events.ORIGIN) were already published on its own bus
and are not delivered twice. The watcher starts at the newest row: history is not replayed.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import delete, func, select

from posync_tui import events, failures
from posync_tui.db import Database, DatabaseError, changed_rows
from posync_tui.models import ChangeLogEntry
from posync_tui.sqltypes import utcnow

log = logging.getLogger(__name__)

SQLITE_CHECK_EVERY = 0.03  # seconds between two data_version checks
PG_WAIT = 0.25  # longest wait for a notification before checking whether to stop
RESCAN_EVERY = 2.0  # re-read anyway now and then, in case a notification was missed
GAP_PATIENCE = 10.0  # how long an id skipped over may still turn up (a slow commit)
PRUNE_EVERY = 600.0  # seconds between two prunings of the change log
KEEP_CHANGES = timedelta(hours=1)

_NEWEST = "SELECT coalesce(max(id), 0) FROM change_log"
_SELECT = "SELECT id, origin, kind, ids FROM change_log WHERE id >= {p} ORDER BY id"


class ChangeWatcher:
    def __init__(self, db: Database, on_change: Callable[[events.Change], None]):
        self.db = db
        self.on_change = on_change
        self._stop = threading.Event()
        # Set once the starting point is fixed: changes committed after it are delivered.
        self.ready = threading.Event()
        self._started = False
        self._thread: threading.Thread | None = None
        self._last = 0
        # Ids below _last not yet seen: on PostgreSQL ids are taken at insert, so a slow
        # transaction can commit a smaller id after a larger one was read.
        self._gaps: dict[int, float] = {}
        self._last_prune = time.monotonic()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="posync-watch", daemon=True)
        self._thread.start()

    def wait_ready(self, timeout: float = 10.0) -> bool:
        """For tests and benchmarks (start() itself never waits: the UI thread calls it)."""
        return self.ready.wait(timeout)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # --- the thread -------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.db.is_sqlite:
                    self._watch_sqlite()
                else:
                    self._watch_postgres()
            except Exception as exc:
                # A server restart, a locked file: keep the place and connect again.
                if (fault := failures.database_fault(exc)) is None:
                    log.exception("the change watcher failed; starting again in 1 s")
                else:
                    log.warning("the change watcher connects again in 1 s: %s", fault)
                self._stop.wait(1.0)

    def _start_at(self, newest: int) -> None:
        if not self._started:  # a reconnection keeps its place
            self._last, self._started = newest, True
        self.ready.set()

    def _watch_sqlite(self) -> None:
        path = self.db.engine.url.database
        if not path:  # another process could not see an in-memory database anyway
            raise DatabaseError("the change watcher needs an SQLite database file")
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout=5000")
            version = conn.execute("PRAGMA data_version").fetchone()[0]
            self._start_at(conn.execute(_NEWEST).fetchone()[0])
            read_at = time.monotonic()
            while not self._stop.wait(SQLITE_CHECK_EVERY):
                now_version = conn.execute("PRAGMA data_version").fetchone()[0]
                if now_version != version or time.monotonic() - read_at > RESCAN_EVERY:
                    version = now_version
                    read_at = time.monotonic()
                    self._read(conn.execute(_SELECT.format(p="?"), (self._floor(),)).fetchall())
                    self._maybe_prune()
        finally:
            conn.close()

    def _watch_postgres(self) -> None:
        import psycopg

        conn = psycopg.connect(libpq_url(self.db.url), autocommit=True)
        try:
            conn.execute(f"LISTEN {events.PG_CHANNEL}")
            newest = conn.execute(_NEWEST).fetchone()
            assert newest is not None  # an aggregate answers one row
            self._start_at(newest[0])
            read_at = time.monotonic()
            while not self._stop.is_set():
                # Run the generator to its end: it holds the connection's lock while open.
                # Notifications that arrive during the SELECT below are kept for the next call.
                notified = list(conn.notifies(timeout=PG_WAIT, stop_after=1))
                if notified or time.monotonic() - read_at > RESCAN_EVERY:
                    read_at = time.monotonic()
                    self._read(conn.execute(_SELECT.format(p="%s"), (self._floor(),)).fetchall())
                    self._maybe_prune()
        finally:
            conn.close()

    # --- reading ----------------------------------------------------------------------------

    def _floor(self) -> int:
        return min(self._gaps, default=self._last + 1)

    def _read(self, rows) -> None:
        now = time.monotonic()
        for row_id, origin, kind, ids in rows:
            if row_id > self._last:
                for missing in range(self._last + 1, row_id):
                    self._gaps[missing] = now
                self._last = row_id
            elif self._gaps.pop(row_id, None) is None:
                continue  # already delivered
            if origin != events.ORIGIN:
                self._deliver(events.Change(kind, events.parse_ids(ids), origin))
        # An id that has not turned up by now belongs to a transaction that rolled back.
        for gap, since in list(self._gaps.items()):
            if now - since > GAP_PATIENCE:
                del self._gaps[gap]

    def _deliver(self, change: events.Change) -> None:
        try:
            self.on_change(change)
        except Exception:
            log.exception("a change listener failed on %s", change)

    def _maybe_prune(self) -> None:
        if time.monotonic() - self._last_prune < PRUNE_EVERY:
            return
        self._last_prune = time.monotonic()
        try:
            pruned = prune_change_log(self.db)
            log.debug("pruned %d change log rows", pruned)
        except Exception:
            log.exception("could not prune the change log")


def prune_change_log(db: Database, keep: timedelta = KEEP_CHANGES) -> int:
    """Delete change log rows older than ``keep``; the newest row always stays.

    Keeping the newest row matters on SQLite: an emptied table would hand out id 1 again, and
    watchers that remember a higher id would miss the new changes.
    """
    log_table = ChangeLogEntry.__table__
    with db.session() as session:
        newest = session.execute(select(func.max(log_table.c.id))).scalar()
        if newest is None:
            return 0
        return changed_rows(
            session,
            delete(log_table).where(log_table.c.at < utcnow() - keep, log_table.c.id < newest),
        )


def libpq_url(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as libpq understands it (no ``+driver``)."""
    return re.sub(r"^postgresql\+\w+://", "postgresql://", url)
