"""The audit log: what field a partner or an operator changed, from what, to what, when, by whom.

Every writer of audit entries goes through ``record``: a partner's adapter or an operator's edit
in its own transaction, one change or thousands (on an ORM session with the rest of its unit of
work, or in one ``INSERT`` on the Core connection of a bulk path). ``edit`` sets an operator's
changes on a record and records those that change something. Values are kept as text the way
``shown`` writes them, so that the PO's History reads alike whoever made the change.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from posync_tui.models import AuditEntry, utcnow

OPERATOR = "operator"  # the source of a change typed in the console

_TABLE = AuditEntry.__table__


class Change(NamedTuple):
    """One field of one record changed (a tuple: a bulk path makes thousands)."""

    record_kind: str  # the table, e.g. "purchase_order", "purchase_order_line", "vendor"
    record_id: int
    field: str  # the column, or an event such as "created" or "line"
    old: Any = None
    new: Any = None
    po_id: int | None = None  # the PO whose History shows it, if any


def record(
    session: Session | Connection,
    changes: Iterable[Change],
    *,
    source: str,
    at: datetime | None = None,
) -> int:
    """Write an audit entry for each change in the caller's transaction; how many it wrote.

    ``source`` names who changed it (``OPERATOR``, a connector's name); ``at`` defaults to now.
    On an ORM session the entries join its unit of work (a delivery settling a batch writes
    them in one statement with the rest at its commit); on a Core connection (a bulk path) they
    are inserted now, in one statement.
    """
    at = at or utcnow()
    if isinstance(session, Session):
        entries = [
            AuditEntry(
                at=at,
                record_kind=c.record_kind,
                record_id=c.record_id,
                po_id=c.po_id,
                field=c.field,
                old_value=shown(c.old),
                new_value=shown(c.new),
                source=source,
            )
            for c in changes
        ]
        session.add_all(entries)
        return len(entries)
    rows = [
        {
            "record_kind": c.record_kind,
            "record_id": c.record_id,
            "po_id": c.po_id,
            "field": c.field,
            "old_value": shown(c.old),
            "new_value": shown(c.new),
        }
        for c in changes
    ]
    if rows:
        # One time and source for all: bound once, not converted per row.
        stmt = insert(_TABLE).values(at=at, source=source)
        session.execute(stmt, rows)
    return len(rows)


def edit(
    session: Session,
    target: Any,
    changes: dict[str, Any],
    *,
    record_kind: str,
    po_id: int | None,
    source: str = OPERATOR,
) -> list[Change]:
    """Set ``changes`` on ``target`` (an ORM record) and record those that change its value."""
    made = changed(target, changes, record_kind=record_kind, po_id=po_id)
    record(session, made, source=source)
    return made


def changed(
    target: Any, changes: dict[str, Any], *, record_kind: str, po_id: int | None
) -> list[Change]:
    """Set ``changes`` on ``target``; those that change its value (for the caller to record,
    e.g. with the rest of a page's)."""
    made = []
    for name, new in changes.items():
        old = getattr(target, name)
        if old != new:
            made.append(Change(record_kind, target.id, name, old, new, po_id))
            setattr(target, name, new)
    return made


def shown(value: Any) -> str | None:
    """A value as an audit entry keeps it: decimals without trailing zeros, dates ISO."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)
