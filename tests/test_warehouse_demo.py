"""The demo's warehouse data: a customer order line for every staging rule, and a batch of the
eligible ones goes through the demo's simulated Ovotrack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlmodel import col, select

from connectors.sandbox.server import Sandbox
from connectors.sandbox.warehouse import WarehouseSandbox
from posync_tui.config import load_settings
from posync_tui.demo_data import seed_demo
from posync_tui.demo_warehouse import populate_ovotrack
from posync_tui.models import LineStage, SalesOrder
from posync_tui.runtime import Runtime
from posync_tui.services.warehouse_batches import import_batch, stage_counts
from posync_tui.services.warehouse_commit import commit_batch
from posync_tui.services.warehouse_master import unsent_items, unsent_locations
from posync_tui.services.warehouse_receive import receive_updates
from posync_tui.services.warehouse_rules import RULES, eligibility, facts_of, send_failure
from posync_tui.services.warehouse_send import send_batch
from tests.warehouse_world import fence

NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


def demo_orders(db) -> dict[str, int]:
    with db.reader() as s:
        query = select(SalesOrder).where(col(SalesOrder.number).startswith("SO-900"))
        return {order.number: order.id for order in s.exec(query)}


def test_the_demo_has_order_lines_eligible_and_failing_each_rule(any_db):
    seed_demo(any_db, now=NOW)
    found: dict[str | None, list[str]] = {}
    for number, order_id in sorted(demo_orders(any_db).items()):
        for line in eligibility(any_db, order_id):
            rule = line.failure.rule if line.failure else None
            found.setdefault(rule, []).append(f"{number}/{line.line_no}")
    assert set(found) == {None, *RULES}
    assert set(found["status"]) == {"SO-90004/2", "SO-90004/3"}
    assert found["item_sent"] == ["SO-90009/2"]
    assert len(found[None]) == 10

    # Some locations and items are still to be sent, for the operator to send.
    assert {u.code for u in unsent_locations(any_db)} >= {"C007-SHIP", "C011-SHIP"}
    assert "SKU-0321" in {u.code for u in unsent_items(any_db)}


async def test_the_demo_batch_sends_receives_and_commits_against_the_demo_ovotrack(any_db):
    seed_demo(any_db, now=NOW)
    ovotrack = WarehouseSandbox()
    with any_db.reader() as s:
        populate_ovotrack(s, ovotrack)
    assert "C005-SHIP" in ovotrack.codes()["locations"]
    assert "C011-SHIP" not in ovotrack.codes()["locations"]
    with Sandbox([ovotrack]).serve() as server:
        settings = load_settings(warehouse={"base_url": f"{server.url}/warehouse"})
        rt = Runtime(settings=settings, db=any_db)
        batch = import_batch(any_db, NOW - timedelta(days=7))
        assert batch.batch_id is not None and batch.staged == 10

        summary = await send_batch(rt, batch.batch_id, fence=fence(any_db))
        # The line of quantity 0 is refused; Ovotrack knows every other line's location and item.
        assert summary.startswith("9 line(s) sent to Ovotrack, 1 failed")
        assert ovotrack.line_count() == 9

        await receive_updates(rt, batch.batch_id)
        committed = commit_batch(any_db, batch.batch_id)
        # Eggs medium (10 on hand) is short for its two lines (6 and 8).
        assert (committed.committed, committed.short) == (9, 1)
        counts = stage_counts(any_db, batch.batch_id)
        assert (counts[LineStage.COMMITTED], counts[LineStage.FAILED]) == (9, 1)


def test_the_quantity_rule_is_what_refuses_the_demo_line_of_nothing(any_db):
    seed_demo(any_db, now=NOW)
    (line,) = [
        ln for ln in eligibility(any_db, demo_orders(any_db)["SO-90009"]) if ln.quantity == 0
    ]
    assert line.eligible
    with any_db.reader() as s:
        facts = facts_of(s, [line.line_id])[line.line_id]
    refused = send_failure(facts, held_by_ovotrack=False)
    assert refused is not None and refused.rule == "quantity"
    assert facts.quantity == Decimal(0)
