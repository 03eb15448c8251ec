"""Syncing notifications: the paged list, newest first, and what a row leads to.

Columns: when, kind, vendor, PO, message, reviewed. Filters: text as you type (message, kind,
vendor code or name, PO number), ``kind`` (one NotificationKind), ``unreviewed`` (True).
Reviewing and adding a missing product are ``syncing_notifications``' (re-exported by
``supplier_sync``), re-processing bad partner data is ``supplier_sync.reprocess``; this module
only reads.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.sql import ColumnElement, FromClause

from posync_tui import timefmt
from posync_tui.models import (
    NotificationKind,
    PurchaseOrder,
    SyncNotification,
    Vendor,
    saved_id,
)
from posync_tui.paging import Column, PagedSource, View, contains

if TYPE_CHECKING:  # the screen imports this module at start-up: keep it light
    from posync_tui.db import Database

NOTE = SyncNotification.__table__.c
VENDOR = Vendor.__table__.c
PO = PurchaseOrder.__table__.c

# Short names for the kind column (80 columns leave little room for the message).
KIND_SHORT = {
    NotificationKind.MISSING_ITEM: "missing item",
    NotificationKind.LINE_CANCELLED: "cancelled",
    NotificationKind.ITEM_ADDED: "item added",
    NotificationKind.SYNC_ERROR: "sync error",
    NotificationKind.UPLOAD_ERROR: "upload error",
    NotificationKind.BAD_DATA: "bad data",
}
KINDS = tuple(NotificationKind)

VENDOR_CODE: ColumnElement = (
    select(VENDOR.code).where(VENDOR.id == NOTE.vendor_id).scalar_subquery()
)
PO_NUMBER: ColumnElement = select(PO.number).where(PO.id == NOTE.po_id).scalar_subquery()


def _kind(value: str | None) -> str:
    if value is None:
        return ""
    try:
        return KIND_SHORT[NotificationKind(value)]
    except ValueError:
        return value or ""


def _reviewed(value: bool | None) -> str:
    return "✓" if value else ""


COLUMNS = (
    Column(
        "when",
        "When",
        11,
        NOTE.created_at,
        sort=(NOTE.created_at,),
        format=lambda v: timefmt.local(v, "%m-%d %H:%M"),
    ),
    Column("kind", "Kind", 12, NOTE.kind, sort=(NOTE.kind, NOTE.created_at), format=_kind),
    Column("vendor", "Vendor", 6, VENDOR_CODE, sort=(NOTE.vendor_id, NOTE.created_at)),
    Column("po", "PO", 10, PO_NUMBER, sort=(NOTE.po_id, NOTE.created_at)),
    Column("message", "Message", 20, NOTE.message, flex=True),
    Column(
        "reviewed", "Rev", 3, NOTE.reviewed, sort=(NOTE.reviewed, NOTE.created_at), format=_reviewed
    ),
)


class NotificationListSource(PagedSource):
    """Syncing notifications; row key = sync_notification.id."""

    columns = COLUMNS
    key = NOTE.id

    def from_clause(self, view: View) -> FromClause:
        return SyncNotification.__table__

    def extra_fields(self) -> Sequence[ColumnElement]:
        return (
            NOTE.po_id.label("po_id"),
            NOTE.resolved.label("resolved"),
        )

    def describe(self, view: View) -> str:
        """The filters in words for the title: "unreviewed only · missing item"."""
        parts = []
        if view.filter("unreviewed"):
            parts.append("unreviewed only")
        kind = view.filter("kind")
        if kind is not None:
            parts.append(str(kind).replace("_", " "))
        return " · ".join(parts)

    def conditions(self, view: View) -> list[ColumnElement]:
        found: list[ColumnElement] = []
        text = view.text.strip()
        if text:
            vendors = select(VENDOR.id).where(contains(text, VENDOR.code, VENDOR.name))
            pos = select(PO.id).where(contains(text, PO.number))
            found.append(
                or_(
                    contains(text, NOTE.message, NOTE.kind),
                    NOTE.vendor_id.in_(vendors),
                    NOTE.po_id.in_(pos),
                )
            )
        kind = view.filter("kind")
        if kind is not None:
            found.append(NOTE.kind == str(kind))
        if view.filter("unreviewed"):
            found.append(NOTE.reviewed.is_(False))
        return found


def default_view() -> View:
    """Newest first."""
    return View(sort="when", descending=True)


@dataclass(frozen=True)
class NotificationInfo:
    """One notification in full, for its detail and the actions on it."""

    id: int
    created_at: datetime
    kind: NotificationKind
    vendor: str | None  # "CODE · Name"
    po_id: int | None
    po_number: str | None
    message: str
    reviewed: bool
    resolved: bool
    quarantine_id: int | None = None  # bad partner data: the entry set aside

    @property
    def missing_item_open(self) -> bool:
        """A missing item the operator can still add."""
        return self.kind == NotificationKind.MISSING_ITEM and not self.resolved

    @property
    def reprocessable(self) -> bool:
        """Bad partner data not re-processed yet (``supplier_sync.reprocess`` takes it)."""
        return self.quarantine_id is not None and not self.resolved


def read_notification(db: Database, notification_id: int) -> NotificationInfo:
    with db.reader() as s:
        note = s.get(SyncNotification, notification_id)
        if note is None:
            raise LookupError(f"No syncing notification with id {notification_id}")
        vendor = s.get(Vendor, note.vendor_id) if note.vendor_id else None
        po = s.get(PurchaseOrder, note.po_id) if note.po_id else None
        return NotificationInfo(
            id=saved_id(note),
            created_at=note.created_at,
            kind=NotificationKind(note.kind),
            vendor=f"{vendor.code} · {vendor.name}" if vendor else None,
            po_id=note.po_id,
            po_number=po.number if po else None,
            message=note.message,
            reviewed=bool(note.reviewed),
            resolved=bool(note.resolved),
            quarantine_id=_quarantine_id(note),
        )


def _quarantine_id(note: SyncNotification) -> int | None:
    if note.kind != NotificationKind.BAD_DATA or not note.payload:
        return None
    try:
        value = json.loads(note.payload).get("quarantine_id")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, int) else None
