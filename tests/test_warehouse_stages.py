"""Receive, Commit and Update From Source (Ovotrack seed), and commit's stock allocation."""

from __future__ import annotations

import threading
from decimal import Decimal

from sqlmodel import select

from posync_tui.models import ItemStock, LineStage, SalesOrderLine, WarehouseCommitMessage
from posync_tui.services.warehouse_batches import batches, import_batch
from posync_tui.services.warehouse_commit import commit_batch
from posync_tui.services.warehouse_receive import receive_updates
from posync_tui.services.warehouse_send import send_batch
from posync_tui.services.warehouse_update import update_from_source
from tests.warehouse_world import a_day_ago, fence, open_world


async def _sent(world, lines) -> tuple[int, list[int]]:
    order_lines = world.order(lines)
    await world.send_master_data()
    batch_id = import_batch(world.db, a_day_ago()).batch_id
    await send_batch(world.rt, batch_id, fence=fence(world.db))
    return batch_id, order_lines


def _allocated(world, item) -> Decimal:
    with world.db.reader() as s:
        return s.get(ItemStock, item.id).allocated


def _messages(world) -> list[str]:
    with world.db.reader() as s:
        return [m.message for m in s.exec(select(WarehouseCommitMessage)).all()]


async def test_received_quantity_matches_quantity_when_ovotrack_changes_nothing(any_db):
    with open_world(any_db) as world:
        batch_id, _ = await _sent(world, [(world.large, 6)])
        await receive_updates(world.rt, batch_id)
        (line,) = world.batch_lines(batch_id)
        assert (line.stage, line.received_quantity) == (LineStage.RECEIVED, Decimal(6))
        assert line.received_date is not None


async def test_ovotrack_short_of_stock_ships_less(any_db):
    with open_world(any_db) as world:
        world.ovotrack.set_stock("EGG-L", 4)
        batch_id, _ = await _sent(world, [(world.large, 6)])
        result = await receive_updates(world.rt, batch_id)
        assert result.changed == 1
        assert world.batch_lines(batch_id)[0].received_quantity == Decimal(4)


async def test_commit_twice_never_allocates_twice(any_db):
    with open_world(any_db) as world:
        batch_id, order_lines = await _sent(world, [(world.large, 6), (world.large, 30)])
        await receive_updates(world.rt, batch_id)
        first = commit_batch(any_db, batch_id)
        second = commit_batch(any_db, batch_id)
        assert (first.committed, second.committed) == (2, 0)
        assert _allocated(world, world.large) == Decimal(36)
        assert [world.line(i).quantity_allocated for i in order_lines] == [6, 30]
        assert all(line.commit_date for line in world.batch_lines(batch_id))
        assert batches(any_db)[0].counts[LineStage.COMMITTED] == 2


async def test_two_consoles_committing_at_once_commit_each_line_once(any_db):
    with open_world(any_db) as world:
        batch_id, _ = await _sent(world, [(world.large, n) for n in (1, 2, 3)])
        await receive_updates(world.rt, batch_id)
        start, results = threading.Barrier(2), []

        def press_commit():
            start.wait()
            results.append(commit_batch(any_db, batch_id).committed)

        consoles = [threading.Thread(target=press_commit) for _ in range(2)]
        for console in consoles:
            console.start()
        for console in consoles:
            console.join()
        assert sum(results) == 3
        assert _allocated(world, world.large) == Decimal(6)


async def test_commit_short_of_stock_allocates_what_there_is_and_says_so(any_db):
    with open_world(any_db) as world:
        batch_id, order_lines = await _sent(world, [(world.medium, 80), (world.medium, 50)])
        await receive_updates(world.rt, batch_id)
        result = commit_batch(any_db, batch_id)
        assert result.short == 1
        assert [world.line(i).quantity_allocated for i in order_lines] == [80, 20]
        assert _messages(world) == ["Order SO-1 line 2: allocated 20 of 50 (not enough in stock)"]


async def test_update_from_source_brings_a_changed_quantity_and_a_new_line(any_db):
    with open_world(any_db) as world:
        batch_id, (first,) = await _sent(world, [(world.large, 6)])
        with any_db.session() as s:
            line = s.get(SalesOrderLine, first)
            line.quantity = Decimal(9)
            s.add(
                SalesOrderLine(
                    sales_order_id=line.sales_order_id,
                    line_no=2,
                    item_id=world.medium.id,
                    quantity=Decimal(3),
                    warehouse_interface_status="Send",
                )
            )
        await world.send_master_data()  # the new line's item
        result = await update_from_source(world.rt, batch_id)
        assert (result.updated, result.added, result.refused) == (1, 1, [])
        lines = world.batch_lines(batch_id)
        assert [(line.stage, line.quantity) for line in lines] == [
            (LineStage.STAGED, Decimal(9)),
            (LineStage.STAGED, Decimal(3)),
        ]
        await send_batch(world.rt, batch_id, fence=fence(any_db))
        assert Decimal(world.ovotrack.line("SO-1", 1)["quantity"]) == 9
        assert world.ovotrack.line_count() == 2


async def test_update_from_source_is_refused_for_a_picked_or_completed_line(any_db):
    with open_world(any_db) as world:
        batch_id, order_lines = await _sent(world, [(world.large, 6), (world.medium, 2)])
        world.ovotrack.pick("SO-1", 1)
        world.ovotrack.complete("SO-1", 2)
        with any_db.session() as s:
            for line_id in order_lines:
                s.get(SalesOrderLine, line_id).quantity = Decimal(1)
        result = await update_from_source(world.rt, batch_id)
        assert result.updated == 0
        assert result.refused == [
            "Order SO-1 line 1: quantity 6 → 1 refused: the line has been picked in Ovotrack",
            "Order SO-1 line 2: quantity 2 → 1 refused: the line has been completed in Ovotrack",
        ]
        assert [line.stage for line in world.batch_lines(batch_id)] == [LineStage.SENT] * 2
        assert _messages(world) == result.refused


async def test_a_quantity_may_go_to_zero_when_the_item_is_no_longer_needed(any_db):
    with open_world(any_db) as world:
        batch_id, (first,) = await _sent(world, [(world.large, 6)])
        with any_db.session() as s:
            s.get(SalesOrderLine, first).quantity = Decimal(0)
        await update_from_source(world.rt, batch_id)
        await send_batch(world.rt, batch_id, fence=fence(any_db))
        assert world.batch_lines(batch_id)[0].stage == LineStage.SENT
        assert Decimal(world.ovotrack.line("SO-1", 1)["quantity"]) == 0
        await receive_updates(world.rt, batch_id)
        commit_batch(any_db, batch_id)
        assert world.line(first).quantity == 0
        assert _allocated(world, world.large) == 0
