"""Send Batch through the outbox: a line reaches Ovotrack once, whatever happens on the way."""

from __future__ import annotations

import asyncio
import threading
from decimal import Decimal

import pytest
from sqlmodel import select

from connectors.base import PartnerUnavailable
from connectors.warehouse import WarehouseClient
from posync_tui.models import LineStage, OutboxMessage, WarehouseCommitMessage
from posync_tui.services import warehouse_send
from posync_tui.services.warehouse_batches import import_batch
from posync_tui.services.warehouse_send import enqueue_send, send_batch
from tests.warehouse_world import a_day_ago, fence, open_world


def _client(world, attempts: int = 1) -> WarehouseClient:
    return WarehouseClient(
        world.rt.settings.warehouse.base_url, attempts=attempts, first_wait=0.01, timeout=5
    )


async def _staged(world, lines: int = 2) -> int:
    world.order([(world.large, 6), (world.medium, 12), (world.large, 1)][:lines])
    await world.send_master_data()
    return import_batch(world.db, a_day_ago()).batch_id


def _stages(world, batch_id: int) -> list[str]:
    return [line.stage for line in world.batch_lines(batch_id)]


async def test_sending_twice_sends_each_line_once(any_db):
    with open_world(any_db) as world:
        batch_id = await _staged(world)
        await send_batch(world.rt, batch_id, fence=fence(any_db))
        again = await send_batch(world.rt, batch_id, fence=fence(any_db))
        assert again == "no staged or failed line to send"
        assert world.ovotrack.line_count() == 2
        assert world.ovotrack.line_posts == 1


async def test_two_consoles_pressing_send_at_once_queue_each_line_once(any_db):
    with open_world(any_db) as world:
        batch_id = await _staged(world)
        start = threading.Barrier(2)
        queued = []

        def press_send():
            start.wait()
            queued.append(enqueue_send(any_db, batch_id).message_ids)

        consoles = [threading.Thread(target=press_send) for _ in range(2)]
        for console in consoles:
            console.start()
        for console in consoles:
            console.join()
        assert sorted(queued[0]) == sorted(queued[1]) and len(queued[0]) == 2
        await warehouse_send.deliver(world.rt, fence=fence(any_db))
        assert world.ovotrack.line_count() == 2
        assert _stages(world, batch_id) == [LineStage.SENT] * 2


async def test_a_lost_answer_is_looked_up_and_never_sent_twice(any_db):
    with open_world(any_db) as world:
        batch_id = await _staged(world)
        world.ovotrack.faults.lose_next(1)
        async with _client(world) as client:
            with pytest.raises(PartnerUnavailable):
                await send_batch(world.rt, batch_id, fence=fence(any_db), client=client)
        # Ovotrack holds the lines, but posync does not know it: still staged, not failed.
        assert world.ovotrack.line_count() == 2
        assert _stages(world, batch_id) == [LineStage.STAGED] * 2
        async with _client(world) as client:
            await warehouse_send.deliver(world.rt, fence=fence(any_db), client=client)
        assert _stages(world, batch_id) == [LineStage.SENT] * 2
        assert world.ovotrack.line_posts == 1  # found by its key: not sent again


async def test_a_lost_answer_retried_at_once_is_answered_from_its_key(any_db):
    with open_world(any_db) as world:
        batch_id = await _staged(world)
        world.ovotrack.faults.lose_next(1)
        async with _client(world, attempts=3) as client:
            await send_batch(world.rt, batch_id, fence=fence(any_db), client=client)
        assert _stages(world, batch_id) == [LineStage.SENT] * 2
        assert world.ovotrack.line_count() == 2


async def test_a_crash_mid_send_is_resumed_without_a_duplicate(any_db):
    with open_world(any_db) as world:
        batch_id = await _staged(world)
        queued = enqueue_send(any_db, batch_id)
        # The process sent the lines and died before writing their outcomes: its claims
        # expire, each with one attempt counted.
        with any_db.session() as s:
            rows = s.exec(select(OutboxMessage)).all()
            installation = any_db.installation_id()
            keys = [warehouse_send.line_key(installation, r.record_id, 1) for r in rows]
            for row in rows:
                row.attempts = 1
        async with _client(world) as client:
            await client.send_lines(
                [
                    warehouse_send.LineOut(key, "SO-1", n, "C1-SHIP", sku, Decimal(q))
                    for key, n, sku, q in zip(
                        keys, (1, 2), ("EGG-L", "EGG-M"), (6, 12), strict=True
                    )
                ]
            )
        await warehouse_send.deliver(world.rt, fence=fence(any_db))
        assert queued.queued == 2
        assert _stages(world, batch_id) == [LineStage.SENT] * 2
        assert world.ovotrack.line_posts == 1


