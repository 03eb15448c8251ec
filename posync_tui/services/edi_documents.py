"""The EDI documents list: every interchange in and out, newest first, and one in full.

Columns: when, direction, type, partner (vendor code), control reference, PO, status. A failed
one carries its error and the segment at fault; its raw text is kept whole for viewing.
Filters: text (control reference, type, PO number, vendor), ``failed`` (True).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select
from sqlalchemy.sql import ColumnElement, FromClause

from posync_tui import timefmt
from posync_tui.models import (
    OPEN_OUTBOX_STATUSES,
    DocumentStatus,
    EdiDocument,
    OutboxMessage,
    PurchaseOrder,
    Vendor,
    saved_id,
)
from posync_tui.paging import Column, PagedSource, View, contains
from posync_tui.partners import Queue

if TYPE_CHECKING:
    from posync_tui.db import Database

DOC = EdiDocument.__table__.c
VENDOR = Vendor.__table__.c
PO = PurchaseOrder.__table__.c

VENDOR_CODE: ColumnElement = select(VENDOR.code).where(VENDOR.id == DOC.vendor_id).scalar_subquery()
PO_NUMBER: ColumnElement = select(PO.number).where(PO.id == DOC.po_id).scalar_subquery()

COLUMNS = (
    Column(
        "when",
        "When",
        11,
        DOC.created_at,
        sort=(DOC.created_at,),
        format=lambda v: timefmt.local(v, "%m-%d %H:%M"),
    ),
    Column("direction", "", 3, DOC.direction, sort=(DOC.direction, DOC.created_at)),
    Column("type", "Type", 6, DOC.message_type, sort=(DOC.message_type, DOC.created_at)),
    Column("partner", "Partner", 7, VENDOR_CODE, sort=(DOC.vendor_id, DOC.created_at)),
    Column("control", "Control ref", 14, DOC.control_ref, sort=(DOC.control_ref,), flex=True),
    Column("po", "PO", 10, PO_NUMBER, sort=(DOC.po_id, DOC.created_at)),
    Column("status", "Status", 11, DOC.status, sort=(DOC.status, DOC.created_at)),
)


class EdiDocumentSource(PagedSource):
    """EDI documents; row key = edi_document.id."""

    columns = COLUMNS
    key = DOC.id

    def from_clause(self, view: View) -> FromClause:
        return EdiDocument.__table__

    def extra_fields(self):
        return (DOC.error.label("error"), DOC.position.label("position"))

    def conditions(self, view: View) -> list[ColumnElement]:
        found: list[ColumnElement] = []
        text = view.text.strip()
        if text:
            vendors = select(VENDOR.id).where(contains(text, VENDOR.code))
            pos = select(PO.id).where(contains(text, PO.number))
            found.append(
                or_(
                    contains(text, DOC.control_ref, DOC.message_type),
                    DOC.vendor_id.in_(vendors),
                    DOC.po_id.in_(pos),
                )
            )
        if view.filter("failed"):
            found.append(DOC.status == DocumentStatus.FAILED.value)
        return found


def default_view() -> View:
    return View(sort="when", descending=True)


@dataclass(frozen=True)
class DocumentInfo:
    id: int
    created_at: datetime
    direction: str
    message_type: str
    partner: str | None
    control_ref: str
    po_id: int | None
    po_number: str | None
    status: str
    raw: str
    error: str | None
    position: str | None

    @property
    def reprocessable(self) -> bool:
        return self.direction == "in" and self.status == DocumentStatus.FAILED


def read_document(db: Database, document_id: int) -> DocumentInfo:
    with db.reader() as s:
        doc = s.get(EdiDocument, document_id)
        if doc is None:
            raise LookupError(f"No EDI document with id {document_id}")
        vendor = s.get(Vendor, doc.vendor_id) if doc.vendor_id else None
        po = s.get(PurchaseOrder, doc.po_id) if doc.po_id else None
        return DocumentInfo(
            id=saved_id(doc),
            created_at=doc.created_at,
            direction=doc.direction,
            message_type=doc.message_type,
            partner=f"{vendor.code} · {vendor.name}" if vendor else doc.sender,
            control_ref=doc.control_ref,
            po_id=doc.po_id,
            po_number=po.number if po else None,
            status=doc.status,
            raw=doc.raw,
            error=doc.error,
            position=doc.position,
        )


def queue_counts(db: Database) -> Queue:
    """ORDERS on their way to the hub, and interchanges in or out that failed."""
    with db.reader() as s:
        waiting = s.execute(
            select(func.count()).where(
                OutboxMessage.__table__.c.connector == "edi",
                OutboxMessage.__table__.c.status.in_([x.value for x in OPEN_OUTBOX_STATUSES]),
            )
        ).scalar_one()
        failed = s.execute(
            select(func.count()).where(DOC.status == DocumentStatus.FAILED.value)
        ).scalar_one()
    return Queue(waiting=waiting, errors=failed)
