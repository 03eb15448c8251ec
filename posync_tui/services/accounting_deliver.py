"""Delivering the QuickBooks outbox: the scheduled "quickbooks" job, on the delivery engine.

``deliver`` runs ``posync_tui.delivery`` with ``QuickBooksAdapter``: it checks each PO against the
rules again (it may have changed since it was queued), builds the Bill or PurchaseOrder, sends
them 30 to a batch (``IN_FLIGHT`` batches at once), and looks a record up by DocNumber — and by
the memo carrying its idempotency key, so that another posync's record is never taken for ours
— when an earlier attempt may have reached QuickBooks. ``record`` writes what each outcome means
for the PO: success → Accounting Status "Imported" (bills), and ``changed`` links the PO to
the QuickBooks record (its id and DocNumber, in ``partner_link``); refusal → the PO moves to
its Errors tab with QuickBooks' code and message, and an "upload error" notification is
raised; an outcome nobody can be sure of → the Errors tab too, waiting for an operator's
decision.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlmodel import Session, col, select

from connectors.base import ConnectorError, PartnerUnavailable
from connectors.quickbooks import (
    AuthFailed,
    BatchItem,
    ExpenseLine,
    NotFound,
    QuickBooksClient,
    QuickBooksError,
    ReconnectQuickBooks,
    Txn,
    TxnDraft,
)
from posync_tui import audit, delivery, links
from posync_tui.delivery import Answer, Message, NoAnswer, Outcome, Refused, Request
from posync_tui.events import note_change
from posync_tui.leases import Fence
from posync_tui.models import (
    AccountingStatus,
    Item,
    MappingKind,
    NotificationKind,
    OutboxMessage,
    OutboxStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    SyncNotification,
    Vendor,
    utcnow,
)
from posync_tui.money import line_total
from posync_tui.runtime import Runtime
from posync_tui.services.accounting_checks import facts_for
from posync_tui.services.accounting_connection import qbo_client
from posync_tui.services.accounting_mappings import Mappings, read_mappings
from posync_tui.services.accounting_rules import (
    QBO_ENTITY,
    UploadKind,
    blockers,
    made_as,
    qbo_doc_number,
    reference_for,
)

CONNECTOR = "quickbooks"
NOTHING = "nothing waiting to upload to QuickBooks"

KIND_WORDS = {
    UploadKind.BILL: "sync as a bill",
    UploadKind.PURCHASE_ORDER: "upload as a purchase order",
}


async def deliver(rt: Runtime, *, fence: Fence, progress: delivery.Progress | None = None) -> str:
    """Send every waiting upload to QuickBooks under the "quickbooks" lease; a plain summary.

    Raises ReconnectQuickBooks (sign-in refused) or PartnerUnavailable (QuickBooks unreachable
    after retries) once the batches under way have applied their outcomes; the rows not sent
    stay waiting and go out on the next run. Raises LeaseLost if the lease passed on.
    """
    parts = []
    if await asyncio.to_thread(delivery.has_work, rt.db, CONNECTOR):
        setting_on = rt.settings.quickbooks.upload_pos_as_purchase_orders
        async with qbo_client(rt) as client:
            adapter = QuickBooksAdapter(client, setting_on=setting_on)
            tally = await delivery.deliver(rt.db, adapter, fence, progress=progress)
        parts = tally.said("uploaded to QuickBooks", see="the Errors tabs")
    waiting = await asyncio.to_thread(waiting_line, rt)
    return ", ".join([*parts, waiting] if waiting else parts) or NOTHING


def waiting_line(rt: Runtime) -> str:
    """The "waiting" figure in words (the title bar's QBO n waiting); "" when nothing waits."""
    from posync_tui.services.accounting import Waiting, waiting_uploads  # it imports this module

    waiting = sum(waiting_uploads(rt.db, rt.settings).values(), Waiting())
    if not waiting.total:
        return ""
    text = f"{waiting.total:,} waiting to upload to QuickBooks"
    if waiting.ready:
        text += f" ({waiting.ready:,} ready: Upload on Accounting queues them)"
    return text


@dataclass(frozen=True)
class Upload:
    """The body of one request: the Bill or PurchaseOrder, or the bill it replaces."""

    kind: UploadKind
    po_id: int
    draft: TxnDraft
    update_id: str | None  # the QuickBooks bill to replace (a PO reset for re-import)


class QuickBooksRecords:
    """What an upload's outcome means for its PO (also used by an operator's decisions)."""

    def record(self, s: Session, message: OutboxMessage, outcome: Outcome) -> None:
        po = s.get(PurchaseOrder, message.record_id)
        if po is None:
            return
        kind = UploadKind(message.kind)
        if outcome.status == OutboxStatus.SENT:
            assert outcome.answer is not None  # a message is sent when the partner answered
            _succeed(s, po, kind, outcome.answer)
        elif outcome.status in (OutboxStatus.FAILED, OutboxStatus.DECISION):
            _fail(s, po, kind, outcome.code or "QuickBooks", outcome.text or "")
        elif outcome.status == OutboxStatus.CANCELLED:
            po.accounting_error = po.accounting_error_code = None
            po.updated_at = utcnow()

    def changed(self, s: Session, messages: Sequence[OutboxMessage]) -> None:
        """Link the POs now in QuickBooks to what they became (one query for all), then note
        the change."""
        made = []
        for m in messages:
            if m.status == OutboxStatus.SENT:
                assert m.partner_id is not None  # a message is sent when the partner answered
                made.append(
                    links.Made(
                        m.record_id, QBO_ENTITY[UploadKind(m.kind)], m.partner_id, m.doc_number
                    )
                )
        links.link(s, CONNECTOR, "purchase_order", made)
        note_change(s, "purchase_order", [m.record_id for m in messages])
        # Refusals, decisions and warnings of a success each raise a notification.
        if any(m.status not in (OutboxStatus.PENDING, OutboxStatus.CANCELLED) for m in messages):
            note_change(s, "notification")


class QuickBooksAdapter(QuickBooksRecords):
    """The delivery engine's partner adapter for QuickBooks Online."""

    connector = CONNECTOR

    def __init__(self, client: QuickBooksClient, *, setting_on: bool):
        self.client = client
        self.setting_on = setting_on
        self.batch_size = client.limits.batch_size

    def build(self, s: Session, messages: Sequence[Message]) -> dict[int, Request | Refused]:
        built: dict[int, Request | Refused] = {}
        po_ids = [m.record_id for m in messages]
        lines = _lines_of(s, po_ids)
        made = links.links_of(s, CONNECTOR, "purchase_order", po_ids)
        chosen = read_mappings(s)
        pos = {po.id: po for po in (s.get(PurchaseOrder, i) for i in po_ids) if po is not None}
        facts = {
            str(kind): facts_for(
                s, kind, [m.record_id for m in messages if m.record_id in pos and m.kind == kind]
            )
            for kind in UploadKind
        }
        for message in messages:
            po = pos.get(message.record_id)
            kind = UploadKind(message.kind)
            if po is None:
                built[message.id] = Refused("not ready", "The PO no longer exists.")
                continue
            vendor = s.get(Vendor, po.vendor_id)
            link = made.get(message.record_id)
            resync = bool(message.payload.get("resync"))
            # The rules again, minus "waiting" itself (that is this message); a re-sync from
            # the Discrepancies tab updates what the PO already became.
            reasons = blockers(
                po,
                vendor,
                kind,
                link=None if resync else link,
                setting_on=self.setting_on or resync,
                facts=facts[str(kind)][message.record_id],
            )
            if resync:
                reasons = [r for r in reasons if not r.startswith("Accounting Status")]
            if reasons:
                built[message.id] = Refused("not ready", " ".join(reasons))
                continue
            # No reasons: the vendor is linked to QuickBooks.
            assert vendor is not None and vendor.qbo_vendor_id
            details = dict(message.payload)
            if "doc_number" not in details:  # fixed at the first attempt: a retry sends the same
                reference = reference_for(po, kind)
                details.update(reference=reference, doc_number=qbo_doc_number(reference))
                # The bill of a PO uploaded as a QuickBooks purchase order is linked to it (an
                # update of that bill keeps the link it was made with).
                if kind == UploadKind.BILL and made_as(link, UploadKind.PURCHASE_ORDER):
                    details["linked_po_id"] = link.partner_id
                elif kind == UploadKind.BILL and made_as(link, kind):
                    linked_po = _linked_po(s, message.record_id)
                    if linked_po:
                        details["linked_po_id"] = linked_po
            # A PO reset for re-import (or re-synced) updates what it made (kept in its link).
            update_id = link.partner_id if made_as(link, kind) else None
            po_lines = lines.get(message.record_id, [])
            draft = _draft(po, vendor.qbo_vendor_id, kind, details, message.key, po_lines, chosen)
            upload = Upload(kind, message.record_id, draft, update_id)
            built[message.id] = Request(message, upload, details)
        return built

    async def send(self, requests: Sequence[Request]) -> dict[int, Answer | Exception]:
        answers: dict[int, Answer | Exception] = {}
        creates = [r for r in requests if r.body.update_id is None]
        if creates:
            try:
                outcomes = await self.client.batch_create([_item(r) for r in creates])
            except (ReconnectQuickBooks, AuthFailed) as exc:
                raise delivery.NotSent(exc) from exc
            for r in creates:
                outcome = outcomes.get(str(r.message.id))
                if outcome is not None and outcome.txn is not None:
                    answers[r.message.id] = _answer(outcome.txn)
                elif outcome is not None:
                    answers[r.message.id] = _error(outcome.error)
        for r in (r for r in requests if r.body.update_id is not None):
            answers[r.message.id] = await self._replace(r)
        await self._confirm_links(requests, answers)
        return answers

    async def _confirm_links(
        self, requests: Sequence[Request], answers: dict[int, Answer | Exception]
    ) -> None:
        """Read linked bills back: some clients' links are dropped without a word (python-
        quickbooks issue 366), so the bill QuickBooks now holds is what says the link held."""
        made = {
            r.message.id: (r.body.draft, answer)
            for r in requests
            if r.body.draft.linked_po_id and isinstance(answer := answers.get(r.message.id), Answer)
        }
        if not made:
            return
        try:
            held = await self.client.read_back("Bill", [a.partner_id for _, a in made.values()])
        except (ConnectorError, QuickBooksError) as exc:
            for message_id, (_, answer) in made.items():
                warning = (
                    f"posync could not read the bill back to check its link ({plain_error(exc)})"
                )
                answers[message_id] = replace(answer, warnings=(*answer.warnings, warning))
            return
        for message_id, (draft, answer) in made.items():
            bill = held.get(answer.partner_id)
            if bill is not None and ("PurchaseOrder", draft.linked_po_id) in bill.linked:
                continue
            if any("did not keep its link" in w for w in answer.warnings):
                continue  # the answer already said so
            warning = (
                f"QuickBooks bill {answer.doc_number} (id {answer.partner_id}) read back without "
                f"its link to QuickBooks purchase order {draft.linked_po_id}: the purchase order "
                "stays open; link them by hand in QuickBooks"
            )
            answers[message_id] = replace(answer, warnings=(*answer.warnings, warning))

    async def _replace(self, request: Request) -> Answer | Exception:
        """A PO reset for re-import: replace its bill; if the bill was deleted, make it again."""
        draft = request.body.draft
        try:
            try:
                txn = await self.client.update(request.body.update_id, draft)
            except NotFound:
                txn = await self.client.create(
                    draft, requestid=request.message.key, lookup_first=True
                )
        except (ConnectorError, QuickBooksError) as exc:
            return _error(exc)
        return _answer(txn)

    async def look_up(self, requests: Sequence[Request]) -> dict[int, Answer]:
        found = await self.client.find_created([_item(r) for r in requests])
        return {int(bid): _answer(txn) for bid, txn in found.items()}

    def check(self, request: Request, answer: Answer) -> str | None:
        draft: TxnDraft = request.body.draft
        txn: Txn = answer.record
        wrong = []
        if txn.doc_number != draft.doc_number:
            wrong.append(f"DocNumber {txn.doc_number!r}, sent {draft.doc_number!r}")
        if txn.vendor_id != draft.vendor_id:
            wrong.append(f"vendor {txn.vendor_id}, sent {draft.vendor_id}")
        sent_total = draft.total
        if txn.total != sent_total:
            wrong.append(f"amount {txn.total}, sent {sent_total}")
        return "; ".join(wrong) or None


def _linked_po(s: Session, po_id: int) -> str | None:
    """The QuickBooks purchase order the PO's bill was linked to when it was made, if any."""
    payloads = s.exec(
        select(OutboxMessage.payload)
        .where(
            OutboxMessage.connector == CONNECTOR,
            OutboxMessage.record_kind == "purchase_order",
            OutboxMessage.record_id == po_id,
            OutboxMessage.kind == str(UploadKind.BILL),
            OutboxMessage.status == OutboxStatus.SENT,
        )
        .order_by(col(OutboxMessage.id).desc())
    )
    for payload in payloads:
        linked = json.loads(payload or "{}").get("linked_po_id")
        if linked:
            return linked
    return None


def _item(request: Request) -> BatchItem:
    return BatchItem(str(request.message.id), request.body.draft, request.message.key)


def _answer(txn: Txn) -> Answer:
    return Answer(partner_id=txn.id, doc_number=txn.doc_number, warnings=txn.warnings, record=txn)


def _error(error: Exception | None) -> Exception:
    if isinstance(error, QuickBooksError):
        text = error.message
        if error.intuit_tid:
            text = f"{text} (Intuit reference {error.intuit_tid})"
        return Refused(error.code or "QuickBooks", text)
    if isinstance(error, PartnerUnavailable) or error is None:
        return NoAnswer(plain_error(error) if error else "QuickBooks gave no answer for it")
    return NoAnswer(plain_error(error))


def _lines_of(
    s: Session, po_ids: list[int]
) -> dict[int, list[tuple[PurchaseOrderLine, Item | None]]]:
    """The shown lines of these POs with their items, in line order: one query for a batch."""
    rows = s.exec(
        select(PurchaseOrderLine, Item)
        .join(Item, col(Item.id) == col(PurchaseOrderLine.item_id), isouter=True)
        .where(col(PurchaseOrderLine.po_id).in_(po_ids), col(PurchaseOrderLine.hidden).is_(False))
        .order_by(col(PurchaseOrderLine.po_id), col(PurchaseOrderLine.line_no))
    ).all()
    found: dict[int, list[tuple[PurchaseOrderLine, Item | None]]] = {}
    for line, item in rows:
        found.setdefault(line.po_id, []).append((line, item))
    return found


def _draft(
    po: PurchaseOrder,
    qbo_vendor_id: str,
    kind: UploadKind,
    details: dict,
    key: str,
    rows: list[tuple[PurchaseOrderLine, Item | None]],
    chosen: Mappings,
) -> TxnDraft:
    """The Bill or PurchaseOrder of a PO: each line rounded to the currency's precision, with
    its tax code (the item's, else the vendor's), class; item-less lines on the chosen expense
    account (``build`` refused the PO if there is none)."""
    lines = []
    for line, item in rows:
        quantity = (
            line.quantity_confirmed
            if line.quantity_confirmed is not None
            else line.quantity_ordered
        )
        amount = line_total(quantity, line.unit_cost, po.currency)
        label = item.sku if item else (line.supplier_part_no or "")
        description = " — ".join(p for p in (label, line.description) if p)
        item_id = item.qbo_item_id if item else None
        lines.append(
            ExpenseLine(
                amount=amount,
                description=description,
                item_id=item_id,
                quantity=quantity,
                unit_price=line.unit_cost,
                account_id=None if item_id else chosen.id_of(MappingKind.EXPENSE_ACCOUNT),
                tax_code_id=chosen.tax_code(po.vendor_id, item.id if item else None),
                class_id=chosen.id_of(MappingKind.CLASS),
            )
        )
    bill = kind == UploadKind.BILL
    return TxnDraft(
        entity="Bill" if bill else "PurchaseOrder",
        vendor_id=qbo_vendor_id,
        doc_number=details["doc_number"],
        txn_date=po.invoice_date if bill else po.order_date,
        lines=tuple(lines),
        due_date=chosen.due_date(po.invoice_date, po.invoice_due_date) if bill else None,
        currency=po.currency,
        linked_po_id=details.get("linked_po_id"),
        ap_account_id=chosen.id_of(MappingKind.AP_ACCOUNT),
        term_id=chosen.id_of(MappingKind.TERMS),
        department_id=chosen.id_of(MappingKind.LOCATION),
        # The whole reference travels in the memo when QuickBooks only keeps 21 characters; the
        # key tells this installation's record from another's with the same DocNumber.
        private_note=f"posync {po.number}; reference {details['reference']}; key {key}",
    )


def _succeed(s: Session, po: PurchaseOrder, kind: UploadKind, answer: Answer) -> None:
    now = utcnow()
    po.updated_at = now
    po.accounting_error = po.accounting_error_code = None
    if kind == UploadKind.BILL and po.accounting_status != AccountingStatus.IMPORTED:
        changes = {"accounting_status": AccountingStatus.IMPORTED}
        audit.edit(s, po, changes, record_kind="purchase_order", po_id=po.id, source=CONNECTOR)
    for warning in answer.warnings:
        s.add(
            SyncNotification(
                kind=NotificationKind.UPLOAD_ERROR,
                vendor_id=po.vendor_id,
                po_id=po.id,
                message=f"PO {po.number}: {warning}",
            )
        )


def _fail(s: Session, po: PurchaseOrder, kind: UploadKind, code: str, text: str) -> None:
    po.accounting_error_code, po.accounting_error = code[:20], text
    po.updated_at = utcnow()
    s.add(
        SyncNotification(
            kind=NotificationKind.UPLOAD_ERROR,
            vendor_id=po.vendor_id,
            po_id=po.id,
            message=f"PO {po.number} failed to {KIND_WORDS[kind]} to QuickBooks: {text}",
        )
    )


def plain_error(exc: Exception) -> str:
    return exc.message if isinstance(exc, ConnectorError) else str(exc)
