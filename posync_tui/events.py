"""Events: small notes of committed changes, published in-process and written to a change log.

A service calls ``note_change(session, kind, ids)`` inside its transaction. The note becomes a
``change_log`` row in that same transaction (so other processes can read it) and, once the
transaction commits, a ``Change`` on the database's ``EventBus`` (so this process's screens
refresh). Nothing is published for a transaction that rolls back.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# Who made a change: host, pid and a random part, so a restarted pid is not mistaken.
ORIGIN = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
PG_CHANNEL = "posync_changes"

_PENDING = "posync_pending_changes"


@dataclass(frozen=True)
class Change:
    """A committed change: what kind of record, which ids (empty: many or unknown)."""

    kind: str
    ids: tuple[int, ...] = ()
    origin: str = ORIGIN

    @property
    def local(self) -> bool:
        return self.origin == ORIGIN


Listener = Callable[[Change], None]


class EventBus:
    """Thread-safe publish/subscribe. Listeners run on the publishing thread: keep them short."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def publish(self, change: Change) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(change)


def note_change(session: Session, kind: str, ids: Iterable[int] = ()) -> None:
    from posync_tui.models import ChangeLogEntry

    ids = tuple(ids)
    session.add(ChangeLogEntry(origin=ORIGIN, kind=kind, ids=",".join(map(str, ids))))
    session.info.setdefault(_PENDING, []).append(Change(kind, ids))


def parse_ids(ids: str) -> tuple[int, ...]:
    return tuple(int(i) for i in ids.split(",") if i)


def install(session_factory, bus: EventBus, postgres: bool) -> None:
    """Wire note_change into commits of sessions made by ``session_factory``."""
    from sqlalchemy import event, text

    @event.listens_for(session_factory, "before_commit")
    def _notify_other_processes(session: Session) -> None:
        if postgres and session.info.get(_PENDING):
            # NOTIFY is delivered by PostgreSQL at commit, never for a rollback.
            session.execute(text("SELECT pg_notify(:c, '')"), {"c": PG_CHANNEL})

    @event.listens_for(session_factory, "after_commit")
    def _publish(session: Session) -> None:
        for change in session.info.pop(_PENDING, []):
            bus.publish(change)

    @event.listens_for(session_factory, "after_rollback")
    def _forget(session: Session) -> None:
        session.info.pop(_PENDING, None)
