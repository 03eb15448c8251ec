"""Delivering the QuickBooks outbox: the scheduled "quickbooks" job, and the Contacts calls.

``deliver`` reads the waiting outbox rows, checks each PO against the rules again (it may have
changed since it was queued), builds the Bill or PurchaseOrder, and sends them 30 to a batch.
Each answer is applied in its own transaction: success → Accounting Status "Imported" (bills),
the QuickBooks id and DocNumber stored, the row leaves the queue; refusal → the PO moves to its
Errors tab with QuickBooks' code and message, and an "upload error" notification is raised.

The attempt count is raised BEFORE sending, so after a crash or a lost answer the next run
looks the DocNumber up first, and a retry never makes a second bill.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from sqlmodel import Session, select

from connectors.base import ConnectorError
from connectors.quickbooks import (
    BatchItem,
    BatchOutcome,
    ExpenseLine,
    NotFound,
    QuickBooksClient,
    QuickBooksError,
    TxnDraft,
)
from posync_tui.db import Database
from posync_tui.events import note_change
from posync_tui.leases import Fence
from posync_tui.models import (
    AccountingStatus,
    AuditEntry,
    Item,
    NotificationKind,
    OutboxMessage,
    OutboxStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    SyncNotification,
    Vendor,
    utcnow,
)
from posync_tui.runtime import Runtime
from posync_tui.services.accounting_connection import qbo_client
from posync_tui.services.accounting_rules import (
    UploadKind,
    UploadState,
    blockers,
    qbo_doc_number,
    reference_for,
)

CONNECTOR = "quickbooks"
Progress = Callable[[int, int], None]

IN_FLIGHT = 3  # batches being prepared, sent or applied at once

KIND_WORDS = {
    UploadKind.BILL: "sync as a bill",
    UploadKind.PURCHASE_ORDER: "upload as a purchase order",
}


# --- deliver ----------------------------------------------------------------------------------


@dataclass
class Plan:
    """One outbox row ready to send."""

    message_id: int
    po_id: int
    kind: UploadKind
    requestid: str
    draft: TxnDraft
    update_id: str | None  # the QuickBooks bill to replace (a PO reset for re-import)
    lookup_first: bool  # an earlier attempt may have reached QuickBooks

    @property
    def bid(self) -> str:
        return str(self.message_id)


async def deliver(
    rt: Runtime, *, fence: Fence | None = None, progress: Progress | None = None
) -> str:
    """Send every waiting upload to QuickBooks; a summary in plain words.

    Batches go out ``IN_FLIGHT`` at a time, so that the database work for one (one batch at a
    time) overlaps the round trip of another and the client's rate limiter, not this loop, sets
    the pace. Raises ReconnectQuickBooks (sign-in refused) or PartnerUnavailable (QuickBooks
    unreachable after retries); the rows not sent stay waiting and go out on the next run.
    """
    waiting = await asyncio.to_thread(_waiting, rt.db)
    if not waiting:
        return "nothing waiting to upload to QuickBooks"
    setting_on = rt.settings.quickbooks.upload_pos_as_purchase_orders
    totals = [0, 0, 0]  # uploaded, failed, to try again
    done = 0
    async with qbo_client(rt) as client:
        size = client.limits.batch_size
        account: asyncio.Task[str] | None = None  # asked for once, by the first batch needing it
        slots = asyncio.Semaphore(IN_FLIGHT)
        # One batch at a time in the database: two writers would wait on SQLite's lock by
        # sleeping, slower than taking turns.
        db_turn = asyncio.Lock()

        async def one(chunk: list[int]) -> None:
            nonlocal account, done
            async with slots:
                async with db_turn:
                    plans, refused = await asyncio.to_thread(_prepare, rt.db, chunk, setting_on)
                totals[1] += refused
                if any(_needs_account(p.draft) for p in plans):
                    if account is None:
                        account = asyncio.ensure_future(client.default_expense_account())
                    account_id = await account
                    plans = [replace(p, draft=_with_account(p.draft, account_id)) for p in plans]
                outcomes = await _send(client, plans)
                async with db_turn:
                    counts = await asyncio.to_thread(_apply, rt.db, plans, outcomes)
            for i, count in enumerate(counts):
                totals[i] += count
            done += len(chunk)
            if progress is not None:
                progress(done, len(waiting))

        batches = [
            asyncio.ensure_future(one(waiting[start : start + size]))
            for start in range(0, len(waiting), size)
        ]
        try:
            await asyncio.gather(*batches)
        except BaseException:
            # The first error stops the run as it is; batches not sent stay waiting (those
            # under way may have reached QuickBooks: their next attempt looks them up first).
            for batch in batches:
                batch.cancel()
            await asyncio.gather(*batches, return_exceptions=True)
            raise
    uploaded, failed, unknown = totals
    parts = [f"{uploaded} uploaded to QuickBooks"]
    if failed:
        parts.append(f"{failed} failed (see the Errors tabs)")
    if unknown:
        parts.append(f"{unknown} to try again")
    return ", ".join(parts)


async def _send(client: QuickBooksClient, plans: list[Plan]) -> dict[str, BatchOutcome]:
    outcomes: dict[str, BatchOutcome] = {}
    creates = [p for p in plans if p.update_id is None]
    items = {p.bid: BatchItem(p.bid, p.draft, p.requestid) for p in creates}
    recheck = [items[p.bid] for p in creates if p.lookup_first]
    if recheck:
        for bid, txn in (await client.find_created(recheck)).items():
            outcomes[bid] = BatchOutcome(bid, txn=txn)
            items.pop(bid)
    if items:
        outcomes.update(await client.batch_create(list(items.values())))
    for plan in (p for p in plans if p.update_id is not None):
        try:
            txn = await client.update(plan.update_id, plan.draft)
        except NotFound:
            # The bill was deleted in QuickBooks since: make it again.
            txn = await client.create(plan.draft, requestid=plan.requestid, lookup_first=True)
        except QuickBooksError as exc:
            outcomes[plan.bid] = BatchOutcome(plan.bid, error=exc)
            continue
        outcomes[plan.bid] = BatchOutcome(plan.bid, txn=txn)
    return outcomes


def _waiting(db: Database) -> list[int]:
    with db.reader() as s:
        query = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.connector == CONNECTOR,
                OutboxMessage.status == OutboxStatus.PENDING,
            )
            .order_by(OutboxMessage.id)
        )
        return list(s.exec(query).all())


def _prepare(db: Database, message_ids: list[int], setting_on: bool) -> tuple[list[Plan], int]:
    """Check and build each row; count the attempt before anything is sent (one transaction)."""
    plans, refused = [], 0
    # Every read here is of rows this transaction has not changed: flushing before each (the
    # ORM's default) only costs time; the commit writes everything once.
    with db.session() as s, s.no_autoflush:
        messages = s.exec(select(OutboxMessage).where(OutboxMessage.id.in_(message_ids))).all()
        lines = _lines_of(s, [m.record_id for m in messages])
        for message in messages:
            if message.status != OutboxStatus.PENDING:
                continue  # another process delivered it meanwhile
            po = s.get(PurchaseOrder, message.record_id)
            kind = UploadKind(message.kind)
            vendor = s.get(Vendor, po.vendor_id) if po else None
            reasons = ["The PO no longer exists."] if po is None else []
            if po is not None and not reasons:
                # The rules again, minus "waiting" itself (that is this row).
                reasons = blockers(po, vendor, kind, setting_on=setting_on)
            if reasons:
                _fail(s, message, po, kind, "not ready", " ".join(reasons), tid=None)
                refused += 1
                continue
            details = json.loads(message.payload or "{}")
            if not details:  # fixed at the first attempt, so a retry sends the same DocNumber
                reference = reference_for(po, kind)
                details = {"reference": reference, "doc_number": qbo_doc_number(reference)}
                message.payload = json.dumps(details, sort_keys=True)
            lookup_first = message.attempts > 0
            message.attempts += 1
            plans.append(
                Plan(
                    message_id=message.id,
                    po_id=po.id,
                    kind=kind,
                    requestid=message.idempotency_key,
                    draft=_draft(po, vendor, kind, details, lines.get(po.id, [])),
                    update_id=po.qbo_id
                    if kind == UploadKind.BILL and po.qbo_kind == kind
                    else None,
                    lookup_first=lookup_first,
                )
            )
        note_change(s, "outbox", [p.message_id for p in plans])
        if refused:
            note_change(s, "purchase_order")
            note_change(s, "notification")
    return plans, refused


def _lines_of(
    s: Session, po_ids: list[int]
) -> dict[int, list[tuple[PurchaseOrderLine, Item | None]]]:
    """The shown lines of these POs with their items, in line order: one query for a batch."""
    rows = s.exec(
        select(PurchaseOrderLine, Item)
        .join(Item, Item.id == PurchaseOrderLine.item_id, isouter=True)
        .where(PurchaseOrderLine.po_id.in_(po_ids), PurchaseOrderLine.hidden.is_(False))
        .order_by(PurchaseOrderLine.po_id, PurchaseOrderLine.line_no)
    ).all()
    found: dict[int, list[tuple[PurchaseOrderLine, Item | None]]] = {}
    for line, item in rows:
        found.setdefault(line.po_id, []).append((line, item))
    return found


def _draft(
    po: PurchaseOrder,
    vendor: Vendor,
    kind: UploadKind,
    details: dict,
    rows: list[tuple[PurchaseOrderLine, Item | None]],
) -> TxnDraft:
    lines = []
    for line, item in rows:
        quantity = (
            line.quantity_confirmed
            if line.quantity_confirmed is not None
            else line.quantity_ordered
        )
        amount = (quantity * line.unit_cost).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        label = item.sku if item else (line.supplier_part_no or "")
        description = " — ".join(p for p in (label, line.description) if p)
        lines.append(
            ExpenseLine(
                amount=amount,
                description=description,
                item_id=item.qbo_item_id if item else None,
                quantity=quantity,
                unit_price=line.unit_cost,
            )
        )
    return TxnDraft(
        entity="Bill" if kind == UploadKind.BILL else "PurchaseOrder",
        vendor_id=vendor.qbo_vendor_id,
        doc_number=details["doc_number"],
        txn_date=po.invoice_date if kind == UploadKind.BILL else po.order_date,
        lines=tuple(lines),
        currency=po.currency,
        # The whole reference travels in the memo when QuickBooks only keeps 21 characters.
        private_note=f"posync {po.number}; reference {details['reference']}",
    )


def _needs_account(draft: TxnDraft) -> bool:
    return any(not line.item_id for line in draft.lines)


def _with_account(draft: TxnDraft, account_id: str) -> TxnDraft:
    lines = tuple(
        line if line.item_id else replace(line, account_id=account_id) for line in draft.lines
    )
    return replace(draft, lines=lines)


def _apply(
    db: Database, plans: list[Plan], outcomes: dict[str, BatchOutcome]
) -> tuple[int, int, int]:
    """Store QuickBooks' answers: (uploaded, failed, unknown)."""
    uploaded = failed = unknown = 0
    with db.session() as s, s.no_autoflush:  # as in _prepare: one flush, at the commit
        for plan in plans:
            message = s.get(OutboxMessage, plan.message_id)
            po = s.get(PurchaseOrder, plan.po_id)
            outcome = outcomes.get(plan.bid)
            if outcome is not None and outcome.ok:
                _succeed(s, message, po, plan.kind, outcome)
                uploaded += 1
            elif outcome is not None and isinstance(outcome.error, QuickBooksError):
                error = outcome.error
                _fail(
                    s,
                    message,
                    po,
                    plan.kind,
                    error.code or "QuickBooks",
                    error.message,
                    tid=error.intuit_tid,
                )
                failed += 1
            else:
                # No answer for it: it stays waiting; the next run looks it up first.
                message.last_error = str(outcome.error) if outcome else "no answer from QuickBooks"
                unknown += 1
        note_change(s, "purchase_order", [p.po_id for p in plans])
        note_change(s, "outbox", [p.message_id for p in plans])
        if failed:
            note_change(s, "notification")
    return uploaded, failed, unknown


