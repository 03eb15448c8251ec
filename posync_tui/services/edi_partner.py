"""The EDI hub (Onetrail seed) as a partner: its client and declaration."""

from __future__ import annotations

import asyncio

from connectors.edi_hub import EdiHubClient
from posync_tui.leases import Fence
from posync_tui.partners import Partner, Queue, Schedule, http_client
from posync_tui.runtime import Runtime
from posync_tui.services.edi_feed import CONNECTOR


def edi_client(rt: Runtime, *, attempts: int = 4) -> EdiHubClient:
    return http_client(rt, CONNECTOR, EdiHubClient, attempts=attempts)


async def _run(rt: Runtime, fence: Fence) -> str:
    from posync_tui.services import edi_sync

    # Made in a thread: an httpx client loads its CA bundle (see supplier_sync._source).
    hub = await asyncio.to_thread(edi_client, rt)
    async with hub:
        return await edi_sync.run(rt, hub, fence)


async def _reprocess(rt: Runtime, quarantine_id: int) -> str:
    from posync_tui.services import edi_sync

    return await edi_sync.reprocess(rt.db, quarantine_id, rt.settings.edi.confirmed_qualifiers)


def _queue(rt: Runtime) -> Queue:
    from posync_tui.services.edi_documents import queue_counts

    return queue_counts(rt.db)


EDI = Partner(
    name=CONNECTOR,  # "edi_hub": its sandbox's mount; its settings are [edi]
    section="edi",
    short="edi",
    client=edi_client,
    jobs=(Schedule(CONNECTOR, _run),),
    queue=_queue,
    reprocess=_reprocess,
)
