"""A partner down for an hour: posync backs off, shows why, and recovers by itself (#20).

The scheduler's clock is the test's: an hour passes in a second, each tick a real poll of the
simulated supplier over HTTP, failing while the supplier is down.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from posync_tui.models import ConnectorState
from posync_tui.scheduler import MAX_BACKOFF, Job, PollScheduler
from posync_tui.services.supplier_sync import poll
from tests.supplier_world import make_world

INTERVAL = 5.0  # the supplier's poll interval, in seconds
HOUR = timedelta(hours=1)


@pytest.fixture
def world(db):
    yield from make_world(db)


def state(db) -> ConnectorState:
    with db.reader() as s:
        found = s.get(ConnectorState, "supplier")
        assert found is not None
        return found


async def test_a_partner_down_for_an_hour_is_backed_off_and_used_again_when_back(world):
    po_id, order_no = world.make_po()
    now = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    job = Job("supplier", INTERVAL, lambda fence: poll(world.rt, fence=fence, attempts=1))
    scheduler = PollScheduler(world.db, [job], clock=lambda: now)
    world.supplier.faults.random_faults(1.0, seed=20, kinds=("500", "reset"))  # down
    back_at, tries, waits = now + HOUR, [], []
    while now < back_at:
        outcome = await scheduler.tick("supplier")
        assert outcome.status == "failed", outcome
        tries.append(now)
        waits.append((scheduler.retry_at["supplier"] - now).total_seconds())
        shown = state(world.db)
        assert shown.next_run_at is not None
        assert shown.next_run_at.replace(tzinfo=UTC) == scheduler.retry_at["supplier"]
        assert shown.consecutive_failures == len(tries)
        assert "supplier" in (shown.last_error or "") and "Traceback" not in shown.last_error
        now = scheduler.retry_at["supplier"]
    # Twice as long after each failure, from the interval up to the ceiling: 17 tries in the
    # hour where a fixed interval would have made 720.
    assert waits[:7] == [5, 10, 20, 40, 80, 160, MAX_BACKOFF]
    assert set(waits[7:]) == {MAX_BACKOFF}
    assert len(tries) == 17

    world.supplier.faults.clear()  # the supplier is back, and has changed the order meanwhile
    world.supplier.change_line(order_no, 1, quantity_confirmed=10)
    assert now - back_at <= timedelta(seconds=MAX_BACKOFF)  # the next try comes soon enough
    outcome = await scheduler.tick("supplier")
    assert outcome.ok, outcome
    assert world.lines(po_id)[1].quantity_confirmed == 10
    shown = state(world.db)
    assert shown.consecutive_failures == 0 and shown.last_error is None
    assert "supplier" not in scheduler.retry_at  # back to its interval
