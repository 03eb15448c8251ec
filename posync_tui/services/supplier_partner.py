"""The supplier's B2B API and the cloud catalog as partners: their clients and declarations.

The supplier is polled on a schedule (``supplier_sync.poll``); the catalog has no job of its
own: the supplier poll and refresh look unknown parts up in it, and its calls' health is
recorded as its own connector's (``status.RecordedCalls``).
"""

from __future__ import annotations

from connectors.catalog import CatalogClient
from connectors.supplier import SupplierClient
from posync_tui.leases import Fence
from posync_tui.partners import NotConfigured, Partner, Schedule, http_client
from posync_tui.runtime import Runtime
from posync_tui.services.status import RecordedCalls


def supplier_client(rt: Runtime, *, attempts: int = 4) -> SupplierClient:
    return http_client(rt, "supplier", SupplierClient, attempts=attempts)


def catalog_client(rt: Runtime, *, attempts: int = 4) -> RecordedCalls | None:
    """The cloud catalog client, or None when no cloud catalog is set up."""
    if not rt.settings.catalog.enabled:
        return None
    try:
        client = http_client(rt, "catalog", CatalogClient, attempts=attempts)
    except NotConfigured:
        return None
    return RecordedCalls(client, rt.db, "catalog")


async def _poll(rt: Runtime, fence: Fence) -> str:
    from posync_tui.services import supplier_sync  # it imports this module for its clients

    return await supplier_sync.poll(rt, fence=fence)


async def _reprocess(rt: Runtime, quarantine_id: int) -> str:
    from posync_tui.services import supplier_sync  # it imports this module for its clients

    return await supplier_sync.reprocess(rt, quarantine_id)


SUPPLIER = Partner(
    name="supplier",
    short="sup",
    client=supplier_client,
    jobs=(Schedule("supplier", _poll),),
    reprocess=_reprocess,
)
CATALOG = Partner(name="catalog", short="cat", client=catalog_client)
