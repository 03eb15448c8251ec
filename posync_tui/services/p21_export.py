"""Exporting POs to Prophet 21 through the outbox, linking backorders when the setting is on.

``export_po`` queues a PO (an outbox message, in the transaction that checks it may go); the
"p21" job runs the delivery engine with ``P21Adapter``. For each message the adapter reads the
PO as it is now and sends it, header and lines (a cancelled line as cancelled); when "Link
Backorders to POs" is on it also sends the PO's whole link set (``p21_links.plan``), which P21
applies in one transaction: all links of one PO land, or none. The answer — P21's ``oe_line_po``
rows for the PO — is mirrored in ``backorder_link`` when the message is settled.

Bad input ends in a clear message, on the PO and as a notification: an item P21 does not know
(nothing is stored), a sales order closed in P21 meanwhile (no link is written; the order is
marked closed in posync too, so the next export links the next-oldest lines), an outage part-way
(P21 rolls the links back; the export is looked up and sent again on the next run).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, col, select

from connectors.base import ConnectorError, PartnerUnavailable
from connectors.p21 import (
    LinkRequest,
    OeLinePo,
    P21Client,
    P21Line,
    P21PurchaseOrder,
    P21Refused,
)
from posync_tui import audit, delivery
from posync_tui.db import Database
from posync_tui.delivery import Answer, Message, NoAnswer, Outcome, Refused, Request
from posync_tui.events import note_change
from posync_tui.leases import Fence
from posync_tui.models import (
    OPEN_OUTBOX_STATUSES,
    Item,
    NotificationKind,
    OutboxMessage,
    OutboxStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    SalesOrder,
    SyncNotification,
    Vendor,
    saved_id,
    utcnow,
)
from posync_tui.runtime import Runtime
from posync_tui.services import app_settings, p21_links
from posync_tui.services.app_settings import LINK_BACKORDERS

CONNECTOR = "p21"
KIND = "po_export"
NOTHING = "nothing waiting to export to P21"
WAITING = (OutboxStatus.PENDING, OutboxStatus.CLAIMED)
TROUBLE = (OutboxStatus.FAILED, OutboxStatus.DECISION)


class ExportRefused(ValueError):
    """The PO cannot be queued for export now; says why."""


def export_po(db: Database, po_id: int) -> int:
    """Queue the PO for export to P21 (again, after a change); its outbox message's id."""
    installation = db.installation_id()
    with db.session() as s:
        po = s.get(PurchaseOrder, po_id)
        if po is None:
            raise ExportRefused(f"PO {po_id} no longer exists")
        earlier = s.exec(_messages_of(po_id).where(col(OutboxMessage.status).in_(WAITING))).first()
        if earlier is not None:
            raise ExportRefused(f"PO {po.number} is already waiting to export to P21")
        deciding = s.exec(
            _messages_of(po_id).where(OutboxMessage.status == OutboxStatus.DECISION)
        ).first()
        if deciding is not None:
            raise ExportRefused(
                f"PO {po.number} may already be in P21: decide on its last export first"
            )
        for failed in s.exec(
            _messages_of(po_id).where(OutboxMessage.status == OutboxStatus.FAILED)
        ):
            failed.status, failed.updated_at = OutboxStatus.CANCELLED, utcnow()
        count = s.exec(select(func.count()).select_from(_messages_of(po_id).subquery())).one()
        message = OutboxMessage(
            connector=CONNECTOR,
            kind=KIND,
            record_kind="purchase_order",
            record_id=po_id,
            idempotency_key=f"{installation}:p21:po:{po_id}:{count + 1}",
        )
        s.add(message)
        s.flush()
        delivery.note_outbox(s, CONNECTOR, [saved_id(message)])
        note_change(s, "purchase_order", [po_id])
        return saved_id(message)


def _messages_of(po_id: int):
    return select(OutboxMessage).where(
        OutboxMessage.connector == CONNECTOR,
        OutboxMessage.record_kind == "purchase_order",
        OutboxMessage.record_id == po_id,
    )


@dataclass(frozen=True)
class ExportState:
    status: OutboxStatus
    text: str


