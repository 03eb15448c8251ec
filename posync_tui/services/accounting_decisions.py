"""An operator's decisions on a QuickBooks upload that waits for one (the Errors tabs).

An upload waits for a decision when posync cannot tell whether QuickBooks has it (its look-ups
kept failing, or it was sent many times without an answer) or when QuickBooks' answer is not what
was sent. The operator looks in QuickBooks, then: looks it up again, sends it again, marks it done
with the QuickBooks id it found, or cancels it. Each acts on the PO's undecided message.
"""

from __future__ import annotations

import json

from sqlmodel import select

from posync_tui import delivery_decisions as decisions
from posync_tui.db import Database
from posync_tui.delivery_decisions import NotDecidable
from posync_tui.models import OutboxMessage, OutboxStatus, PurchaseOrder
from posync_tui.services.accounting_deliver import CONNECTOR, QuickBooksRecords
from posync_tui.services.accounting_rules import UploadKind, qbo_doc_number, reference_for

__all__ = ["NotDecidable", "cancel_upload", "look_up_again", "mark_done", "send_again"]


def look_up_again(db: Database, po_id: int) -> None:
    decisions.look_up_again(db, _undecided(db, po_id))


def send_again(db: Database, po_id: int) -> None:
    decisions.send_again(db, _undecided(db, po_id))


def mark_done(db: Database, po_id: int, qbo_id: str) -> None:
    """QuickBooks has it as ``qbo_id``: the PO is synced (Imported, for a bill)."""
    message_id = _undecided(db, po_id)
    with db.reader() as s:
        message = s.get(OutboxMessage, message_id)
        assert message is not None  # outbox messages are never deleted
        doc_number = json.loads(message.payload or "{}").get("doc_number")
        if doc_number is None:  # never built: what it would have been sent as
            po = s.get(PurchaseOrder, po_id)
            assert po is not None  # POs are never deleted
            doc_number = qbo_doc_number(reference_for(po, UploadKind(message.kind)))
    decisions.mark_done(db, message_id, qbo_id, QuickBooksRecords(), doc_number=doc_number)


def cancel_upload(db: Database, po_id: int) -> None:
    """Upload it no more: the PO goes back to its Purchases tab."""
    decisions.cancel(db, _undecided(db, po_id), QuickBooksRecords())


def _undecided(db: Database, po_id: int) -> int:
    with db.reader() as s:
        message_id = s.exec(
            select(OutboxMessage.id).where(
                OutboxMessage.connector == CONNECTOR,
                OutboxMessage.record_kind == "purchase_order",
                OutboxMessage.record_id == po_id,
                OutboxMessage.status == OutboxStatus.DECISION,
            )
        ).first()
    if message_id is None:
        raise NotDecidable("This PO's upload is not waiting for a decision.")
    return message_id
