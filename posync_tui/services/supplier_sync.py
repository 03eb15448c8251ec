"""Supplier auto-sync of purchase orders: poll the supplier's change feed, refresh chosen POs.

``poll`` is one cycle of the scheduler's supplier job, on the inbound-feed mechanism
(``posync_tui.feed``, with ``SupplierFeed``): read the change feed from the stored cursor, fetch
each changed supplier order, look unknown items up in the cloud catalog, then apply a page of
changes and store the new cursor in ONE transaction under the poll's lease, so a restart neither
misses nor repeats a change (and applying a change twice changes nothing the second time). An
order that cannot be fetched, read or saved is set aside (quarantined, ``reprocess`` takes it
again); when the supplier cannot be reached, what was applied stays applied, the cursor stays
before the change that failed and ``poll`` raises the ``ConnectorError`` (the scheduler records
it).

``refresh`` is the operator's refresh key: fetch the supplier order of each PO now.

The operator's actions (``supplier_sync_operator``, ``syncing_notifications``,
``special_orders``) are re-exported here, so screens import this flow from one module.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import col

from connectors.base import ConnectorError
from connectors.errors import Rejected
from posync_tui import feed, feed_reprocess
from posync_tui.db import Database
from posync_tui.events import note_change
from posync_tui.leases import Fence
from posync_tui.models import Integration, PurchaseOrder, Vendor, utcnow
from posync_tui.runtime import Runtime
from posync_tui.services.special_orders import (  # noqa: F401 - re-exported
    SpecialOrderChoice,
    assign_special_order,
    matching_special_orders,
)
from posync_tui.services.supplier_partner import catalog_client, supplier_client
from posync_tui.services.supplier_sync_apply import (
    ApplyResult,
    CatalogAnswers,
    OrderWork,
    apply_orders,
    part_keys,
)
from posync_tui.services.supplier_sync_feed import CONNECTOR, SupplierFeed, ask_catalog
from posync_tui.services.supplier_sync_operator import (  # noqa: F401 - re-exported
    FieldLocked,
    PODefaults,
    count_open_pos,
    edit_po,
    edit_po_line,
    inactive_reason,
    new_po_defaults,
    out_of_sync,
    set_vendor_auto_sync,
    supplier_fields_locked,
    supplier_line_fields_locked,
)
from posync_tui.services.syncing_notifications import (  # noqa: F401 - re-exported
    mark_reviewed,
    missing_item_count,
    missing_item_prefill,
    resolve_missing_item,
    unreviewed_count,
)

PAGE_SIZE = 500  # changes per page: one transaction each (the feed allows up to 500)
MAX_PAGES = 50  # one cycle applies at most this many pages; the next cycle goes on
FETCHES_AT_ONCE = 8


@dataclass(frozen=True)
class RefreshResult:
    po_id: int
    po_number: str
    ok: bool
    message: str
    last_synced_at: datetime | None = None


# --- poll --------------------------------------------------------------------------------------


async def poll(rt: Runtime, *, fence: Fence, page_size: int = PAGE_SIZE, attempts: int = 4) -> str:
    """One cycle of supplier auto-sync under the poll's lease; returns a one-line summary (see
    the module docstring and ``posync_tui.feed``)."""
    async with AsyncExitStack() as stack:
        source = await _source(rt, stack, attempts)
        run = await feed.poll(source, rt.db, fence, page_size=page_size, max_pages=MAX_PAGES)
    total = ApplyResult()
    for result in run.results:
        if result is not None:
            total.add(result)
    return summary(run.entries, total, run.quarantined)


async def _source(rt: Runtime, stack: AsyncExitStack, attempts: int) -> SupplierFeed:
    """The supplier's feed, its clients closed with ``stack``."""
    # Made in a thread: an httpx client loads its CA bundle (~20 ms), and the first one imports
    # httpcore (~250 ms), which on the console's loop would freeze the screen.
    supplier = await asyncio.to_thread(supplier_client, rt, attempts=attempts)
    catalog = await asyncio.to_thread(catalog_client, rt, attempts=attempts)
    await stack.enter_async_context(supplier)
    if catalog is not None:
        await stack.enter_async_context(catalog)
    return SupplierFeed(rt.db, supplier, catalog)


