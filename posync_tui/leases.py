"""Poll leadership: which process polls a connector, decided by a lease in the database.

Every SSH login is its own process, so APScheduler's job stores cannot say who polls. The
``connector_state`` row of each connector carries a lease instead: ``leader`` (an events.ORIGIN)
and ``lease_expires_at``. A process takes the lease with one conditional UPDATE — it succeeds only
if the lease is free, expired, or already its own — so two contenders can never both win, on
SQLite (writes are serialised) or PostgreSQL (the UPDATE re-checks its WHERE after a concurrent
update). The leader renews at every tick; a leader that dies simply stops renewing, and the lease
passes to another process once it expires, a little after the poll the dead one missed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from posync_tui.db import Database, changed_rows
from posync_tui.events import note_change
from posync_tui.models import ConnectorState
from posync_tui.sqltypes import utcnow

STATE = ConnectorState.__table__


@dataclass(frozen=True)
class Lease:
    """The answer to "may I poll?": who leads the connector and until when."""

    name: str
    leader: str | None
    expires_at: datetime | None
    held: bool  # True when the asking process holds the lease
    generation: int = 0

    def fence(self) -> Fence:
        if not self.held or self.leader is None:
            raise LeaseLost(self.name, f"{self.leader or 'nobody'} holds the {self.name} lease")
        return Fence(self.name, self.leader, self.generation)


class LeaseLost(Exception):
    """This process no longer holds the lease it worked under: it must write nothing."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name
        self.message = message


@dataclass(frozen=True)
class Fence:
    """The token of one term of leadership: writes under the lease check it in their transaction."""

    name: str
    holder: str
    generation: int

    def check(self, session: Session) -> None:
        """Raise LeaseLost unless this term still holds the lease; call first in a transaction.

        Holds the lease row (the database's write lock on SQLite) until the transaction ends.
        """
        now = db_now(session)
        held = changed_rows(
            session,
            update(STATE)
            .where(
                STATE.c.name == self.name,
                STATE.c.leader == self.holder,
                STATE.c.generation == self.generation,
                STATE.c.lease_expires_at > now,
            )
            .values(leader=STATE.c.leader),
        )
        if held != 1:
            raise LeaseLost(self.name, f"{self.holder} lost the {self.name} lease: nothing written")


def lease_ttl(interval: float) -> float:
    """How long a lease lasts: one poll interval plus a margin for a slow tick.

    A leader renews at every tick, so the lease never lapses while it lives; when it dies,
    another process takes over at most this long after the dead one's last tick.
    """
    return interval + min(max(0.5, interval * 0.25), 30.0)


def db_now(session: Session) -> datetime:
    """The database's clock on PostgreSQL (hosts may disagree), this host's on SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        return session.execute(text("SELECT clock_timestamp()")).scalar_one().astimezone(UTC)
    return utcnow()


def ensure_row(session: Session, name: str) -> None:
    """Create the connector's state row if no process has yet (racing inserts are fine)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(STATE).values(name=name, consecutive_failures=0, generation=0)
    session.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))


def acquire(db: Database, name: str, holder: str, ttl: float) -> Lease:
    """Take or renew the lease on ``name`` for ``ttl`` seconds, unless another process holds it."""
    with db.session() as session:
        now = db_now(session)
        row = session.execute(
            select(STATE.c.leader, STATE.c.lease_expires_at, STATE.c.generation).where(
                STATE.c.name == name
            )
        ).first()
        if row is None:
            ensure_row(session, name)
            leader, expires, generation = None, None, 0
        else:
            leader, expires, generation = row
        if _held_by_other(leader, expires, holder, now):
            # A plain read first: followers check every interval, and on SQLite a write
            # (even one that changes nothing) would take the database's single write lock.
            return Lease(name, leader, expires, held=False, generation=generation)
        new_expiry = now + timedelta(seconds=ttl)
        # A renewal keeps the term only while it is unbroken; a lease taken anew (from nobody,
        # another process, or this one after it expired) starts a new term.
        renewal = leader == holder and expires is not None and expires > now
        new_generation = generation if renewal else generation + 1
        taken = changed_rows(
            session,
            update(STATE)
            .where(
                STATE.c.name == name,
                or_(
                    STATE.c.leader.is_(None),
                    STATE.c.leader == holder,
                    STATE.c.lease_expires_at.is_(None),
                    STATE.c.lease_expires_at <= now,
                ),
            )
            .values(leader=holder, lease_expires_at=new_expiry, generation=new_generation),
        )
        if taken == 1:
            if leader != holder:
                # A new leader: every console's status line shows which process polls.
                note_change(session, "connector")
            return Lease(name, holder, new_expiry, held=True, generation=new_generation)
    # Another process took it between our read and our update: say who.
    return current(db, name, holder)


def current(db: Database, name: str, holder: str) -> Lease:
    with db.reader() as session:
        now = db_now(session)
        row = session.execute(
            select(STATE.c.leader, STATE.c.lease_expires_at, STATE.c.generation).where(
                STATE.c.name == name
            )
        ).first()
    leader, expires, generation = row if row is not None else (None, None, 0)
    live = leader is not None and expires is not None and expires > now
    return Lease(
        name,
        leader if live else None,
        expires,
        held=live and leader == holder,
        generation=generation,
    )


def release(db: Database, name: str, holder: str) -> bool:
    """Give up the lease (on a clean stop) so another process need not wait for it to expire."""
    with db.session() as session:
        released = changed_rows(
            session,
            update(STATE)
            .where(STATE.c.name == name, STATE.c.leader == holder)
            .values(leader=None, lease_expires_at=None),
        )
        if released:
            note_change(session, "connector")
    return bool(released)


def _held_by_other(
    leader: str | None, expires: datetime | None, holder: str, now: datetime
) -> bool:
    return leader is not None and leader != holder and expires is not None and expires > now
