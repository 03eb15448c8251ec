"""An operator's decisions on an outbox message that waits for one, for every partner.

A message waits for a decision when the engine cannot tell whether the partner has it (its
look-ups kept failing, or it was sent many times without an answer) or when the partner's answer
is not what was sent. The operator looks at the partner, then: looks it up again, sends it again,
marks it done with the partner's id, or cancels it.
"""

from __future__ import annotations

from sqlmodel import Session

from posync_tui.db import Database
from posync_tui.delivery import note_outbox, noted, settle
from posync_tui.delivery_adapter import Answer, Outcome, Recorder
from posync_tui.models import OutboxMessage, OutboxStatus, utcnow


class NotDecidable(Exception):
    """The message is not in a state this decision applies to; says why."""


def look_up_again(db: Database, message_id: int) -> None:
    """Decision: try the look-up again on the next run (a message that may have been sent)."""
    with db.session() as s:
        row = _deciding(s, message_id)
        row.status, row.lookups, row.updated_at = OutboxStatus.PENDING, 0, utcnow()
        row.attempts = max(row.attempts, 1)  # so the next run looks it up before anything
        note_outbox(s, row.connector, [message_id])


def send_again(db: Database, message_id: int) -> None:
    """Decision: the partner does not have it; send it on the next run (same key)."""
    with db.session() as s:
        row = _deciding(s, message_id)
        row.status, row.lookups, row.attempts = OutboxStatus.PENDING, 0, 0
        row.updated_at = utcnow()
        note_outbox(s, row.connector, [message_id])


def mark_done(
    db: Database, message_id: int, partner_id: str, recorder: Recorder, *, doc_number: str = ""
) -> None:
    """Decision: the partner has it as ``partner_id`` (the operator checked there)."""
    partner_id = partner_id.strip()
    if not partner_id:
        raise NotDecidable("Enter the partner's id of the record.")
    with db.session() as s:
        row = _deciding(s, message_id)
        answer = Answer(partner_id=partner_id, doc_number=doc_number or row.doc_number or "")
        settle(s, row, Outcome(OutboxStatus.SENT, answer=answer), recorder)
        noted(s, [row], recorder)


def cancel(db: Database, message_id: int, recorder: Recorder) -> None:
    """Decision: deliver it no more (waiting, refused or undecided; not while being sent)."""
    with db.session() as s:
        row = s.get(OutboxMessage, message_id, with_for_update=True)
        if row is None:
            raise NotDecidable(f"Outbox message {message_id} does not exist.")
        if row.status not in (OutboxStatus.PENDING, OutboxStatus.FAILED, OutboxStatus.DECISION):
            raise NotDecidable(f"It is {row.status}: it can no longer be cancelled.")
        settle(s, row, Outcome(OutboxStatus.CANCELLED, text="cancelled by an operator"), recorder)
        noted(s, [row], recorder)


def _deciding(s: Session, message_id: int) -> OutboxMessage:
    row = s.get(OutboxMessage, message_id, with_for_update=True)
    if row is None:
        raise NotDecidable(f"Outbox message {message_id} does not exist.")
    if row.status != OutboxStatus.DECISION:
        raise NotDecidable(f"It is {row.status}, not waiting for a decision.")
    return row