async def reprocess(rt: Runtime, quarantine_id: int, *, attempts: int = 4) -> str:
    """Fetch a quarantined supplier order again and apply it (after the supplier's fix).

    Returns what happened in plain words; ValueError says why not (still bad, done already)."""
    row = await asyncio.to_thread(feed_reprocess.quarantined, rt.db, quarantine_id)
    if row.connector != CONNECTOR:
        raise ValueError(f"Only supplier entries can be re-processed here, not {row.connector}")
    async with AsyncExitStack() as stack:
        source = await _source(rt, stack, attempts)
        result = await feed_reprocess.reprocess(source, rt.db, quarantine_id)
    if result.errors:
        raise ValueError(result.errors[0])
    return f"Supplier order {row.entry_key} re-processed: {summary(1, result)}"


# --- the transaction ---------------------------------------------------------------------------


def read_cursor(db: Database) -> str | None:
    return feed.read_cursor(db, CONNECTOR)


def apply_page(
    db: Database,
    works: list[OrderWork],
    answers: CatalogAnswers,
    cursor: str | None,
    *,
    fence: Fence,
    now: datetime | None = None,
) -> ApplyResult:
    """Apply a page of fetched supplier orders and store the cursor in one transaction, under
    the poll's lease (LeaseLost, and nothing applied, once it is lost)."""
    source = SupplierFeed(db, None, None, answers)
    position = feed.parse_cursor(cursor) if cursor is not None else None
    result, _ = feed.store(db, source, fence, position, works, [], now or utcnow())
    return result if result is not None else ApplyResult()


def summary(changes: int, result: ApplyResult, quarantined: int = 0) -> str:
    if not changes:
        return "No supplier changes"
    parts = [f"{changes} supplier change{'s' if changes != 1 else ''}"]
    if quarantined:
        parts.append(f"{quarantined} set aside as bad data")
    for count, words in (
        (result.updated, "POs updated"),
        (result.imported, "imported"),
        (result.items_added, "items added from the catalog"),
        (result.missing, "missing items"),
        (result.cancelled, "lines cancelled"),
        (len(result.errors), "errors"),
    ):
        if count:
            parts.append(f"{count} {words}")
    return ", ".join(parts)


# --- refresh ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    po_id: int
    number: str
    auto_sync: bool
    supplier_order_no: str | None
    supplier_account: str | None
    vendor_code: str
    integration: str


# Called as each PO's supplier order is fetched (or skipped): (done, total).
Progress = Callable[[int, int], None]


async def refresh(
    rt: Runtime, po_ids: list[int], *, attempts: int = 4, progress: Progress | None = None
) -> list[RefreshResult]:
    """Fetch each PO's supplier order now and apply it; record the failure of those that fail.

    Each result's message is plain words about that PO, without its number (the caller shows
    the number beside it)."""
    targets = await asyncio.to_thread(_targets, rt.db, po_ids)
    results: dict[int, RefreshResult] = {}
    works: list[OrderWork] = []
    gate = asyncio.Semaphore(FETCHES_AT_ONCE)
    done = 0

    def one_more() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, len(targets))

    async def fetch(t: _Target) -> None:
        skipped = _not_synced_because(t)
        if skipped is not None:
            results[t.po_id] = RefreshResult(t.po_id, t.number, False, skipped)
            one_more()
            return
        work = OrderWork(t.supplier_order_no, t.supplier_account, po_id=t.po_id)
        async with gate:
            try:
                if t.supplier_order_no:
                    work.order = await supplier.order(t.supplier_order_no)
                else:
                    found = await supplier.orders_for_po(t.supplier_account, t.number)
                    if not found:
                        work.error = "The supplier has no order for this PO yet"
                    else:
                        work.order, work.order_no = found[0], found[0].order_no
            except ConnectorError as exc:
                work.error = _plain_reason(exc, t)
        work.silent = work.error is not None  # shown to the operator, not notified
        work.fetched_at = utcnow() if work.order is not None else None
        works.append(work)
        one_more()

    async with supplier_client(rt, attempts=attempts) as supplier:
        await asyncio.gather(*map(fetch, targets))
    if works:
        orders = [w.order for w in works if w.order]
        catalog = catalog_client(rt, attempts=attempts) if part_keys(orders) else None
        async with AsyncExitStack() as stack:
            if catalog is not None:
                await stack.enter_async_context(catalog)
            answers = await ask_catalog(rt.db, catalog, orders)
        applied = await asyncio.to_thread(_apply_refresh, rt.db, works, answers)
        looked_up = [t.po_id for t in targets if t.po_id not in results]
        synced = await asyncio.to_thread(_synced_at, rt.db, looked_up)
        for t in targets:
            if t.po_id in results:
                continue
            error = applied.po_errors.get(t.po_id)
            if error is None:
                message = "Matches the supplier's order"
                results[t.po_id] = RefreshResult(t.po_id, t.number, True, message, synced[t.po_id])
            else:
                results[t.po_id] = RefreshResult(t.po_id, t.number, False, error, synced[t.po_id])
    return [results[t.po_id] for t in targets]


