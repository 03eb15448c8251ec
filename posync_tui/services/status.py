"""Connector health and the counts waiting for an operator: what the shell shows everywhere.

Every registered partner has a health row in ``connector_state``. The scheduler records its
jobs' runs there; a partner without jobs (the cloud catalog, called from inside the supplier
poll) has its calls recorded there by ``RecordedCalls``, the same way.
"""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from connectors.base import ConnectorError
from posync_tui.db import Database
from posync_tui.models import ConnectorState, SyncNotification
from posync_tui.partners import Queue, registered
from posync_tui.runtime import Runtime
from posync_tui.timefmt import local_time


def connector_health(rt: Runtime) -> list[dict]:
    """One row per enabled partner, in the registry's order."""
    with rt.db.reader() as s:
        states = {st.name: st for st in s.exec(select(ConnectorState)).all()}
    rows = []
    for partner in registered():
        if not partner.enabled(rt):
            continue
        st = states.get(partner.name) or ConnectorState(name=partner.name)
        if not partner.configured(rt):
            state = "not configured"
        elif st.consecutive_failures:
            state = "failing"
        elif st.last_success_at is None:
            state = "not run yet"
        else:
            state = "ok"
        rows.append(
            dict(
                name=partner.name,
                short=partner.short,
                state=state,
                last_success=local_time(st.last_success_at),
                next_run=local_time(st.next_run_at),
                failures=st.consecutive_failures,
                last_error=st.last_error,
                leader=st.leader,
                scheduled=bool(partner.jobs),
                config_line=partner.config_line(),
            )
        )
    return rows


@dataclass(frozen=True)
class ShellCounts:
    """The title bar's counts: unreviewed syncing notifications, each partner's queue."""

    unreviewed: int = 0
    queues: dict[str, Queue] = field(default_factory=dict)  # by the partner's short name


def shell_counts(rt: Runtime) -> ShellCounts:
    with rt.db.reader() as s:
        unreviewed = s.exec(
            select(func.count())
            .select_from(SyncNotification)
            .where(~col(SyncNotification.reviewed))
        ).one()
    queues = {p.short: p.queue(rt) for p in registered() if p.queue is not None and p.enabled(rt)}
    return ShellCounts(unreviewed, queues)


# --- the health of a partner without jobs ---------------------------------------------------


class RecordedCalls:
    """A partner's client, whose calls' outcome is recorded in ``connector_state`` when the
    session (``async with``) ends: failing if one failed, else a success."""

    def __init__(self, client: Any, db: Database, name: str):
        self._client, self._db, self._name = client, db, name
        self._calls = 0
        self._error: str | None = None
        self._started = datetime.now(UTC)

    async def __aenter__(self) -> RecordedCalls:
        await self._client.__aenter__()
        self._started = datetime.now(UTC)
        return self

    async def __aexit__(self, *exc) -> None:
        try:
            await self._client.__aexit__(*exc)
        finally:
            if self._calls:
                summary = f"{self._calls} call{'s' if self._calls != 1 else ''}"
                await asyncio.to_thread(
                    record_calls, self._db, self._name, self._started, summary, self._error
                )

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        if not inspect.iscoroutinefunction(method):
            return method

        async def call(*args, **kwargs):
            self._calls += 1
            try:
                return await method(*args, **kwargs)
            except ConnectorError as exc:
                self._error = exc.message
                raise

        return call


def record_calls(
    db: Database, name: str, started: datetime, summary: str, error: str | None
) -> None:
    """Record calls made outside the scheduler as the scheduler records a run's health."""
    from posync_tui.scheduler import record_health

    with db.session() as session:
        record_health(session, name, started, None, summary, error)
