"""Taking in one inbound interchange: the document log, and each message by its own rules.

All of an interchange's messages apply in the caller's transaction or none do (an ApplyError,
or any failure, rolls the whole interchange back; the feed then sets it aside). Every
interchange, applied or set aside, is kept whole in the document log with its raw text, and a
set-aside one with its error and the segment at fault.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from connectors.edifact.messages import (
    MESSAGE_TYPES,
    DespatchAdvice,
    Interchange,
    Invoice,
    OrderResponse,
)
from posync_tui.models import Direction, DocumentStatus, EdiDocument, Vendor, saved_id
from posync_tui.services.edi_despatch import apply_despatch
from posync_tui.services.edi_invoice import apply_invoice
from posync_tui.services.edi_match import ApplyError
from posync_tui.services.edi_response import apply_response


def apply_interchange(
    s: Session, interchange: Interchange, raw: str, hub_id: str | None, now: datetime
) -> EdiDocument:
    """Apply every message of ``interchange`` and log it; ApplyError when it does not fit."""
    vendor = s.exec(select(Vendor).where(Vendor.gln == interchange.sender)).first()
    if vendor is None:
        raise ApplyError(f"Unknown sender: no vendor has GLN {interchange.sender}")
    taken = s.exec(
        select(EdiDocument.id).where(
            EdiDocument.direction == Direction.IN,
            EdiDocument.sender == interchange.sender,
            EdiDocument.control_ref == interchange.control_ref,
            col(EdiDocument.status).in_((DocumentStatus.APPLIED, DocumentStatus.REPROCESSED)),
        )
    ).first()
    if taken is not None:
        raise ApplyError(
            f"Interchange {interchange.control_ref} from {interchange.sender} was taken in already"
        )
    document = _document(s, hub_id)
    document.message_type = message_types(interchange)
    document.sender = interchange.sender
    document.vendor_id = vendor.id
    document.control_ref = interchange.control_ref[:14]
    document.raw = raw
    document.processed_at = now
    document.error = document.position = None
    again = document.id is not None and document.status == DocumentStatus.FAILED
    document.status = DocumentStatus.REPROCESSED if again else DocumentStatus.APPLIED
    s.flush()
    for message in interchange.messages:
        po_id = _apply(s, saved_id(vendor), message, saved_id(document), now)
        document.po_id = document.po_id or po_id
    return document


def log_failure(
    s: Session,
    raw: str,
    hub_id: str | None,
    error: str,
    position: str | None,
    now: datetime,
    interchange: Interchange | None = None,
) -> EdiDocument:
    """Keep a set-aside interchange whole, with why and where (again: its row says it anew)."""
    document = _document(s, hub_id)
    document.status = DocumentStatus.FAILED
    document.raw, document.error, document.position = raw, error, position
    document.processed_at = now
    if interchange is not None:
        document.message_type = message_types(interchange)
        document.sender = interchange.sender
        document.control_ref = interchange.control_ref[:14]
        vendor = s.exec(select(Vendor).where(Vendor.gln == interchange.sender)).first()
        document.vendor_id = vendor.id if vendor else None
    s.flush()
    return document


def message_types(interchange: Interchange) -> str:
    found = dict.fromkeys(MESSAGE_TYPES[type(m)] for m in interchange.messages)
    return ",".join(found)[:10] or "?"


def _document(s: Session, hub_id: str | None) -> EdiDocument:
    """The log row of the hub's message ``hub_id`` (made when first seen)."""
    if hub_id is not None:
        found = s.exec(
            select(EdiDocument).where(
                EdiDocument.direction == Direction.IN, EdiDocument.hub_id == hub_id
            )
        ).first()
        if found is not None:
            return found
    document = EdiDocument(
        direction=Direction.IN,
        message_type="?",
        sender="?",
        control_ref="?",
        hub_id=hub_id,
        status=DocumentStatus.FAILED,
        raw="",
    )
    s.add(document)
    return document


def _apply(s: Session, vendor_id: int, message, document_id: int, now: datetime) -> int:
    if isinstance(message, OrderResponse):
        return apply_response(s, vendor_id, message, document_id, now)
    if isinstance(message, DespatchAdvice):
        return apply_despatch(s, vendor_id, message, document_id, now)
    if isinstance(message, Invoice):
        return apply_invoice(s, vendor_id, message, document_id, now)
    raise ApplyError(f"A {type(message).__name__} is not taken in from a supplier")
