"""Failures the operator can fix (configuration, database, disk), each told in one line.

`posync`, its commands and the console's "cannot start" report them the same way: the line,
a non-zero exit, no traceback. Anything else is a defect and keeps its traceback.
"""

from __future__ import annotations

import sys


def expected_failure(exc: BaseException) -> str | None:
    """What went wrong, in one line (a config error: one per problem), or None for a defect."""
    # Imported here: these modules cost start-up time, and a failure is the rare path.
    from sqlalchemy.exc import OperationalError

    from posync_tui.config import ConfigError
    from posync_tui.db import DatabaseError

    if isinstance(exc, ConfigError):
        return "\n".join(f"config error: {problem}" for problem in exc.problems)
    if isinstance(exc, DatabaseError):
        return _one_line(str(exc))
    if isinstance(exc, OperationalError):
        return database_fault(exc)
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        return _one_line(f"cannot use {exc.filename}: {reason}" if exc.filename else reason)
    return None


# The driver's words for the faults an operator meets, said plainly.
_FAULTS = {
    "database is locked": "the database is busy: another program holds its write lock",
    "database or disk is full": "the database's disk is full",
}


def database_fault(exc: BaseException) -> str | None:
    """A fault of the database itself (locked, disk full, server gone) in one plain line, or
    None for any other failure. Raised through SQLAlchemy, or by a driver's own connection
    (the change watcher's)."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    lost: bool | None
    if isinstance(exc, (OperationalError, InterfaceError)):
        # SQLAlchemy's own text adds the statement, its parameters and a help link: not for
        # operators. The driver's words say what happened.
        words = _one_line(str(exc.orig)) if isinstance(exc, DBAPIError) else _one_line(str(exc))
        lost = exc.connection_invalidated
    elif (lost := _driver_fault(exc)) is not None:
        words = _one_line(str(exc))
    else:
        return None
    for said, plain in _FAULTS.items():
        if said in words:
            return plain
    if lost:
        return f"the connection to the database server was lost: {words}"
    return f"database error: {words}"


def database_faults() -> tuple[type[Exception], ...]:
    """The errors ``database_fault`` tells plainly, to catch beside a service's own ones where
    the operator is told: ``except (LookupError, *database_faults()) as exc: say(plain(exc))``.
    A defect (any other error) is not among them: it keeps its traceback."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    drivers = [sys.modules.get(name) for name in _DRIVERS]
    own = [(d.OperationalError, d.InterfaceError) for d in drivers if d is not None]
    return (OperationalError, InterfaceError, *(cls for pair in own for cls in pair))


# Drivers whose own errors (raised outside SQLAlchemy, on the change watcher's connection) are
# database faults: whether one means the connection to a server was lost.
_DRIVERS = {"psycopg": True, "sqlite3": False}


def _driver_fault(exc: BaseException) -> bool | None:
    """For a driver's own connection fault, whether it lost a server; None for anything else."""
    for name, server in _DRIVERS.items():
        driver = sys.modules.get(name)  # a driver not imported raised nothing
        if driver is not None and isinstance(exc, (driver.OperationalError, driver.InterfaceError)):
            return server
    return None


def plain(exc: BaseException) -> str:
    """What went wrong in one line for the operator: a database fault as ``database_fault``
    says it, another failure by its own message."""
    return (
        database_fault(exc)
        or getattr(exc, "message", None)
        or _one_line(str(exc))
        or type(exc).__name__
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())
