"""What the shell shows everywhere: connector health and the counts waiting for an operator."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import col, select

from posync_tui.config import Settings
from posync_tui.db import Database
from posync_tui.models import ConnectorState, SyncNotification
from posync_tui.services.accounting import queue_counts
from posync_tui.timefmt import local_time

# Connectors that poll or deliver on a schedule; the catalog is only looked up on demand.
SCHEDULED = ("supplier", "quickbooks")


def connector_health(db: Database, settings: Settings) -> list[dict]:
    enabled = [n for n in SCHEDULED if settings.connectors()[n].enabled]
    with db.reader() as s:
        states = {st.name: st for st in s.exec(select(ConnectorState)).all()}
    rows = []
    for name in enabled:
        st = states.get(name) or ConnectorState(name=name)
        rows.append(
            dict(
                name=name,
                ok=st.consecutive_failures == 0,
                last_success=local_time(st.last_success_at),
                next_run=local_time(st.next_run_at),
                failures=st.consecutive_failures,
                last_error=st.last_error,
                leader=st.leader,
            )
        )
    return rows


def shell_counts(db: Database, settings: Settings) -> dict[str, int]:
    with db.reader() as s:
        unreviewed = s.exec(
            select(func.count())
            .select_from(SyncNotification)
            .where(~col(SyncNotification.reviewed))
        ).one()
    counts = {"unreviewed": unreviewed}
    counts.update(queue_counts(db, settings))
    return counts