async def test_an_error_mid_batch_leaves_every_line_truthful_and_resuming_finishes(
    any_db, monkeypatch
):
    monkeypatch.setattr(warehouse_send.WarehouseAdapter, "batch_size", 1)
    monkeypatch.setattr(warehouse_send.delivery, "IN_FLIGHT", 1)
    with open_world(any_db) as world:
        batch_id = await _staged(world, lines=3)

        async def fail_second_call():
            # The first line goes through; then Ovotrack fails.
            async with _client(world) as client:
                original = client.send_lines
                calls = 0

                async def send_lines(lines):
                    nonlocal calls
                    calls += 1
                    if calls == 2:
                        world.ovotrack.faults.fail_next(1, status=503)
                    return await original(lines)

                client.send_lines = send_lines
                try:
                    await send_batch(world.rt, batch_id, fence=fence(any_db), client=client)
                except Exception as exc:  # noqa: BLE001 - the run stops on Ovotrack's error
                    return exc
            return None

        error = await fail_second_call()
        assert error is not None
        held = world.ovotrack.line_count()
        stages = _stages(world, batch_id)
        assert stages.count(LineStage.SENT) == held == 1
        assert stages.count(LineStage.FAILED) == 0
        await warehouse_send.deliver(world.rt, fence=fence(any_db))
        assert _stages(world, batch_id) == [LineStage.SENT] * 3
        assert world.ovotrack.line_count() == 3


async def test_a_refused_line_fails_with_a_readable_reason_and_goes_once_fixed(any_db):
    with open_world(any_db) as world:
        batch_id = await _staged(world)
        # Ovotrack lost its item master: it refuses the lines itself.
        world.ovotrack._items.clear()
        await send_batch(world.rt, batch_id, fence=fence(any_db))
        assert _stages(world, batch_id) == [LineStage.FAILED] * 2
        with any_db.reader() as s:
            messages = [m.message for m in s.exec(select(WarehouseCommitMessage)).all()]
        assert messages[0] == (
            "Order SO-1 line 1: Ovotrack does not know item 'EGG-L'; "
            "send the item to Ovotrack first"
        )
        from connectors.warehouse import ItemOut

        async with _client(world) as client:
            await client.push_items([ItemOut("EGG-L", "Eggs"), ItemOut("EGG-M", "Eggs")])
        await send_batch(world.rt, batch_id, fence=fence(any_db))
        assert _stages(world, batch_id) == [LineStage.SENT] * 2
        assert world.ovotrack.line_count() == 2


async def test_only_the_marked_lines_are_sent(any_db):
    with open_world(any_db) as world:
        batch_id = await _staged(world)
        first, second = world.batch_lines(batch_id)
        await send_batch(world.rt, batch_id, [second.id], fence=fence(any_db))
        assert _stages(world, batch_id) == [LineStage.STAGED, LineStage.SENT]


def test_a_new_line_of_nothing_is_refused_before_it_leaves(any_db):
    with open_world(any_db) as world:
        world.order([(world.large, 0)])
        asyncio.run(world.send_master_data())
        batch_id = import_batch(any_db, a_day_ago()).batch_id
        asyncio.run(send_batch(world.rt, batch_id, fence=fence(any_db)))
        assert _stages(world, batch_id) == [LineStage.FAILED]
        assert world.ovotrack.line_posts == 0


async def test_a_line_an_operator_marks_done_is_sent_and_one_cancelled_stays_staged(any_db):
    from posync_tui import delivery_decisions
    from posync_tui.models import OutboxStatus

    with open_world(any_db) as world:
        batch_id = await _staged(world)
        done, cancelled = enqueue_send(any_db, batch_id).message_ids
        with any_db.session() as s:  # both waited too long for an answer
            for message in s.exec(select(OutboxMessage)):
                message.status = OutboxStatus.DECISION

        records = warehouse_send.WarehouseRecords()
        delivery_decisions.mark_done(any_db, done, "OL-77", records)
        delivery_decisions.cancel(any_db, cancelled, records)

        first, second = world.batch_lines(batch_id)
        assert (first.stage, first.ovotrack_id) == (LineStage.SENT, "OL-77")
        assert first.send_date is not None
        assert (second.stage, second.ovotrack_id, second.send_date) == (
            LineStage.STAGED,
            None,
            None,
        )
