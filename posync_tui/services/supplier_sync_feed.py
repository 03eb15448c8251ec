"""The supplier's change feed as a ``feed.Source``: entries name supplier orders; a page of
fetched orders is applied by the auto-sync rules (``supplier_sync_apply``)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from connectors.base import ConnectorError
from connectors.catalog import CatalogProduct
from connectors.supplier import PARTNER, SupplierClient, SupplierOrder
from posync_tui.db import Database
from posync_tui.events import note_change
from posync_tui.feed import Entry, Page, Taken
from posync_tui.models import PurchaseOrder
from posync_tui.services.supplier_sync_apply import (
    ApplyResult,
    CatalogAnswers,
    OrderWork,
    PartKey,
    apply_orders,
    part_keys,
    unknown_parts,
)

CONNECTOR = "supplier"
FETCHES_AT_ONCE = 8


class Catalog(Protocol):
    """The cloud catalog's client, or the same with its calls recorded (``RecordedCalls``)."""

    async def lookup(
        self, *, supplier_part_no: str | None = None, upc: str | None = None
    ) -> CatalogProduct | None: ...


class SupplierFeed:
    """One poll's (or one re-process's) view of the supplier; ``feed.poll`` drives it."""

    connector = CONNECTOR
    partner = PARTNER
    noun = "order"

    def __init__(
        self,
        db: Database,
        supplier: SupplierClient | None,
        catalog: Catalog | None,
        answers: CatalogAnswers | None = None,
    ):
        self.db, self.supplier, self.catalog = db, supplier, catalog
        self.answers = answers or CatalogAnswers()
        self.accounts: dict[str, str] = {}  # order no. → the account the feed named it under

    async def page(self, cursor: str | None, limit: int) -> Page:
        assert self.supplier is not None  # a feed made without one only writes
        page = await self.supplier.feed(cursor, limit)
        entries = [Entry(c.seq, c.order_no, c.notified_at) for c in page.changes]
        self.accounts = {c.order_no: c.supplier_account for c in page.changes}
        return Page(entries, page.next_cursor)

    async def fetch(self, key: str) -> SupplierOrder:
        assert self.supplier is not None  # a feed made without one only writes
        return await self.supplier.order(key)

    def owner(self, session: Session, key: str) -> tuple[int | None, int | None]:
        """The PO linked to the supplier order ``key``, and its vendor."""
        found = session.execute(
            select(col(PurchaseOrder.vendor_id), col(PurchaseOrder.id)).where(
                col(PurchaseOrder.supplier_order_no) == key
            )
        ).first()
        return (found[0], found[1]) if found else (None, None)

    def work(self, taken: Taken) -> OrderWork:
        account = self.accounts.get(taken.entry.key)
        work = OrderWork(taken.entry.key, account, taken.notified_at, taken=taken)
        if taken.record is not None:
            work.order, work.fetched_at = taken.record, taken.fetched_at
            work.supplier_account = work.supplier_account or taken.record.supplier_account
        else:
            work.error = taken.error
            # Retried by a later poll, or quarantined with a notification of its own.
            work.silent = taken.transient or taken.bad is not None
        return work

    async def prepare(self, works: list[OrderWork]) -> None:
        """Look each part posync does not know up in the cloud catalog (None: not found)."""
        self.answers = await ask_catalog(self.db, self.catalog, [w.order for w in works if w.order])

    def write(self, session: Session, works: list[OrderWork], now: datetime) -> ApplyResult:
        result = apply_orders(session, works, self.answers, now)
        if result.po_ids:
            note_change(session, "purchase_order", sorted(result.po_ids))
        if result.item_ids:
            note_change(session, "item", sorted(result.item_ids))
        if result.vendor_ids:
            note_change(session, "vendor", sorted(result.vendor_ids))
        if result.notifications:
            note_change(session, "notification")
        return result

    def taken(self, work: OrderWork) -> Taken | None:
        return work.taken

    def refused(self, work: OrderWork, message: str) -> OrderWork:
        buyer = work.order.buyer_po_number if work.order else work.buyer_po_number
        text = (
            f"Supplier order {work.order_no} could not be saved ({message[:200]}); "
            f"nothing of it was changed"
        )
        return OrderWork(
            work.order_no,
            work.supplier_account,
            work.notified_at,
            error=text,
            buyer_po_number=buyer,
            po_id=work.po_id,
            taken=work.taken,
            silent=work.taken is not None,  # quarantined: its own notification says so
        )


async def ask_catalog(
    db: Database, catalog: Catalog | None, orders: list[SupplierOrder]
) -> CatalogAnswers:
    """Look each part posync does not know up in the cloud catalog (None: not found)."""
    answers = CatalogAnswers()
    keys = part_keys(orders)
    if not keys:
        return answers
    unknown = await asyncio.to_thread(_unknown, db, keys)
    if not unknown:
        return answers
    if catalog is None:
        answers.unavailable = "no cloud catalog is set up"
        return answers
    gate = asyncio.Semaphore(FETCHES_AT_ONCE)

    async def lookup(key: PartKey) -> None:
        async with gate:
            try:
                answers.products[key] = await catalog.lookup(supplier_part_no=key[0], upc=key[1])
            except ConnectorError as exc:
                answers.unavailable = exc.message

    await asyncio.gather(*map(lookup, unknown))
    return answers


def _unknown(db: Database, keys: set[PartKey]) -> set[PartKey]:
    with db.reader() as session:
        return unknown_parts(session, keys)
