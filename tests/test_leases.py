"""Poll leadership: only one process polls a connector; a dead leader's lease passes on."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import select

from posync_tui import leases
from posync_tui.models import ChangeLogEntry, ConnectorState


def _expire(db, name):
    """Move the lease's expiry into the past, as if its holder had stopped renewing."""
    with db.session() as s:
        row = s.get(ConnectorState, name)
        s.execute(
            update(ConnectorState)
            .where(ConnectorState.name == name)
            .values(lease_expires_at=row.lease_expires_at - timedelta(hours=1))
        )


def test_of_two_contenders_one_wins_and_the_other_learns_who_leads(any_db):
    first = leases.acquire(any_db, "supplier", "console-a", ttl=60)
    second = leases.acquire(any_db, "supplier", "worker-b", ttl=60)
    assert first.held and first.leader == "console-a"
    assert not second.held and second.leader == "console-a"
    assert second.expires_at == first.expires_at


def test_many_contenders_at_once_make_exactly_one_leader(any_db):
    holders = [f"worker-{i}" for i in range(6)]
    results: dict[str, leases.Lease] = {}
    start = threading.Barrier(len(holders))

    def contend(holder):
        start.wait()
        results[holder] = leases.acquire(any_db, "supplier", holder, ttl=60)

    threads = [threading.Thread(target=contend, args=(h,)) for h in holders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [h for h, lease in results.items() if lease.held]
    assert len(winners) == 1
    assert {lease.leader for lease in results.values()} == set(winners)


def test_the_leader_renews_its_own_lease(any_db):
    first = leases.acquire(any_db, "supplier", "console-a", ttl=60)
    again = leases.acquire(any_db, "supplier", "console-a", ttl=120)
    assert again.held and again.expires_at > first.expires_at


def test_an_expired_lease_is_handed_over(any_db):
    leases.acquire(any_db, "supplier", "worker-a", ttl=60)
    _expire(any_db, "supplier")
    taken = leases.acquire(any_db, "supplier", "worker-b", ttl=60)
    assert taken.held and taken.leader == "worker-b"
    assert not leases.acquire(any_db, "supplier", "worker-a", ttl=60).held


def test_a_released_lease_is_free_at_once_and_only_its_holder_can_release_it(any_db):
    leases.acquire(any_db, "supplier", "worker-a", ttl=60)
    assert not leases.release(any_db, "supplier", "worker-b")
    assert leases.release(any_db, "supplier", "worker-a")
    assert leases.current(any_db, "supplier", "worker-b").leader is None
    assert leases.acquire(any_db, "supplier", "worker-b", ttl=60).held


def test_each_connector_has_its_own_lease(any_db):
    assert leases.acquire(any_db, "supplier", "worker-a", ttl=60).held
    assert leases.acquire(any_db, "quickbooks", "worker-b", ttl=60).held


def test_a_new_leader_is_a_connector_change_for_every_console(any_db):
    leases.acquire(any_db, "supplier", "worker-a", ttl=60)
    leases.acquire(any_db, "supplier", "worker-a", ttl=60)  # a renewal is not news
    leases.acquire(any_db, "supplier", "worker-b", ttl=60)  # held by a: no change either
    with any_db.reader() as s:
        kinds = [e.kind for e in s.exec(select(ChangeLogEntry))]
    assert kinds == ["connector"]


def test_lease_length_is_one_interval_plus_a_margin():
    assert 30 < leases.lease_ttl(30) <= 45
    assert 0.5 < leases.lease_ttl(0.5) <= 1.0
    assert leases.lease_ttl(3600) == 3630
