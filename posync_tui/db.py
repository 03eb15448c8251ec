"""The database: engine, sessions, SQLite pragmas, schema version checks and upgrades."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import CursorResult, Engine, bindparam, create_engine, event, update

from posync_tui import events, paths

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Table
    from sqlalchemy.orm import Session as AnySession
    from sqlalchemy.sql.dml import UpdateBase
    from sqlmodel import Session

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration's revision. Kept here so the console can check the schema with one
# query instead of importing Alembic before its first frame; a test keeps it equal to Alembic's.
SCHEMA_HEAD = "0001"


class DatabaseError(Exception):
    """The database cannot be used as configured: the operator's to fix, told in one line."""


class SchemaOutOfDate(DatabaseError):
    def __init__(self, current: str | None, head: str):
        self.current, self.head = current, head
        super().__init__(
            f"The database schema is at {current or 'nothing (empty database)'}, "
            f"this posync needs {head}. Run: posync db upgrade"
        )


class Database:
    def __init__(self, url: str, *, echo: bool = False):
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.engine = _make_engine(url, echo)
        self.bus = events.EventBus()
        self._session_factory = None
        self._factory_lock = threading.Lock()
        self._installation_id: str | None = None

    @property
    def _sessions(self):
        # The ORM is set up on first use: a console's first frame needs only the engine.
        with self._factory_lock:
            if self._session_factory is None:
                from sqlalchemy.orm import sessionmaker
                from sqlmodel import Session

                factory = sessionmaker(self.engine, class_=Session, expire_on_commit=False)
                events.install(factory, self.bus, postgres=not self.is_sqlite)
                self._session_factory = factory
        return self._session_factory

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on an exception."""
        with self._sessions() as session, session.begin():
            yield session

    def reader(self) -> Session:
        """A session for reads only (the caller closes it)."""
        return self._sessions()

    def installation_id(self) -> str:
        """This database's random id, made the first time it is asked for (then kept).

        Part of every idempotency key sent to a partner: two posync databases on one partner
        account never take each other's answers.
        """
        if self._installation_id is None:
            import secrets

            from sqlalchemy.dialects import postgresql, sqlite
            from sqlmodel import select

            from posync_tui.models import Installation

            table = Installation.__table__
            insert = sqlite.insert if self.is_sqlite else postgresql.insert
            with self.session() as session:
                # Racing first opens both insert: the first wins, the other reads its id.
                session.execute(
                    insert(table)
                    .values(id=1, installation_id=secrets.token_hex(8))
                    .on_conflict_do_nothing(index_elements=["id"])
                )
                self._installation_id = session.exec(
                    select(Installation.installation_id).where(Installation.id == 1)
                ).one()
        return self._installation_id

    # --- schema -----------------------------------------------------------------------------

    # Alembic is imported only when the schema is checked or changed: it costs start-up time.

    def alembic_config(self) -> Config:
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        return cfg

    def schema_versions(self) -> tuple[str | None, str | None]:
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        head = ScriptDirectory.from_config(self.alembic_config()).get_current_head()
        with self.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        return current, head

    def check_schema(self) -> None:
        from sqlalchemy import inspect, text

        with self.engine.connect() as conn:
            current = None
            if inspect(conn).has_table("alembic_version"):
                current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        if current != SCHEMA_HEAD:
            raise SchemaOutOfDate(current, SCHEMA_HEAD)

    def open_schema(self) -> None:
        """Check the schema before first use. A database without a single table is a fresh
        install: it is created at the current schema here, so no one has to run `posync db
        upgrade` first. A database with tables is never changed here: an old one is refused
        with the command to run (an upgrade is the operator's decision)."""
        from sqlalchemy import inspect

        with self.engine.connect() as conn:
            empty = not inspect(conn).get_table_names()
        if empty:
            try:
                self.upgrade()
            except Exception:
                # Another process created it at the same moment: its schema is checked below.
                if not self._has_tables():
                    raise
        self.check_schema()

    def _has_tables(self) -> bool:
        from sqlalchemy import inspect

        with self.engine.connect() as conn:
            return bool(inspect(conn).get_table_names())

    def upgrade(self) -> None:
        from alembic import command

        cfg = self.alembic_config()
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def dispose(self) -> None:
        self.engine.dispose()


def changed_rows(session: AnySession, statement: UpdateBase) -> int:
    """Run an INSERT, UPDATE or DELETE and count the rows it matched."""
    result = session.execute(statement)
    # A Core DML statement always answers with a cursor result; the session types it as any.
    assert isinstance(result, CursorResult)
    return result.rowcount


def update_each(
    session: AnySession, table: Table, changes: Iterable[tuple[int, dict[str, Any]]]
) -> None:
    """Write each row's changes (its id, column → value) with Core statements: one
    executemany per set of columns changed, instead of an ORM object per row (~1 ms each)."""
    alike: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row_id, values in changes:
        params = {f"b_{key}": value for key, value in values.items()}
        alike.setdefault(tuple(values), []).append({"b_id": row_id} | params)
    for keys, rows in alike.items():
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({key: bindparam(f"b_{key}") for key in keys})
        )
        session.execute(statement, rows)


# What posync runs on: SQLite (the standard library's driver) and PostgreSQL (psycopg 3).
_SUPPORTED = {"sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg"}


def _check_url(url: str) -> None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        supported = make_url(url).drivername in _SUPPORTED
    except (ArgumentError, ValueError):  # not a URL at all, or a port that is no number
        supported = False
    if not supported:
        raise DatabaseError(
            f"unsupported database URL {paths.masked_url(url)}: posync uses "
            "sqlite:///<file> or postgresql://<user>:<password>@<host>/<database>"
        )


def _make_engine(url: str, echo: bool) -> Engine:
    _check_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, echo=echo, pool_pre_ping=True)