def _succeed(
    s: Session, message: OutboxMessage, po: PurchaseOrder, kind: UploadKind, outcome: BatchOutcome
) -> None:
    txn = outcome.txn
    now = utcnow()
    message.status, message.sent_at, message.last_error = OutboxStatus.SENT, now, None
    po.qbo_kind, po.qbo_id, po.qbo_doc_number = str(kind), txn.id, txn.doc_number
    po.qbo_synced_at = po.updated_at = now
    po.qbo_upload_state = None
    po.accounting_error = po.accounting_error_code = None
    if kind == UploadKind.BILL and po.accounting_status != AccountingStatus.IMPORTED:
        s.add(
            AuditEntry(
                record_kind="purchase_order",
                record_id=po.id,
                po_id=po.id,
                field="accounting_status",
                old_value=str(po.accounting_status),
                new_value=str(AccountingStatus.IMPORTED),
                source=CONNECTOR,
            )
        )
        po.accounting_status = AccountingStatus.IMPORTED
    for warning in txn.warnings:
        s.add(
            SyncNotification(
                kind=NotificationKind.UPLOAD_ERROR,
                vendor_id=po.vendor_id,
                po_id=po.id,
                message=f"PO {po.number}: {warning}",
            )
        )


def _fail(
    s: Session,
    message: OutboxMessage,
    po: PurchaseOrder | None,
    kind: UploadKind,
    code: str,
    text: str,
    *,
    tid: str | None,
) -> None:
    full = f"{text} (Intuit reference {tid})" if tid else text
    message.status, message.last_error = OutboxStatus.FAILED, full
    if po is None:
        return
    po.qbo_upload_kind = str(kind)
    po.qbo_upload_state = UploadState.ERROR
    po.accounting_error_code, po.accounting_error = code[:20], full
    po.updated_at = utcnow()
    s.add(
        SyncNotification(
            kind=NotificationKind.UPLOAD_ERROR,
            vendor_id=po.vendor_id,
            po_id=po.id,
            message=f"PO {po.number} failed to {KIND_WORDS[kind]} to QuickBooks: {full}",
        )
    )


def plain_error(exc: Exception) -> str:
    return exc.message if isinstance(exc, ConnectorError) else str(exc)