def export_state(db: Database, po_id: int) -> ExportState | None:
    """Where the PO's last export to P21 stands, in words; None if it was never exported."""
    with db.reader() as s:
        last = s.exec(_messages_of(po_id).order_by(col(OutboxMessage.id).desc())).first()
    if last is None:
        return None
    status = OutboxStatus(last.status)
    if status == OutboxStatus.SENT:
        text = "exported to P21"
    elif status in WAITING:
        text = "waiting to export to P21"
        if last.last_error:
            text += f" (last try: {last.last_error})"
    elif status == OutboxStatus.CANCELLED:
        text = "export to P21 cancelled"
    else:
        text = f"P21 export failed: {last.last_error or last.error_code}"
    return ExportState(status, text)


def queue_counts(db: Database) -> tuple[int, int]:
    """Exports waiting, and exports refused or waiting for a decision."""
    with db.reader() as s:
        rows = s.exec(
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.connector == CONNECTOR)
            .where(col(OutboxMessage.status).in_([*OPEN_OUTBOX_STATUSES, OutboxStatus.FAILED]))
            .group_by(OutboxMessage.status)
        ).all()
    counts = dict(rows)
    return sum(counts.get(s, 0) for s in WAITING), sum(counts.get(s, 0) for s in TROUBLE)


# --- delivery ---------------------------------------------------------------------------------


async def deliver(rt: Runtime, *, fence: Fence, client: P21Client | None = None) -> str:
    """Export every waiting PO to P21 under the "p21" lease; a plain summary."""
    if not await asyncio.to_thread(delivery.has_work, rt.db, CONNECTOR):
        return NOTHING
    if client is None:
        from posync_tui.services.p21_partner import p21_client

        client = p21_client(rt)
    async with client:
        tally = await delivery.deliver(rt.db, P21Adapter(client), fence)
    return ", ".join(tally.said("exported to P21", "refused", see="Notices")) or NOTHING


@dataclass(frozen=True)
class Export:
    po: P21PurchaseOrder
    links: list[LinkRequest] | None  # None: the setting is off, P21's links are left alone


class P21Records:
    """What an export's outcome means for its PO (also used by an operator's decisions)."""

    def __init__(self) -> None:
        self.closed_orders: set[str] = set()  # sales orders P21 said are closed, this run

    def record(self, s: Session, message: OutboxMessage, outcome: Outcome) -> None:
        po = s.get(PurchaseOrder, message.record_id)
        if po is None:
            return
        if outcome.status == OutboxStatus.SENT:
            assert outcome.answer is not None  # a message is sent when P21 answered
            made = p21_links.mirror(s, saved_id(po), outcome.answer.record)
            words = f"exported to P21, {made} backorder link{'s' if made != 1 else ''}"
            audit.record(
                s,
                [audit.Change("purchase_order", saved_id(po), "p21", None, words, po.id)],
                source=CONNECTOR,
            )
        elif outcome.status in (OutboxStatus.FAILED, OutboxStatus.DECISION):
            self._close_orders(s)
            s.add(
                SyncNotification(
                    kind=NotificationKind.UPLOAD_ERROR,
                    vendor_id=po.vendor_id,
                    po_id=po.id,
                    message=f"PO {po.number} was not exported to Prophet 21: {outcome.text}",
                )
            )

    def _close_orders(self, s: Session) -> None:
        if not self.closed_orders:
            return
        orders = s.exec(
            select(SalesOrder).where(col(SalesOrder.number).in_(sorted(self.closed_orders)))
        )
        for order in orders:
            if order.status != "closed":
                audit.edit(
                    s,
                    order,
                    {"status": "closed", "updated_at": utcnow()},
                    record_kind="sales_order",
                    po_id=None,
                    source=CONNECTOR,
                )
        self.closed_orders.clear()

    def changed(self, s: Session, messages: Sequence[OutboxMessage]) -> None:
        note_change(s, "purchase_order", [m.record_id for m in messages])
        if any(m.status != OutboxStatus.PENDING for m in messages):
            note_change(s, "notification")
            note_change(s, "backorder_link", [m.record_id for m in messages])


