"""Failures the operator can fix (configuration, database, disk), each told in one line.

`posync`, its commands and the console's "cannot start" report them the same way: the line,
a non-zero exit, no traceback. Anything else is a defect and keeps its traceback.
"""

from __future__ import annotations


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
        # The server refused or is gone, the disk is full, the file cannot be opened: the
        # driver's own words say which; SQLAlchemy's statement and help link would not.
        return f"database error: {_one_line(str(exc.orig))}"
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        return _one_line(f"cannot use {exc.filename}: {reason}" if exc.filename else reason)
    return None


def _one_line(text: str) -> str:
    return " ".join(text.split())
