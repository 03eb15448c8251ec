"""Delivering the EDI outbox: each queued ORDERS interchange sent to the hub's mailbox.

The interchange was built when the PO was submitted and kept in the document log with its
control reference, so every attempt sends the very same text: when an earlier attempt may have
reached the hub (an answer lost, a process killed), sending it again is the look-up — the hub
answers "duplicate" for a control reference it holds. Success sets the PO's EDI Submit Status
to "Submitted"; a refusal, or an outcome nobody can be sure of, to "Failed" with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlmodel import Session

from connectors.base import ConnectorError, Rejected
from connectors.edi_hub import EdiHubClient, Sent
from posync_tui import audit
from posync_tui.delivery_adapter import Answer, Message, NoAnswer, Outcome, Refused, Request
from posync_tui.events import note_change
from posync_tui.models import (
    DocumentStatus,
    EdiDocument,
    EdiSubmitStatus,
    OutboxMessage,
    OutboxStatus,
    PurchaseOrder,
    utcnow,
)
from posync_tui.services.edi_submit import CONNECTOR, fail


class EdiRecords:
    """What a delivery's outcome means for its PO and its document."""

    def record(self, s: Session, message: OutboxMessage, outcome: Outcome) -> None:
        po = s.get(PurchaseOrder, message.record_id)
        document = s.get(EdiDocument, json.loads(message.payload or "{}").get("document_id"))
        if po is None:
            return
        if outcome.status == OutboxStatus.SENT:
            changes = {"edi_submit_status": EdiSubmitStatus.SUBMITTED, "edi_submit_error": None}
            audit.edit(s, po, changes, record_kind="purchase_order", po_id=po.id, source=CONNECTOR)
            po.updated_at = utcnow()
            if document is not None:
                document.status, document.processed_at = DocumentStatus.SENT, utcnow()
                document.hub_id = outcome.answer.partner_id if outcome.answer else None
        elif outcome.status in (
            OutboxStatus.FAILED,
            OutboxStatus.DECISION,
            OutboxStatus.CANCELLED,
        ):
            reason = outcome.text or "cancelled"
            if outcome.status == OutboxStatus.DECISION:
                reason = f"Not known whether the hub has it: {reason}"
            fail(s, po, reason)
            if document is not None:
                document.status, document.error = DocumentStatus.FAILED, reason
                document.processed_at = utcnow()

    def changed(self, s: Session, messages: Sequence[OutboxMessage]) -> None:
        note_change(s, "purchase_order", [m.record_id for m in messages])
        note_change(s, "edi_document")


class EdiAdapter(EdiRecords):
    connector = CONNECTOR
    batch_size = 20

    def __init__(self, hub: EdiHubClient):
        self.hub = hub

    def build(self, s: Session, messages: Sequence[Message]) -> dict[int, Request | Refused]:
        built: dict[int, Request | Refused] = {}
        for message in messages:
            document = s.get(EdiDocument, message.payload.get("document_id"))
            if document is None or s.get(PurchaseOrder, message.record_id) is None:
                built[message.id] = Refused("not ready", "The PO or its interchange is gone.")
                continue
            built[message.id] = Request(message, document.raw, message.payload)
        return built

    async def send(self, requests: Sequence[Request]) -> dict[int, Answer | Exception]:
        answers: dict[int, Answer | Exception] = {}
        for request in requests:
            try:
                answers[request.message.id] = _answer(await self.hub.send(request.body))
            except Rejected as exc:
                answers[request.message.id] = Refused(f"hub {exc.status}", exc.message)
            except ConnectorError as exc:
                answers[request.message.id] = NoAnswer(exc.message)
        return answers

    async def look_up(self, requests: Sequence[Request]) -> dict[int, Answer]:
        """Sent again under the same control reference: the hub answers "duplicate" if it
        has it, or takes it now. A hub that does not answer fails the look-up (tried again on a
        later run, and the run shows the hub failing); one that refuses the interchange leaves
        it to the send, which records the refusal."""
        found = {}
        for request in requests:
            try:
                found[request.message.id] = _answer(await self.hub.send(request.body))
            except Rejected:
                continue
        return found

    def check(self, request: Request, answer: Answer) -> str | None:
        sent = request.payload["control_ref"]
        if answer.doc_number != sent:
            return f"the hub answered for interchange {answer.doc_number!r}, sent {sent!r}"
        return None


def _answer(sent: Sent) -> Answer:
    warnings = ("the hub had it already (sent again after an interruption)",)
    return Answer(
        partner_id=sent.document_id,
        doc_number=sent.control_ref,
        warnings=warnings if sent.duplicate else (),
        record=sent,
    )
