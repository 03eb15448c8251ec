"""The Ovotrack seed end to end: import, send, receive, commit — against the simulated Ovotrack."""

from __future__ import annotations

from decimal import Decimal

from posync_tui.models import LineStage
from posync_tui.services.warehouse_batches import import_batch, stage_counts
from posync_tui.services.warehouse_commit import commit_batch
from posync_tui.services.warehouse_receive import receive_updates
from posync_tui.services.warehouse_send import send_batch
from tests.warehouse_world import a_day_ago, fence, open_world


async def test_an_order_goes_through_send_receive_and_commit(any_db):
    with open_world(any_db) as world:
        line_ids = world.order([(world.large, 6), (world.medium, 12)])
        await world.send_master_data()
        batch = import_batch(any_db, a_day_ago())
        assert batch.staged == 2

        summary = await send_batch(world.rt, batch.batch_id, fence=fence(any_db))
        assert summary.startswith("2 line(s) sent")
        lines = world.batch_lines(batch.batch_id)
        assert [line.stage for line in lines] == [LineStage.SENT] * 2
        assert all(line.send_date for line in lines)

        world.ovotrack.ship("SO-1", 2, 10)
        received = await receive_updates(world.rt, batch.batch_id)
        assert (received.received, received.changed) == (2, 1)
        lines = world.batch_lines(batch.batch_id)
        assert [line.received_quantity for line in lines] == [Decimal(6), Decimal(10)]

        committed = commit_batch(any_db, batch.batch_id)
        assert (committed.committed, committed.quantity_changed) == (2, 1)
        assert world.line(line_ids[1]).quantity == Decimal(10)
        assert world.line(line_ids[1]).quantity_allocated == Decimal(10)
        assert world.line(line_ids[1]).warehouse_interface_status == "Committed"
        assert stage_counts(any_db, batch.batch_id)[LineStage.COMMITTED] == 2


async def test_master_data_and_receive_make_their_client_off_the_loop(any_db, monkeypatch):
    """Making a client reads the TLS certificate authorities (tens of ms): on the console's loop
    that is a stall the operator feels."""
    import threading

    from posync_tui.services import warehouse_partner

    makers: list[threading.Thread] = []
    real = warehouse_partner.warehouse_client

    def made(rt, **kw):
        makers.append(threading.current_thread())
        return real(rt, **kw)

    monkeypatch.setattr(warehouse_partner, "warehouse_client", made)
    with open_world(any_db) as world:
        world.order([(world.large, 6)])
        await world.send_master_data()
        assert makers and threading.main_thread() not in makers
        batch = import_batch(any_db, a_day_ago())
        await send_batch(world.rt, batch.batch_id, fence=fence(any_db))
        makers.clear()  # Send's client is the delivery engine's
        await receive_updates(world.rt, batch.batch_id)
        assert makers and threading.main_thread() not in makers
