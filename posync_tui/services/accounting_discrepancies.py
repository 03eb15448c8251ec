"""Accounting › Discrepancies: what QuickBooks holds now against what posync made there.

The scheduled "quickbooks-readback" job (``read_back``, on the lease like every job) reads back
every bill and purchase order posync made — the records its ``partner_link`` rows name — a page
of links at a time, each page read from QuickBooks with paged queries through the client's rate
limiter. It compares vendor, DocNumber, total, line count and state (deleted, voided) with what
posync holds (the total as sent: each line rounded to the currency's precision) and keeps one
``AccountingDiscrepancy`` per differing field, with both values. An operator re-syncs the PO
from posync (a sparse update through the delivery engine) or accepts QuickBooks' version
(recorded in the audit log; not listed again while QuickBooks keeps that value).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from connectors.quickbooks import Txn
from posync_tui import audit
from posync_tui.db import Database
from posync_tui.events import note_change
from posync_tui.leases import Fence
from posync_tui.models import (
    AccountingDiscrepancy,
    DiscrepancyField,
    OutboxMessage,
    OutboxStatus,
    PartnerLink,
    PurchaseOrder,
    PurchaseOrderLine,
    Vendor,
    saved_id,
    utcnow,
)
from posync_tui.money import po_total
from posync_tui.runtime import Runtime
from posync_tui.services.accounting_connection import qbo_client
from posync_tui.services.accounting_rules import QBO_ENTITY, UploadKind

CONNECTOR = "quickbooks"
PAGE = 500  # links read from posync's database per page
CENT = Decimal("0.01")
DELETED, VOIDED, ACTIVE = "deleted", "voided", "active"


@dataclass(frozen=True)
class Held:
    """What posync holds of one record it made in QuickBooks."""

    po_id: int
    entity: str
    qbo_id: str
    vendor: str
    doc_number: str
    total: Decimal
    lines: int


def differences(held: Held, txn: Txn | None) -> dict[DiscrepancyField, tuple[str, str]]:
    """Each field that differs: (posync's value, QuickBooks' value); a total by a cent or more."""
    if txn is None:
        return {DiscrepancyField.STATE: (ACTIVE, DELETED)}
    found: dict[DiscrepancyField, tuple[str, str]] = {}
    if txn.voided:
        found[DiscrepancyField.STATE] = (ACTIVE, VOIDED)
    if txn.vendor_id != held.vendor:
        found[DiscrepancyField.VENDOR] = (held.vendor, txn.vendor_id)
    if txn.doc_number != held.doc_number:
        found[DiscrepancyField.DOC_NUMBER] = (held.doc_number, txn.doc_number)
    if abs(txn.total - held.total) >= CENT:
        found[DiscrepancyField.TOTAL] = (f"{held.total:.2f}", f"{txn.total:.2f}")
    if txn.line_count != held.lines:
        found[DiscrepancyField.LINES] = (str(held.lines), str(txn.line_count))
    return found


def _held_page(s: Session, after: int) -> tuple[list[Held], int]:
    """A page of what posync made in QuickBooks, in link order after link id ``after``; the
    last link id of the page."""
    rows = s.exec(
        select(PartnerLink, PurchaseOrder, Vendor)
        .join(PurchaseOrder, col(PurchaseOrder.id) == col(PartnerLink.record_id))
        .join(Vendor, col(Vendor.id) == col(PurchaseOrder.vendor_id))
        .where(
            PartnerLink.connector == CONNECTOR,
            PartnerLink.record_kind == "purchase_order",
            col(PartnerLink.id) > after,
        )
        .order_by(col(PartnerLink.id))
        .limit(PAGE)
    ).all()
    po_ids = [saved_id(po) for _, po, _ in rows]
    lines: dict[int, list[PurchaseOrderLine]] = {}
    for line in s.exec(
        select(PurchaseOrderLine).where(
            col(PurchaseOrderLine.po_id).in_(po_ids), col(PurchaseOrderLine.hidden).is_(False)
        )
    ):
        lines.setdefault(line.po_id, []).append(line)
    held = [_held(link, po, vendor, lines.get(saved_id(po), [])) for link, po, vendor in rows]
    return held, (rows[-1][0].id or after) if rows else after


def _held(
    link: PartnerLink, po: PurchaseOrder, vendor: Vendor, lines: list[PurchaseOrderLine]
) -> Held:
    """What posync holds: the total as sent (each line rounded to the currency's precision)."""
    total = po_total(((_quantity(x), x.unit_cost) for x in lines), po.currency)
    return Held(
        po_id=saved_id(po),
        entity=link.partner_kind,
        qbo_id=link.partner_id,
        vendor=vendor.qbo_vendor_id or "",
        doc_number=link.doc_number or "",
        total=total,
        lines=len(lines),
    )


def _quantity(line: PurchaseOrderLine) -> Decimal:
    if line.quantity_confirmed is not None:
        return line.quantity_confirmed
    return line.quantity_ordered


async def read_back(rt: Runtime, fence: Fence) -> str:
    """The scheduled job: read back everything posync made, record the discrepancies."""
    after, checked, found = 0, 0, 0
    async with qbo_client(rt) as client:
        while True:
            page, after = await asyncio.to_thread(_read_page, rt.db, after)
            if not page:
                break
            txns: dict[str, Txn] = {}
            for entity in {h.entity for h in page}:
                ids = [h.qbo_id for h in page if h.entity == entity]
                txns.update(await client.read_back(entity, ids))
            found += await asyncio.to_thread(_store, rt.db, fence, page, txns)
            checked += len(page)
    if not checked:
        return "nothing made in QuickBooks to read back"
    return f"read back {checked} from QuickBooks, {found} discrepancies"


def _read_page(db: Database, after: int) -> tuple[list[Held], int]:
    with db.reader() as s:
        return _held_page(s, after)


def _store(db: Database, fence: Fence, page: list[Held], txns: dict[str, Txn]) -> int:
    """Replace the page's discrepancies with what was found now; an accepted difference stays
    accepted while QuickBooks keeps the value that was accepted."""
    now = utcnow()
    with db.session() as s:
        fence.check(s)
        ids = [h.po_id for h in page]
        known = {
            (d.po_id, d.field): d
            for d in s.exec(
                select(AccountingDiscrepancy).where(col(AccountingDiscrepancy.po_id).in_(ids))
            )
        }
        open_count = 0
        for held in page:
            diffs = differences(held, txns.get(held.qbo_id))
            for name in DiscrepancyField:
                row = known.get((held.po_id, name))
                if name not in diffs:
                    if row is not None:
                        s.delete(row)
                    continue
                ours, theirs = diffs[name]
                if row is None:
                    row = AccountingDiscrepancy(
                        po_id=held.po_id, entity=held.entity, qbo_id=held.qbo_id, field=name
                    )
                    s.add(row)
                elif row.qbo_value != theirs:
                    row.accepted = False  # QuickBooks changed again since it was accepted
                row.entity, row.qbo_id, row.found_at = held.entity, held.qbo_id, now
                row.posync_value, row.qbo_value = ours[:200], theirs[:200]
                open_count += not row.accepted
        note_change(s, "accounting_discrepancy")
    return open_count


# --- the tab -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiscrepancyRow:
    id: int
    po_id: int
    number: str
    vendor_name: str
    entity: str
    qbo_id: str
    field: str
    posync_value: str
    qbo_value: str


def list_discrepancies(db: Database, *, offset: int = 0, limit: int = 200) -> list[DiscrepancyRow]:
    """The differences not accepted, by PO number."""
    with db.reader() as s:
        rows = s.exec(
            select(AccountingDiscrepancy, PurchaseOrder.number, Vendor.name)
            .join(PurchaseOrder, col(PurchaseOrder.id) == col(AccountingDiscrepancy.po_id))
            .join(Vendor, col(Vendor.id) == col(PurchaseOrder.vendor_id))
            .where(col(AccountingDiscrepancy.accepted).is_(False))
            .order_by(col(PurchaseOrder.number), col(AccountingDiscrepancy.field))
            .offset(offset)
            .limit(limit)
        ).all()
    return [
        DiscrepancyRow(
            d.id or 0, d.po_id, number, name, d.entity, d.qbo_id, d.field, d.posync_value,
            d.qbo_value,
        )
        for d, number, name in rows
    ]  # fmt: skip


def discrepancy_count(db: Database) -> int:
    with db.reader() as s:
        return s.exec(
            select(func.count())
            .select_from(AccountingDiscrepancy)
            .where(col(AccountingDiscrepancy.accepted).is_(False))
        ).one()


def accept(db: Database, discrepancy_id: int, *, by: str = audit.OPERATOR) -> None:
    """Accept QuickBooks' version of one field: recorded in the PO's history."""
    with db.session() as s:
        row = s.get(AccountingDiscrepancy, discrepancy_id)
        if row is None:
            raise LookupError("That discrepancy was resolved meanwhile.")
        row.accepted = True
        change = audit.Change(
            "purchase_order",
            row.po_id,
            f"QuickBooks {row.field} accepted",
            row.posync_value,
            row.qbo_value,
            row.po_id,
        )
        audit.record(s, [change], source=by)
        note_change(s, "accounting_discrepancy")


class ResyncRefused(Exception):
    """The PO cannot be re-synced now; the message says why."""


def resync(db: Database, po_id: int, *, by: str = audit.OPERATOR) -> int:
    """Send posync's version again: an outbox message that updates (sparse) what the PO became
    in QuickBooks, or makes it again if it was deleted there. Its id."""
    from posync_tui.delivery import note_outbox
    from posync_tui.services.accounting import add_outbox

    with db.session() as s:
        po = s.get(PurchaseOrder, po_id)
        link = s.exec(
            select(PartnerLink).where(
                PartnerLink.connector == CONNECTOR,
                PartnerLink.record_kind == "purchase_order",
                PartnerLink.record_id == po_id,
            )
        ).first()
        if po is None or link is None:
            raise ResyncRefused("posync made nothing in QuickBooks for that PO.")
        busy = s.exec(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.connector == CONNECTOR,
                OutboxMessage.record_id == po_id,
                OutboxMessage.record_kind == "purchase_order",
                col(OutboxMessage.status).in_(
                    [OutboxStatus.PENDING, OutboxStatus.CLAIMED, OutboxStatus.DECISION]
                ),
            )
        ).one()
        if busy:
            raise ResyncRefused(f"PO {po.number} is already on its way to QuickBooks.")
        kind = next(k for k, entity in QBO_ENTITY.items() if entity == link.partner_kind)
        message_id = add_outbox(s, po, UploadKind(kind), db.installation_id(), {"resync": True})
        change = audit.Change("purchase_order", po_id, "QuickBooks re-sync", None, "queued", po_id)
        audit.record(s, [change], source=by)
        s.execute(delete(AccountingDiscrepancy).where(col(AccountingDiscrepancy.po_id) == po_id))
        note_outbox(s, CONNECTOR, [message_id])
        note_change(s, "accounting_discrepancy")
        return message_id
