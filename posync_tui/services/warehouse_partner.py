"""Ovotrack (the warehouse) as a partner: its client and its declaration.

Its job, "warehouse", delivers the outbox of order lines (``warehouse_send.deliver``); Receive
Updates, Commit and Update From Source are the operator's, on a batch.
"""

from __future__ import annotations

from connectors.warehouse import WarehouseClient
from posync_tui.leases import Fence
from posync_tui.partners import Partner, Queue, Schedule, http_client
from posync_tui.runtime import Runtime

CONNECTOR = "warehouse"


def warehouse_client(rt: Runtime, *, attempts: int = 4) -> WarehouseClient:
    return http_client(rt, CONNECTOR, WarehouseClient, attempts=attempts)


async def _deliver(rt: Runtime, fence: Fence) -> str:
    from posync_tui.services import warehouse_send  # it imports this module for its client

    return await warehouse_send.deliver(rt, fence=fence)


def _queue(rt: Runtime) -> Queue:
    from posync_tui.services.warehouse_batches import queue_counts

    waiting, errors = queue_counts(rt.db)
    return Queue(waiting=waiting, errors=errors)


WAREHOUSE = Partner(
    name=CONNECTOR,
    short="ovo",
    client=warehouse_client,
    jobs=(Schedule(CONNECTOR, _deliver),),
    queue=_queue,
)
