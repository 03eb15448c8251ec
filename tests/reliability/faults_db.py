"""Database faults made for real, for the reliability proof (issue 20): another connection
holding SQLite's write lock, a disk that fills up, a PostgreSQL server dropping its connections
(``tests/pg.py`` stops and starts a server of its own for a real restart).
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import threading
from pathlib import Path

from sqlalchemy import event

from posync_tui.db import Database

# The console's busy timeout is 10 s; these tests wait 50 ms before SQLite says "locked", so
# that a lock held "longer than the busy timeout" is a short one.
BUSY_TIMEOUT_MS = 50


def sqlite_copy(template: Path, path: Path) -> Database:
    """A migrated SQLite database (a copy of ``template``) with a short busy timeout."""
    shutil.copy(template, path)
    return short_busy_timeout(Database(f"sqlite:///{path}"))


def short_busy_timeout(db: Database) -> Database:
    """``db``, its connections from now on waiting ``BUSY_TIMEOUT_MS`` for a lock."""

    @event.listens_for(db.engine, "connect")
    def _short(dbapi_conn, _record):  # after db's own pragmas: it overrides their timeout
        dbapi_conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    db.engine.dispose()  # connections already open keep the console's timeout
    return db


class WriteLock:
    """SQLite's write lock, held by a connection of its own (as another program would hold it)."""

    def __init__(self, db: Database):
        path = db.engine.url.database
        assert path
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.held = False

    def take(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")
        self.held = True

    def release(self) -> None:
        if self.held:
            self._conn.execute("ROLLBACK")
            self.held = False

    def close(self) -> None:
        self.release()
        self._conn.close()


class AfterCommits:
    """Calls ``then()`` right after the n-th transaction committed on ``db`` from now on; counts
    them all (``n=0``: never calls, only counts)."""

    EVENT = "after_commit"

    def __init__(self, db: Database, n: int, then):
        self.count, self._n, self._then = 0, n, then
        self._sessions = db._sessions
        event.listen(self._sessions, self.EVENT, self._happened)

    def _happened(self, *_args) -> None:
        self.count += 1
        if self.count == self._n:
            self._then()

    def remove(self) -> None:
        event.remove(self._sessions, self.EVENT, self._happened)


class AtBegins(AfterCommits):
    """Calls ``then()`` as the n-th transaction (a read or a write) begins on ``db``: its
    connection taken, nothing sent on it yet. A fault struck there meets the transaction."""

    EVENT = "after_begin"


class Said(logging.Handler):
    """Sets ``heard`` when ``logger`` logs a record containing ``words``."""

    def __init__(self, logger: str, words: str):
        super().__init__()
        self.words, self.heard = words, threading.Event()
        self._logger = logging.getLogger(logger)
        self._logger.addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        if self.words in record.getMessage():
            self.heard.set()

    def remove(self) -> None:
        self._logger.removeHandler(self)


def limit_pages(db: Database, extra_pages: int) -> None:
    """A full disk: SQLite may grow the file by ``extra_pages`` more pages, then answers
    SQLITE_FULL ("database or disk is full"). Set on every connection the engine opens."""
    with db.engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
    db.engine.dispose()

    @event.listens_for(db.engine, "connect")
    def _limit(dbapi_conn, _record):
        dbapi_conn.execute(f"PRAGMA max_page_count={pages + extra_pages}")

    db._disk_limit = _limit  # type: ignore[attr-defined]


def free_disk(db: Database) -> None:
    """Space comes back: connections opened from now on may grow the file again."""
    event.remove(db.engine, "connect", db._disk_limit)  # type: ignore[attr-defined]
    db.engine.dispose()


def terminate_backends(db: Database) -> int:
    """What a PostgreSQL restart does to its clients: every other connection to ``db``'s
    database is ended (waited for, up to 5 s each). How many there were."""
    import psycopg

    from posync_tui.watch import libpq_url

    with psycopg.connect(libpq_url(db.url), autocommit=True) as conn:
        ended = conn.execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return len(ended)
