"""Prophet 21 (P21) as a partner: its client and declaration.

Its one job delivers the "p21" outbox (``p21_export.deliver``): POs exported to P21, with their
backorder links when "Link Backorders to POs" is on. The title bar shows its queue.
"""

from __future__ import annotations

from connectors.p21 import P21Client
from posync_tui.leases import Fence
from posync_tui.partners import Partner, Queue, Schedule, http_client
from posync_tui.runtime import Runtime

CONNECTOR = "p21"


def p21_client(rt: Runtime, *, attempts: int = 4) -> P21Client:
    return http_client(rt, CONNECTOR, P21Client, attempts=attempts)


async def _deliver(rt: Runtime, fence: Fence) -> str:
    from posync_tui.services import p21_export  # it imports this module for the client

    return await p21_export.deliver(rt, fence=fence)


def _queue(rt: Runtime) -> Queue:
    from posync_tui.services.p21_export import queue_counts

    waiting, errors = queue_counts(rt.db)
    return Queue(waiting=waiting, errors=errors)


P21 = Partner(
    name=CONNECTOR,
    short="p21",
    client=p21_client,
    jobs=(Schedule(CONNECTOR, _deliver),),
    queue=_queue,
)
