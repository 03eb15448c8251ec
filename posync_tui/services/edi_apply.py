"""Taking in one inbound interchange: the document log, and each message by its own rules.

All of an interchange's messages apply in the caller's transaction or none do (an ApplyError,
or any failure, rolls the whole interchange back; the feed then sets it aside). Every
interchange, applied or set aside, is kept whole in the document log with its raw text, and a
set-aside one with its error and the segment at fault.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session

from connectors.edifact.messages import (
    MESSAGE_TYPES,
    DespatchAdvice,
    Interchange,
    Invoice,
    OrderResponse,
)
from posync_tui.models import Direction, DocumentStatus, EdiDocument, saved_id
from posync_tui.services.edi_despatch import apply_despatch
from posync_tui.services.edi_invoice import apply_invoice
from posync_tui.services.edi_match import ApplyError, Known, Logged
from posync_tui.services.edi_response import apply_response


def apply_interchange(
    s: Session,
    interchange: Interchange,
    raw: str,
    hub_id: str | None,
    now: datetime,
    known: Known | None = None,
) -> Logged:
    """Apply every message of ``interchange`` and log it; ApplyError when it does not fit.
    ``known``: what its page refers to, read once for the page and written by the caller
    (``Known.write``); without it, read and written for this interchange alone."""
    alone = known is None
    known = known or Known(s, [interchange], [hub_id] if hub_id else [])
    vendor = known.vendors.get(interchange.sender)
    if vendor is None:
        raise ApplyError(f"Unknown sender: no vendor has GLN {interchange.sender}")
    if (interchange.sender, interchange.control_ref) in known.applied:
        raise ApplyError(
            f"Interchange {interchange.control_ref} from {interchange.sender} was taken in already"
        )
    document = _document(s, known, hub_id)
    for message in interchange.messages:
        po_id = _apply(s, known, saved_id(vendor), message, document.id, now)
        document.po_id = document.po_id or po_id
    # Set aside before (a row of this page's is not processed yet): taken in now, again.
    status = DocumentStatus.REPROCESSED if document.set_aside else DocumentStatus.APPLIED
    document.values = {
        "message_type": message_types(interchange),
        "sender": interchange.sender,
        "vendor_id": vendor.id,
        "control_ref": interchange.control_ref[:14],
        "raw": raw,
        "processed_at": now,
        "error": None,
        "position": None,
        "status": status,
        "po_id": document.po_id,
    }
    known.applied.add((interchange.sender, interchange.control_ref))
    if alone:
        known.write(now)
    return document


def log_failure(
    s: Session,
    raw: str,
    hub_id: str | None,
    error: str,
    position: str | None,
    now: datetime,
    interchange: Interchange | None = None,
    known: Known | None = None,
) -> Logged:
    """Keep a set-aside interchange whole, with why and where (again: its row says it anew).
    ``known`` as for ``apply_interchange``."""
    alone = known is None
    known = known or Known(s, [interchange] if interchange else [], [hub_id] if hub_id else [])
    document = _document(s, known, hub_id)
    document.values = {
        "status": DocumentStatus.FAILED,
        "raw": raw,
        "error": error,
        "position": position,
        "processed_at": now,
    }
    if interchange is not None:
        vendor = known.vendors.get(interchange.sender)
        document.values |= {
            "message_type": message_types(interchange),
            "sender": interchange.sender,
            "control_ref": interchange.control_ref[:14],
            "vendor_id": vendor.id if vendor else None,
        }
    if alone:
        known.write(now)
    return document


def open_documents(s: Session, known: Known, hub_ids: Sequence[str | None]) -> None:
    """The log rows of a page's interchanges not seen before, made in one statement: each
    interchange's rows point at its own. Every one is then filled in, applied or set aside."""
    new = [hub_id for hub_id in dict.fromkeys(hub_ids) if hub_id not in known.documents]
    if not new:
        return
    table = EdiDocument.__table__
    made = s.connection().execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True),
        [_BLANK | {"hub_id": hub_id} for hub_id in new],
    )
    known.documents.update(zip(new, (Logged(id_) for id_ in made.scalars()), strict=True))


# A log row before its interchange is applied or set aside.
_BLANK: dict[str, object] = {
    "direction": Direction.IN,
    "message_type": "?",
    "sender": "?",
    "control_ref": "?",
    "status": DocumentStatus.FAILED,
    "raw": "",
}


def message_types(interchange: Interchange) -> str:
    found = dict.fromkeys(MESSAGE_TYPES[type(m)] for m in interchange.messages)
    return ",".join(found)[:10] or "?"


def _document(s: Session, known: Known, hub_id: str | None) -> Logged:
    """The log row of the hub's message ``hub_id`` (made when first seen)."""
    open_documents(s, known, [hub_id])
    return known.documents[hub_id]


def _apply(
    s: Session, known: Known, vendor_id: int, message, document_id: int, now: datetime
) -> int:
    if isinstance(message, OrderResponse):
        return apply_response(s, known, vendor_id, message, document_id, now)
    if isinstance(message, DespatchAdvice):
        return apply_despatch(s, known, vendor_id, message, document_id, now)
    if isinstance(message, Invoice):
        return apply_invoice(s, known, vendor_id, message, document_id, now)
    raise ApplyError(f"A {type(message).__name__} is not taken in from a supplier")
