"""Supplier auto-sync of purchase orders: poll the supplier's change feed, refresh chosen POs.

``poll`` is one cycle of the scheduler's supplier job: read the change feed from the stored
cursor, fetch each changed supplier order, look unknown items up in the cloud catalog, then apply
a page of changes and store the new cursor in ONE transaction, so a restart neither misses nor
repeats a change (and applying a change twice changes nothing the second time). When the
supplier cannot be reached, what was applied stays applied, the cursor stays before the change
that failed and ``poll`` raises the ``ConnectorError`` (the scheduler records it).

``refresh`` is the operator's refresh key: fetch the supplier order of each PO now.

The operator's actions (``supplier_sync_operator``, ``syncing_notifications``,
``special_orders``) are re-exported here, so screens import this flow from one module.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from connectors.base import ConnectorError
from connectors.supplier import FeedChange, SupplierClient, SupplierOrder
from posync_tui.db import Database
from posync_tui.events import note_change
from posync_tui.leases import Fence, LeaseLost
from posync_tui.models import ConnectorState, PurchaseOrder, Vendor, utcnow
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
    PartKey,
    apply_orders,
    part_keys,
    unknown_parts,
)
from posync_tui.services.supplier_sync_operator import (  # noqa: F401 - re-exported
    FieldLocked,
    PODefaults,
    count_open_pos,
    edit_po,
    edit_po_line,
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

CONNECTOR = "supplier"
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


async def poll(
    rt: Runtime, *, fence: Fence | None = None, page_size: int = PAGE_SIZE, attempts: int = 4
) -> str:
    """One cycle of supplier auto-sync; returns a one-line summary (see the module docstring)."""
    cursor = await asyncio.to_thread(read_cursor, rt.db)
    total = ApplyResult()
    changes = 0
    # Made in a thread: an httpx client loads its CA bundle (~20 ms), and the first one imports
    # httpcore (~250 ms), which on the console's loop would freeze the screen.
    client = await asyncio.to_thread(supplier_client, rt, attempts=attempts)
    async with client as supplier:
        for _ in range(MAX_PAGES):
            page = await supplier.feed(cursor, page_size)
            if not page.changes:
                break
            works, new_cursor, failure = await _fetch(supplier, page.changes, cursor)
            if failure is None and page.next_cursor:
                new_cursor = page.next_cursor
            answers = await _ask_catalog(rt, [w.order for w in works if w.order], attempts)
            result = await asyncio.to_thread(
                apply_page, rt.db, works, answers, new_cursor, fence=fence
            )
            total.add(result)
            changes += _consumed(page.changes, new_cursor)
            cursor = new_cursor
            if failure is not None:
                raise failure
            if len(page.changes) < page_size:
                break
    return summary(changes, total)


async def _fetch(
    supplier: SupplierClient, changes: list[FeedChange], cursor: str | None
) -> tuple[list[OrderWork], str | None, ConnectorError | None]:
    """Fetch each changed order once; stop at the first change the supplier could not serve."""
    wanted = list(dict.fromkeys(c.order_no for c in changes))
    gate = asyncio.Semaphore(FETCHES_AT_ONCE)

    async def fetch(order_no: str) -> SupplierOrder | ConnectorError:
        async with gate:
            try:
                return await supplier.order(order_no)
            except ConnectorError as exc:
                return exc

    fetched = dict(zip(wanted, await asyncio.gather(*map(fetch, wanted)), strict=True))
    works: dict[str, OrderWork] = {}
    failure: ConnectorError | None = None
    for change in changes:
        answer = fetched[change.order_no]
        if isinstance(answer, ConnectorError) and answer.retryable:
            # Not consumed: the cursor stays before it and the next poll fetches it again.
            failure = answer
            failed = _work(change, answer)
            failed.notified_at = change.notified_at
            works.setdefault(change.order_no, failed)
            break
        work = works.setdefault(change.order_no, _work(change, answer))
        if work.notified_at is None or change.notified_at > work.notified_at:
            work.notified_at = change.notified_at
        cursor = str(change.seq)
    return list(works.values()), cursor, failure


def _work(change: FeedChange, answer: SupplierOrder | ConnectorError) -> OrderWork:
    work = OrderWork(change.order_no, change.supplier_account, change.notified_at)
    if isinstance(answer, ConnectorError):
        detail = answer.detail if isinstance(answer.detail, dict) else {}
        work.error, work.retryable = answer.message, answer.retryable
        work.buyer_po_number = detail.get("buyer_po_number")
    else:
        work.order = answer
    return work


def _consumed(changes: list[FeedChange], cursor: str | None) -> int:
    last = int(cursor) if cursor and cursor.isdigit() else None
    return sum(1 for c in changes if last is not None and c.seq <= last)


async def _ask_catalog(rt: Runtime, orders: list[SupplierOrder], attempts: int) -> CatalogAnswers:
    """Look each part posync does not know up in the cloud catalog (None: not found)."""
    answers = CatalogAnswers()
    keys = part_keys(orders)
    if not keys:
        return answers
    unknown = await asyncio.to_thread(_unknown, rt.db, keys)
    if not unknown:
        return answers
    client = catalog_client(rt, attempts=attempts)
    if client is None:
        answers.unavailable = "no cloud catalog is set up"
        return answers
    gate = asyncio.Semaphore(FETCHES_AT_ONCE)

    async def lookup(key: PartKey) -> None:
        async with gate:
            try:
                answers.products[key] = await client.lookup(supplier_part_no=key[0], upc=key[1])
            except ConnectorError as exc:
                answers.unavailable = exc.message

    async with client:
        await asyncio.gather(*map(lookup, unknown))
    return answers


def _unknown(db: Database, keys: set[PartKey]) -> set[PartKey]:
    with db.reader() as session:
        return unknown_parts(session, keys)


# --- the transaction ---------------------------------------------------------------------------


def read_cursor(db: Database) -> str | None:
    with db.reader() as session:
        state = session.get(ConnectorState, CONNECTOR)
        return state.cursor if state else None


def apply_page(
    db: Database,
    works: list[OrderWork],
    answers: CatalogAnswers,
    cursor: str | None,
    *,
    fence: Fence | None = None,
    now: datetime | None = None,
) -> ApplyResult:
    """Apply a page of supplier orders and store the cursor in one transaction (under the
    poll's lease when ``fence`` is given: LeaseLost, and nothing applied, once it is lost)."""
    now = now or utcnow()
    try:
        with db.session() as session:
            if fence is not None:
                fence.check(session)
            return _apply_and_note(session, works, answers, cursor, now)
    except (*_SYSTEMIC, LeaseLost):
        # The database itself is unwell, or another process polls now: nothing is applied.
        raise
    except Exception:
        # Something the rules did not foresee failed while writing (say, a value the database
        # refused). Find the order(s) at fault by trying each alone, then apply the rest.
        bad = _orders_that_fail(db, works, answers, now)
        if not bad:
            raise
        works = [_refused(w, bad[id(w)]) if id(w) in bad else w for w in works]
        with db.session() as session:
            if fence is not None:
                fence.check(session)
            return _apply_and_note(session, works, answers, cursor, now)


def _refused(work: OrderWork, message: str) -> OrderWork:
    buyer = work.order.buyer_po_number if work.order else work.buyer_po_number
    return OrderWork(
        work.order_no,
        work.supplier_account,
        work.notified_at,
        error=message,
        buyer_po_number=buyer,
        po_id=work.po_id,
    )


def _apply_and_note(
    session: Session, works, answers, cursor: str | None, now: datetime
) -> ApplyResult:
    result = apply_orders(session, works, answers, now)
    state = session.get(ConnectorState, CONNECTOR)
    if state is None:
        state = ConnectorState(name=CONNECTOR)
        session.add(state)
    state.cursor = cursor
    note_change(session, "connector")
    if result.po_ids:
        note_change(session, "purchase_order", sorted(result.po_ids))
    if result.item_ids:
        note_change(session, "item", sorted(result.item_ids))
    if result.vendor_ids:
        note_change(session, "vendor", sorted(result.vendor_ids))
    if result.notifications:
        note_change(session, "notification")
    return result


class _TryOnly(Exception):
    pass


# Failures of the database rather than of one order's data.
_SYSTEMIC = (OperationalError, InterfaceError)


def _orders_that_fail(db: Database, works, answers, now) -> dict[int, str]:
    bad: dict[int, str] = {}
    for work in works:
        try:
            with db.session() as session:
                apply_orders(session, [work], answers, now)
                raise _TryOnly
        except _TryOnly:
            continue
        except _SYSTEMIC:
            raise
        except Exception as exc:
            bad[id(work)] = (
                f"Supplier order {work.order_no} could not be saved ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0][:200]}); nothing of it was changed"
            )
    return bad


def summary(changes: int, result: ApplyResult) -> str:
    if not changes:
        return "No supplier changes"
    parts = [f"{changes} supplier change{'s' if changes != 1 else ''}"]
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


async def refresh(rt: Runtime, po_ids: list[int], *, attempts: int = 4) -> list[RefreshResult]:
    """Fetch each PO's supplier order now and apply it; record the failure of those that fail."""
    targets = await asyncio.to_thread(_targets, rt.db, po_ids)
    results: dict[int, RefreshResult] = {}
    works: list[OrderWork] = []
    gate = asyncio.Semaphore(FETCHES_AT_ONCE)

    async def fetch(t: _Target) -> None:
        if not t.auto_sync:
            results[t.po_id] = RefreshResult(
                t.po_id, t.number, False, f"Auto-sync is off for {t.number}: nothing to refresh"
            )
            return
        if not t.supplier_account:
            message = f"The vendor of {t.number} has no supplier account to sync with"
            results[t.po_id] = RefreshResult(t.po_id, t.number, False, message)
            return
        work = OrderWork(t.supplier_order_no, t.supplier_account, po_id=t.po_id)
        async with gate:
            try:
                if t.supplier_order_no:
                    work.order = await supplier.order(t.supplier_order_no)
                else:
                    found = await supplier.orders_for_po(t.supplier_account, t.number)
                    if not found:
                        work.error = f"The supplier has no order for {t.number} yet"
                    else:
                        work.order, work.order_no = found[0], found[0].order_no
            except ConnectorError as exc:
                work.error = exc.message
        work.retryable = work.error is not None  # shown to the operator, not notified
        works.append(work)

    async with supplier_client(rt, attempts=attempts) as supplier:
        await asyncio.gather(*map(fetch, targets))
    if works:
        answers = await _ask_catalog(rt, [w.order for w in works if w.order], attempts)
        applied = await asyncio.to_thread(_apply_refresh, rt.db, works, answers)
        synced = await asyncio.to_thread(_synced_at, rt.db, [w.po_id for w in works])
        for t in targets:
            if t.po_id in results:
                continue
            error = applied.po_errors.get(t.po_id)
            if error is None:
                message = f"{t.number} matches the supplier's order"
                results[t.po_id] = RefreshResult(t.po_id, t.number, True, message, synced[t.po_id])
            else:
                results[t.po_id] = RefreshResult(t.po_id, t.number, False, error, synced[t.po_id])
    return [results[t.po_id] for t in targets]


def _targets(db: Database, po_ids: list[int]) -> list[_Target]:
    with db.reader() as session:
        rows = session.execute(
            select(
                PurchaseOrder.id,
                PurchaseOrder.number,
                PurchaseOrder.auto_sync,
                PurchaseOrder.supplier_order_no,
                Vendor.supplier_account,
            )
            .join(Vendor, Vendor.id == PurchaseOrder.vendor_id)
            .where(PurchaseOrder.id.in_(po_ids))
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
            if work.po_id not in result.po_ids and work.po_id not in result.po_errors:
                result.po_errors[work.po_id] = "The supplier's order could not be matched to it"
        return result


def _synced_at(db: Database, po_ids: list[int]) -> dict[int, datetime | None]:
    with db.reader() as session:
        rows = session.execute(
            select(PurchaseOrder.id, PurchaseOrder.last_synced_at).where(
                PurchaseOrder.id.in_(po_ids)
            )
        )
        return dict(rows.all())