class P21Adapter(P21Records):
    """The delivery engine's partner adapter for Prophet 21."""

    connector = CONNECTOR
    batch_size = 20

    def __init__(self, client: P21Client):
        super().__init__()
        self.client = client

    def build(self, s: Session, messages: Sequence[Message]) -> dict[int, Request | Refused]:
        linking = app_settings.is_on(s, LINK_BACKORDERS)
        taken: dict[int, Decimal] = {}  # what the batch's earlier POs cover
        built: dict[int, Request | Refused] = {}
        for message in messages:
            po = s.get(PurchaseOrder, message.record_id)
            if po is None:
                built[message.id] = Refused("not ready", "The PO no longer exists.")
                continue
            lines = s.exec(
                select(PurchaseOrderLine)
                .where(PurchaseOrderLine.po_id == po.id)
                .order_by(col(PurchaseOrderLine.line_no))
            ).all()
            missing = [str(ln.line_no) for ln in lines if ln.item_id is None and not ln.hidden]
            if not lines or missing:
                reason = (
                    "it has no lines" if not lines else f"line {', '.join(missing)} has no item"
                )
                built[message.id] = Refused("not ready", f"PO {po.number}: {reason}.")
                continue
            links = p21_links.plan(s, po, lines, taken) if linking else None
            export = Export(_p21_po(s, po, lines), _requests(links))
            built[message.id] = Request(message, export, {"po_no": po.number})
        return built

    async def send(self, requests: Sequence[Request]) -> dict[int, Answer | Exception]:
        answers: dict[int, Answer | Exception] = {}
        for request in requests:
            export: Export = request.body
            key = request.message.key
            try:
                await self.client.export_po(export.po, key=f"{key}:po")
                if export.links is None:
                    rows = await self.client.links(export.po.po_no)
                else:
                    rows = await self.client.write_links(
                        export.po.po_no, export.links, key=f"{key}:links"
                    )
            except P21Refused as exc:
                if exc.code == "closed sales order" and exc.subject:
                    self.closed_orders.add(exc.subject)
                answers[request.message.id] = Refused(exc.code[:20], _refusal(exc))
            except PartnerUnavailable:
                raise  # P21 is down: the rest wait for the next run (looked up first)
            except ConnectorError as exc:
                answers[request.message.id] = NoAnswer(str(exc))
            else:
                answers[request.message.id] = _answer(export.po.po_no, rows)
        return answers

    async def look_up(self, requests: Sequence[Request]) -> dict[int, Answer]:
        found: dict[int, Answer] = {}
        for request in requests:
            export: Export = request.body
            held = await self.client.purchase_order(export.po.po_no)
            if held is None or held.lines != export.po.lines:
                continue  # not there, or not as sent: send it (again)
            rows = await self.client.links(export.po.po_no)
            answer = _answer(export.po.po_no, rows)
            if export.links is None or self.check(request, answer) is None:
                found[request.message.id] = answer
        return found

    def check(self, request: Request, answer: Answer) -> str | None:
        export: Export = request.body
        if export.links is None:
            return None
        held = {row.wanted() for row in answer.record if row.active}
        wanted = set(export.links)
        if held == wanted:
            return None
        return f"P21 holds {len(held)} links for the PO, {len(wanted)} were sent"


def _requests(covers: list[p21_links.Cover] | None) -> list[LinkRequest] | None:
    if covers is None:
        return None
    return [
        LinkRequest(c.order_number, c.line_number, c.po_line_number, c.quantity) for c in covers
    ]


def _p21_po(s: Session, po: PurchaseOrder, lines: Sequence[PurchaseOrderLine]) -> P21PurchaseOrder:
    items = {
        saved_id(i): i.sku
        for i in s.exec(select(Item).where(col(Item.id).in_([ln.item_id for ln in lines])))
    }
    vendor = s.get(Vendor, po.vendor_id)
    assert vendor is not None  # a PO's vendor is a foreign key
    return P21PurchaseOrder(
        po.number,
        vendor.code,
        po.order_date,
        [
            P21Line(
                ln.line_no,
                items.get(ln.item_id or 0, ln.supplier_part_no or "?"),
                ln.quantity_ordered,
                ln.unit_cost,
                cancelled=p21_links.cancelled(po, ln),
            )
            for ln in lines
        ],
    )


def _answer(po_no: str, rows: list[OeLinePo]) -> Answer:
    return Answer(partner_id=po_no, doc_number=po_no, record=[r for r in rows if r.active])


def _refusal(exc: P21Refused) -> str:
    if exc.code == "unknown item":
        return f"{exc.message}. Add the item to P21 (or fix the line's item), then export again."
    if exc.code == "closed sales order":
        return (
            f"{exc.message}: no link was written. It is now closed in posync too; export the "
            "PO again to link the next-oldest backorders."
        )
    return exc.message
