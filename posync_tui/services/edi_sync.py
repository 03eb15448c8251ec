"""The "edi" job: send the queued ORDERS, then take in the hub's inbox; and re-processing.

One job (its lease is the "edi" connector's) so that the scheduler's pick-up of new outbox
messages delivers them at once. A PO found in Submitting with no message on its way is failed
first (``settle_stranded``). The hub failing to answer stops neither half from being tried.
"""

from __future__ import annotations

import asyncio
import contextlib

from sqlmodel import col, select

from connectors.edi_hub import EdiHubClient
from connectors.edifact import CONFIRMED
from posync_tui import delivery, feed, feed_reprocess
from posync_tui.db import Database
from posync_tui.leases import Fence
from posync_tui.models import Direction, DocumentStatus, EdiDocument, QuarantinedEntry
from posync_tui.runtime import Runtime
from posync_tui.services.edi_deliver import EdiAdapter
from posync_tui.services.edi_feed import CONNECTOR, EdiFeed
from posync_tui.services.edi_submit import settle_stranded

# One page is one transaction, short so the lease keeper gets its turn (100 interchanges take
# about 0.3 s), and one round trip to the hub.
PAGE_SIZE = 100
MAX_PAGES = 10


async def run(rt: Runtime, hub: EdiHubClient, fence: Fence) -> str:
    """Deliver, then poll; a plain summary. Raises the first failure after trying both."""
    said, failure = [], None
    stranded = await asyncio.to_thread(settle_stranded, rt.db)
    if stranded:
        said.append(f"{stranded} stranded submission(s) failed")
    try:
        if await asyncio.to_thread(delivery.has_work, rt.db, CONNECTOR):
            tally = await delivery.deliver(rt.db, EdiAdapter(hub), fence)
            said.append(f"{tally.sent} order(s) submitted")
            if tally.failed or tally.decision:
                said.append(f"{tally.failed + tally.decision} failed")
    except Exception as exc:  # noqa: BLE001 - raised after the inbox had its turn
        failure = exc
    try:
        said.append(await poll(rt.db, hub, fence, rt.settings.edi.confirmed_qualifiers))
    except Exception as exc:
        raise (failure or exc) from None
    if failure is not None:
        raise failure
    return ", ".join(said)


async def poll(
    db: Database, hub: EdiHubClient, fence: Fence, confirmed: tuple[str, ...] = CONFIRMED
) -> str:
    source = EdiFeed(db, hub, confirmed, fence)
    run = feed.Run()
    # What the poll stored is acknowledged even when it stopped after storing; what it could
    # not acknowledge (killed, the hub failing) keeps its mark and the next poll does it first.
    try:
        result = await feed.poll(
            source, db, fence, page_size=PAGE_SIZE, max_pages=MAX_PAGES, run=run
        )
    except Exception:
        with contextlib.suppress(Exception):  # the poll's own failure is the one to tell
            await source.acknowledge()
        raise
    finally:
        source.close()
    await source.acknowledge()
    applied = sum(r.documents for r in result.results if r is not None)
    text = f"{applied} interchange(s) taken in"
    if result.quarantined:
        text += f", {result.quarantined} set aside"
    return text


async def reprocess(
    db: Database, quarantine_id: int, confirmed: tuple[str, ...] = CONFIRMED
) -> str:
    """Apply a set-aside interchange again from the document log (after a fix in posync)."""
    row = await asyncio.to_thread(feed_reprocess.quarantined, db, quarantine_id)
    await feed_reprocess.reprocess(EdiFeed(db, None, confirmed), db, quarantine_id)
    return f"Interchange {row.entry_key} re-processed"


def quarantine_of(db: Database, document_id: int) -> int:
    """The open quarantine entry of a failed inbound document (ValueError: none)."""
    with db.reader() as s:
        document = s.get(EdiDocument, document_id)
        if document is None or document.direction != Direction.IN:
            raise ValueError("Only an inbound interchange can be re-processed")
        if document.status != DocumentStatus.FAILED:
            raise ValueError(f"Interchange {document.control_ref} is {document.status}")
        found = s.exec(
            select(QuarantinedEntry.id)
            .where(
                QuarantinedEntry.connector == CONNECTOR,
                QuarantinedEntry.entry_key == document.hub_id,
                col(QuarantinedEntry.reprocessed_at).is_(None),
            )
            .order_by(col(QuarantinedEntry.id).desc())
        ).first()
    if found is None:
        raise ValueError("It was re-processed already")
    return found