def _not_synced_because(t: _Target) -> str | None:
    """Why a refresh does not ask the supplier about this PO, or None when it does."""
    if not t.auto_sync:
        return "Auto-sync is off: nothing to refresh"
    if t.integration != Integration.B2B.value:
        return inactive_reason(t.vendor_code)
    if not t.supplier_account:
        return "Its vendor has no supplier account to sync with"
    return None


def _plain_reason(exc: ConnectorError, t: _Target) -> str:
    """The supplier's refusal in plain words: never its raw HTTP body."""
    if isinstance(exc, Rejected):
        if exc.status == 404:
            order = t.supplier_order_no
            return (
                f"The supplier does not know order {order}"
                if order
                else ("The supplier does not know this PO")
            )
        return f"The supplier refused the request (HTTP {exc.status})"
    return exc.message


def _targets(db: Database, po_ids: list[int]) -> list[_Target]:
    with db.reader() as session:
        rows = session.execute(
            select(
                col(PurchaseOrder.id),
                col(PurchaseOrder.number),
                col(PurchaseOrder.auto_sync),
                col(PurchaseOrder.supplier_order_no),
                col(Vendor.supplier_account),
                col(Vendor.code),
                col(Vendor.integration),
            )
            .join(Vendor, col(Vendor.id) == col(PurchaseOrder.vendor_id))
            .where(col(PurchaseOrder.id).in_(po_ids))
        ).all()
    by_id = {r.id: _Target(*r) for r in rows}
    missing = [i for i in po_ids if i not in by_id]
    if missing:
        raise LookupError(f"No PO with id {missing[0]}")
    return [by_id[i] for i in dict.fromkeys(po_ids)]


def _apply_refresh(db: Database, works: list[OrderWork], answers: CatalogAnswers) -> ApplyResult:
    with db.session() as session:
        result = apply_orders(session, works, answers, utcnow())
        ids = sorted(result.po_ids | set(result.po_errors))
        note_change(session, "purchase_order", ids)
        if result.item_ids:
            note_change(session, "item", sorted(result.item_ids))
        if result.notifications:
            note_change(session, "notification")
        # A PO the rules refused without naming it (say, its vendor's supplier account is not
        # the order's) did not sync either.
        for work in works:
            assert work.po_id is not None  # a refresh names its PO
            if work.po_id not in result.po_ids and work.po_id not in result.po_errors:
                result.po_errors[work.po_id] = "The supplier's order could not be matched to it"
        return result


def _synced_at(db: Database, po_ids: list[int]) -> dict[int, datetime | None]:
    with db.reader() as session:
        rows = session.execute(
            select(col(PurchaseOrder.id), col(PurchaseOrder.last_synced_at)).where(
                col(PurchaseOrder.id).in_(po_ids)
            )
        )
        return dict(rows.all())
