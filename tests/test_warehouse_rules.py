"""Ovotrack seed, "Prerequisites": which customer order lines may be staged, and why not."""

from __future__ import annotations

from datetime import timedelta

import pytest

from posync_tui.models import Item, utcnow
from posync_tui.services.warehouse_batches import import_batch, missed, parse_last_modified
from posync_tui.services.warehouse_master import unsent_items, unsent_locations
from posync_tui.services.warehouse_rules import eligibility
from tests.warehouse_world import a_day_ago, open_world


def _rule(world, order_line_id: int) -> str | None:
    order_id = world.line(order_line_id).sales_order_id
    found = {e.line_id: e for e in eligibility(world.db, order_id)}[order_line_id]
    return found.failure.rule if found.failure else None


async def test_each_rule_names_the_line_it_keeps_out(any_db):
    with open_world(any_db) as world:
        (new_item,) = world.order([(world.medium, 1)])
        (item_unsent,) = world.order([(world.large, 1)])
        # Send what exists so far; what follows is made after.
        await world.send_master_data()
        (eligible,) = world.order([(world.medium, 2)])
        (division_off,) = world.order([(world.medium, 1)], division=world.west)
        (bill_to,) = world.order([(world.medium, 1)], location=world.bill)
        (location_off,) = world.order([(world.medium, 1)], location=world.off)
        (not_send,) = world.order([(world.medium, 1, "")])
        with world.db.session() as s:
            fresh = Item(sku="EGG-X", description="Eggs extra")
            s.add(fresh)
            s.flush()
            fresh_id = fresh.id
        (fresh_line,) = world.order([(fresh, 1)])

        assert _rule(world, eligible) is None
        assert _rule(world, new_item) is None and _rule(world, item_unsent) is None
        assert _rule(world, division_off) == "division"
        assert _rule(world, bill_to) == "ship_to"
        assert _rule(world, location_off) == "location"
        assert _rule(world, not_send) == "status"
        assert _rule(world, fresh_line) == "item_sent"
        assert [u.id for u in unsent_items(any_db)] == [fresh_id]

        result = import_batch(any_db, a_day_ago())
        assert result.staged == 3
        why = {n.line_id: n.message for n in result.not_staged}
        assert why[fresh_line] == "Item EGG-X has not been sent to Ovotrack"
        assert why[bill_to] == (
            "Customer location C1-BILL is a Bill To location only: Ovotrack syncs Ship To locations"
        )
        assert why[division_off] == "Division WEST does not have Enable Warehouse Interface set"
        assert not_send not in why  # not marked Send: not the operator's concern here


async def test_only_ship_to_locations_with_the_interface_on_are_sent(any_db):
    with open_world(any_db) as world:
        assert [u.code for u in unsent_locations(any_db)] == ["C1-SHIP"]
        await world.send_master_data()
        assert unsent_locations(any_db) == []
        assert world.ovotrack.codes()["locations"] == ["C1-SHIP"]


async def test_a_location_not_sent_keeps_its_lines_out(any_db):
    with open_world(any_db) as world:
        (line,) = world.order([(world.large, 1)])
        assert _rule(world, line) == "location_sent"


def test_an_import_stages_a_line_once(any_db):
    with open_world(any_db) as world:
        _send_master_now(world)
        world.order([(world.large, 1), (world.medium, 2)])
        first = import_batch(any_db, a_day_ago())
        again = import_batch(any_db, a_day_ago())
        assert first.staged == 2
        assert again.batch_id is None and again.staged == 0


def test_a_date_after_some_lines_changed_warns_that_they_would_be_missed(any_db):
    with open_world(any_db) as world:
        _send_master_now(world)
        created = utcnow() - timedelta(days=2)
        world.order([(world.large, 1)], modified=created)
        later = utcnow() - timedelta(hours=1)
        warning = missed(any_db, later)
        assert warning is not None and warning.count == 1
        assert "will be missed" in warning.message
        assert warning.suggested < created
        assert import_batch(any_db, warning.suggested).staged == 1
        assert missed(any_db, later) is None


def test_an_invalid_last_modified_is_refused():
    now = utcnow()
    for text in ("", "yesterday", "13/45", "2026-02-30"):
        with pytest.raises(ValueError):
            parse_last_modified(text, now=now)
    with pytest.raises(ValueError, match="future"):
        parse_last_modified(f"{now.year + 1}-01-01", now=now)
    assert parse_last_modified("2020-07-31 10:30", now=now).tzinfo is not None
    assert parse_last_modified("7/31/2020", now=now).date().month in (7, 8)


def _send_master_now(world) -> None:
    """Both items and the ship-to in Ovotrack, through an order placed long ago, then committed
    (so no import sees it)."""
    import asyncio

    world.order([(world.large, 1, "Committed"), (world.medium, 1, "Committed")])
    asyncio.run(world.send_master_data())
