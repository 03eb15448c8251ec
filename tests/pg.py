"""A real PostgreSQL server for the test session, and a fresh migrated database per test.

The server comes from the ``pgserver`` wheel (PostgreSQL 16 bundled, starts in under a second),
or, if that wheel cannot be imported, from Debian's packages (``initdb``/``pg_ctl``, installed by
``.ci/run``). One server serves the whole session; each test gets its own database, copied from
a migrated template (``CREATE DATABASE ... TEMPLATE`` is a file copy, much faster than migrating).

Fixtures: ``pg_url`` (the server's maintenance database), ``pg_db`` (a migrated ``Database``),
``any_db`` (the same test on SQLite and on PostgreSQL).
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from posync_tui.db import Database

TEMPLATE = "posync_template"
_numbers = itertools.count(1)


def url_for(server_url: str, database: str) -> str:
    """The server's URL with another database name (the socket directory stays in the query)."""
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def _admin(server_url: str):
    import psycopg

    return psycopg.connect(server_url, autocommit=True)


class PgServer:
    def __init__(self, root: Path):
        self.root = root
        self._pgserver = None
        self.url = self._start_pgserver() or self._start_debian()

    def _start_pgserver(self) -> str | None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR is not set
                import pgserver
        except ImportError:
            return None
        self._pgserver = pgserver.get_server(self.root / "data", cleanup_mode="stop")
        return self._pgserver.get_uri()

    def _start_debian(self) -> str:
        """PostgreSQL from Debian's packages; initdb refuses root, so run it as ``postgres``."""
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            pytest.fail(
                "No PostgreSQL for the tests: neither the pgserver wheel (uv sync) nor Debian's "
                "postgresql package (apt-get install postgresql; .ci/run does this) is installed."
            )
        bindir = Path(bins[-1]).parent
        data = self.root / "debian"
        data.mkdir()
        as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            shutil.chown(data, "postgres")
            as_user = ["runuser", "-u", "postgres", "--"]
        self._debian = (as_user, bindir, data)
        subprocess.run(
            [
                *as_user,
                bindir / "initdb",
                "-D",
                data,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "utf8",
            ],
            check=True,
            capture_output=True,
        )
        self._start_debian_server()
        return f"postgresql://postgres@/postgres?host={data}"

    def _start_debian_server(self) -> None:
        as_user, bindir, data = self._debian
        subprocess.run(
            [*as_user, bindir / "pg_ctl", "-D", data, "-w", "-l", data / "log",
             "-o", f"-h '' -k {data}", "start"],
            check=True,
            capture_output=True,
        )  # fmt: skip

    def _stop_debian_server(self, check: bool) -> None:
        as_user, bindir, data = self._debian
        subprocess.run(
            [*as_user, bindir / "pg_ctl", "-D", data, "-w", "-m", "fast", "stop"],
            check=check,
            capture_output=True,
        )

    def halt(self) -> None:
        """The first half of a restart: every client's connection ends, new ones are refused."""
        if self._pgserver is not None:
            import pgserver

            pgdata = self.root / "data"
            pgserver.pg_ctl(
                ["-w", "-m", "fast", "stop"], pgdata=pgdata, user=self._pgserver.system_user
            )
        else:
            self._stop_debian_server(check=True)

    def start_again(self) -> None:
        """The server back, at the same address, after ``halt()``."""
        if self._pgserver is not None:
            self._pgserver.ensure_postgres_running()  # remembers the new postmaster, to stop it
            assert self._pgserver.get_uri() == self.url
        else:
            self._start_debian_server()

    def stop(self) -> None:
        if self._pgserver is not None:
            self._pgserver.cleanup()
        else:
            self._stop_debian_server(check=False)


@contextmanager
def migrated_database(server_url: str) -> Iterator[Database]:
    """A migrated ``Database`` on a PostgreSQL database of its own, dropped afterwards."""
    name = f"posync_test_{os.getpid()}_{next(_numbers)}"
    with _admin(server_url) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    database = Database(url_for(server_url, name))
    try:
        yield database
    finally:
        database.dispose()
        with _admin(server_url) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def started_server() -> Iterator[PgServer]:
    """A PostgreSQL server with a migrated template database, stopped and removed afterwards."""
    # Not under pytest's tmp dir: that is private to root, and the server runs as another user.
    root = Path(tempfile.mkdtemp(prefix="posync-pg-"))
    root.chmod(0o755)
    try:
        server = PgServer(root)
        try:
            with _admin(server.url) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
                conn.execute(f"CREATE DATABASE {TEMPLATE}")
            template = Database(url_for(server.url, TEMPLATE))
            template.upgrade()
            template.dispose()
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL server started for this test session: the URL of its ``postgres`` database."""
    with started_server() as server:
        yield server.url


@pytest.fixture
def pg_db(pg_url) -> Iterator[Database]:
    """A migrated ``Database`` on a PostgreSQL database of its own."""
    with migrated_database(pg_url) as database:
        yield database


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request) -> Database:
    """The same test on both backends posync supports."""
    return request.getfixturevalue("db" if request.param == "sqlite" else "pg_db")
