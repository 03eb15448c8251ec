"""Accounting (Cin7 seed): the QuickBooks Online upload queues, their rules and their counts.

Tabs: Purchases › Supplier Invoices (billed POs to sync as bills), Purchases › Purchase Orders
(unbilled POs to upload as QuickBooks purchase orders), Errors › Supplier Invoices, Errors ›
Purchase Orders, and Contacts (vendors not yet linked to a QuickBooks vendor).

Upload Selected / Upload All call ``enqueue_upload``: it checks the rules and writes one outbox
message per PO; where an upload stands (waiting, refused, waiting for a decision) is that
message's state, not the PO's. ``deliver`` (the scheduled "quickbooks" job, run by the lease
holder, in ``accounting_deliver``) sends them. Every commit notes its change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import and_, exists, func, or_
from sqlalchemy.sql import ColumnElement
from sqlmodel import select

from posync_tui.config import Settings
from posync_tui.db import Database
from posync_tui.links import LINK, linked
from posync_tui.models import (
    AccountingStatus,
    OutboxMessage,
    OutboxStatus,
    PartnerLink,
    POStatus,
    PurchaseOrder,
    Vendor,
    saved_id,
)
from posync_tui.paging import contains
from posync_tui.services.accounting_checks import checks_pass, facts_for
from posync_tui.services.accounting_rules import (
    RowFacts,
    UploadKind,
    UploadState,
    blockers,
    qbo_doc_number,
    reference_for,
)

CONNECTOR = "quickbooks"
_CHUNK = 500  # ids per IN (...) list


class QueueTab(StrEnum):
    SUPPLIER_INVOICES = "supplier_invoices"  # Purchases › Supplier Invoices
    PURCHASE_ORDERS = "purchase_orders"  # Purchases › Purchase Orders
    ERRORS_SUPPLIER_INVOICES = "errors_supplier_invoices"  # Errors › Supplier Invoices
    ERRORS_PURCHASE_ORDERS = "errors_purchase_orders"  # Errors › Purchase Orders


TAB_KIND = {
    QueueTab.SUPPLIER_INVOICES: UploadKind.BILL,
    QueueTab.PURCHASE_ORDERS: UploadKind.PURCHASE_ORDER,
    QueueTab.ERRORS_SUPPLIER_INVOICES: UploadKind.BILL,
    QueueTab.ERRORS_PURCHASE_ORDERS: UploadKind.PURCHASE_ORDER,
}

PO = PurchaseOrder.__table__.c
VENDOR = Vendor.__table__.c
MSG = OutboxMessage.__table__.c

PURCHASES_TAB = {
    UploadKind.BILL: QueueTab.SUPPLIER_INVOICES,
    UploadKind.PURCHASE_ORDER: QueueTab.PURCHASE_ORDERS,
}
ERROR_TABS = (QueueTab.ERRORS_SUPPLIER_INVOICES, QueueTab.ERRORS_PURCHASE_ORDERS)
WAITING_STATUSES = (OutboxStatus.PENDING, OutboxStatus.CLAIMED)
ERROR_STATUSES = (OutboxStatus.FAILED, OutboxStatus.DECISION)
UPLOAD_STATE = {
    OutboxStatus.PENDING: UploadState.WAITING,
    OutboxStatus.CLAIMED: UploadState.WAITING,
    OutboxStatus.FAILED: UploadState.ERROR,
    OutboxStatus.DECISION: UploadState.DECISION,
}


def uploads_in(statuses: tuple[OutboxStatus, ...], kind: UploadKind | None = None):
    """The POs with a QuickBooks message in one of ``statuses`` (walks ix_outbox_record)."""
    query = select(MSG.record_id).where(
        MSG.connector == CONNECTOR,
        MSG.record_kind == "purchase_order",
        MSG.status.in_([str(status) for status in statuses]),
    )
    return query.where(MSG.kind == str(kind)) if kind is not None else query


def upload_message(column):
    """A PO's current upload message's ``column`` (waiting, refused or undecided), as a
    correlated subquery for the paged tables."""
    return (
        select(column)
        .where(
            MSG.connector == CONNECTOR,
            MSG.record_kind == "purchase_order",
            MSG.record_id == PO.id,
            MSG.status.in_([str(status) for status in (*WAITING_STATUSES, *ERROR_STATUSES)]),
        )
        .order_by(MSG.id.desc())
        .limit(1)
        .scalar_subquery()
    )


BILLED: ColumnElement = or_(
    PO.invoice_date.is_not(None), func.coalesce(PO.supplier_invoice_no, "") != ""
)
UNBILLED: ColumnElement = and_(
    PO.invoice_date.is_(None),
    func.coalesce(PO.supplier_invoice_no, "") == "",
    PO.dispatch_date.is_(None),
)
NOT_FAILED: ColumnElement = PO.id.not_in(uploads_in(ERROR_STATUSES))
NOT_UPLOADED: ColumnElement = PO.id.not_in(linked(CONNECTOR, "purchase_order"))
VENDOR_LINKED: ColumnElement = exists().where(
    VENDOR.id == PO.vendor_id, VENDOR.qbo_vendor_id.is_not(None)
)


def queue_condition(tab: QueueTab) -> ColumnElement:
    """The SQL WHERE of a tab (on ``purchase_order``), for paged tables and counts."""
    if tab == QueueTab.SUPPLIER_INVOICES:
        # A PO already uploaded as a QBO purchase order is synced as a bill linked to it.
        return and_(
            BILLED,
            PO.accounting_status == AccountingStatus.NOT_IMPORTED,
            PO.status != POStatus.CANCELLED,
            NOT_FAILED,
        )
    if tab == QueueTab.PURCHASE_ORDERS:
        return and_(
            UNBILLED,
            NOT_UPLOADED,
            PO.accounting_status == AccountingStatus.NOT_IMPORTED,
            PO.status != POStatus.CANCELLED,
            NOT_FAILED,
        )
    return PO.id.in_(uploads_in(ERROR_STATUSES, TAB_KIND[tab]))


def ready_condition(tab: QueueTab) -> ColumnElement:
    """Rows of a Purchases tab that pass every rule and check Upload applies (the setting
    aside) and are not yet queued."""
    base = and_(
        queue_condition(tab),
        VENDOR_LINKED,
        PO.id.not_in(uploads_in(WAITING_STATUSES)),
        checks_pass(TAB_KIND[tab]),
    )
    if tab == QueueTab.SUPPLIER_INVOICES:
        return and_(
            base,
            PO.invoice_date.is_not(None),
            func.coalesce(PO.supplier_invoice_no, "") != "",
        )
    return base


@dataclass(frozen=True)
class QueueRow:
    """One row of an upload queue, with everything the console shows about it."""

    po_id: int
    number: str
    vendor_id: int
    vendor_name: str
    supplier_invoice_no: str | None
    invoice_date: date | None
    dispatch_date: date | None
    total: Decimal
    reference: str  # shown whole
    doc_number: str  # what QuickBooks receives (21 characters at most)
    truncated: bool
    accounting_status: str
    upload_state: str | None  # None, "waiting", "error" or "decision"
    error_code: str | None
    error: str | None
    blockers: tuple[str, ...] = field(default=())
    message_id: int | None = None  # the upload's outbox message (an Errors tab's decisions)

    @property
    def ready(self) -> bool:
        return not self.blockers and self.upload_state != UploadState.WAITING


def _setting_on(settings: Settings | None) -> bool:
    return bool(settings is not None and settings.quickbooks.upload_pos_as_purchase_orders)


def queue_row(
    po: PurchaseOrder,
    vendor: Vendor | None,
    tab: QueueTab,
    *,
    link: PartnerLink | None,
    setting_on: bool,
    message: tuple[int, str] | None = None,
    facts: RowFacts = RowFacts(),
) -> QueueRow:
    """``link``: what the PO became in QuickBooks, if anything; ``message``: the id and status
    of the PO's current upload message, if it has one."""
    kind = TAB_KIND[tab]
    reference = reference_for(po, kind)
    doc = qbo_doc_number(reference)
    return QueueRow(
        po_id=saved_id(po),
        number=po.number,
        vendor_id=po.vendor_id,
        vendor_name=vendor.name if vendor else "",
        supplier_invoice_no=po.supplier_invoice_no,
        invoice_date=po.invoice_date,
        dispatch_date=po.dispatch_date,
        total=po.total,
        reference=reference,
        doc_number=doc,
        truncated=doc != reference,
        accounting_status=str(po.accounting_status),
        upload_state=UPLOAD_STATE.get(OutboxStatus(message[1])) if message else None,
        error_code=po.accounting_error_code,
        error=po.accounting_error,
        blockers=tuple(blockers(po, vendor, kind, link=link, setting_on=setting_on, facts=facts)),
        message_id=message[0] if message else None,
    )


def list_queue(
    db: Database,
    tab: QueueTab,
    *,
    offset: int = 0,
    limit: int = 100,
    text: str = "",
    settings: Settings | None = None,
) -> list[QueueRow]:
    """A page of a tab, ordered by PO number; ``text`` filters by PO number or invoice number."""
    query = (
        select(PurchaseOrder, Vendor, PartnerLink, upload_message(MSG.id))
        .add_columns(upload_message(MSG.status))
        .join(Vendor, VENDOR.id == PO.vendor_id)
        .outerjoin(PartnerLink, quickbooks_link(PO.id))
        .where(queue_condition(tab))
        .order_by(PO.number)
        .offset(offset)
        .limit(limit)
    )
    if text:
        query = query.where(contains(text, PO.number, PO.supplier_invoice_no))
    with db.reader() as s:
        rows = s.execute(query).all()
        facts = facts_for(s, TAB_KIND[tab], [saved_id(row[0]) for row in rows])
    setting_on = _setting_on(settings)
    return [
        queue_row(
            po,
            v,
            tab,
            link=link,
            setting_on=setting_on,
            message=(mid, st) if mid else None,
            facts=facts[saved_id(po)],
        )
        for po, v, link, mid, st in rows
    ]


def quickbooks_link(po_id: ColumnElement) -> ColumnElement:
    """The join of a PO to its QuickBooks link (one at most: ix_partner_link_record)."""
    return and_(
        LINK.connector == CONNECTOR, LINK.record_kind == "purchase_order", LINK.record_id == po_id
    )


def queue_ids(db: Database, tab: QueueTab) -> list[int]:
    """Every PO id of a tab, for Upload All (the rules are checked again when queued)."""
    with db.reader() as s:
        return list(s.execute(select(PO.id).where(queue_condition(tab))).scalars())


@dataclass(frozen=True)
class Waiting:
    """What waits to go to QuickBooks as one kind of record.

    The one "waiting" figure of the title bar (QBO n waiting), the Purchases tabs' labels and
    ``posync sync --once``: the POs ready to upload (they pass every rule and check Upload
    applies and are not queued yet: Upload on Accounting queues them) plus the uploads queued
    in the outbox and not yet answered by QuickBooks.
    """

    ready: int = 0
    queued: int = 0

    @property
    def total(self) -> int:
        return self.ready + self.queued

    def __add__(self, other: Waiting) -> Waiting:
        return Waiting(self.ready + other.ready, self.queued + other.queued)


def waiting_uploads(db: Database, settings: Settings | None) -> dict[UploadKind, Waiting]:
    """What waits, by kind. Ready unbilled POs count only when the setting allows uploading
    them."""
    with db.reader() as s:
        return {kind: _waiting(s, kind, settings) for kind in UploadKind}


def _waiting(s, kind: UploadKind, settings: Settings | None) -> Waiting:
    ready = 0
    if kind == UploadKind.BILL or _setting_on(settings):
        ready = _count(s, ready_condition(PURCHASES_TAB[kind]))
    queued = s.exec(
        select(func.count()).select_from(uploads_in(WAITING_STATUSES, kind).subquery())
    ).one()
    return Waiting(ready, queued)


def _count(s, condition: ColumnElement) -> int:
    return s.exec(select(func.count()).select_from(PurchaseOrder).where(condition)).one()


def queue_counts(db: Database, settings: Settings | None = None) -> dict[str, int]:
    """The Accounting tabs' counts: the Purchases tabs what waits of their kind
    (``Waiting``), the Errors tabs their rows, Contacts the vendors not linked;
    ``upload_waiting`` the whole "waiting" figure and ``upload_errors`` the Errors tabs'."""
    waiting = waiting_uploads(db, settings)
    with db.reader() as s:
        counts = {str(tab): _count(s, queue_condition(tab)) for tab in ERROR_TABS}
        counts["contacts"] = s.exec(
            select(func.count()).select_from(Vendor).where(VENDOR.qbo_vendor_id.is_(None))
        ).one()
    counts.update((str(PURCHASES_TAB[kind]), w.total) for kind, w in waiting.items())
    counts["upload_waiting"] = sum(w.total for w in waiting.values())
    counts["upload_errors"] = sum(counts[str(tab)] for tab in ERROR_TABS)
    return counts


# The other halves live in their own modules; re-exported so callers need one import.
from posync_tui.services.accounting_connection import (  # noqa: E402
    authorization_link,
    connect_company,
    connection_state,
    qbo_client,
)
from posync_tui.services.accounting_contacts import (  # noqa: E402
    create_qbo_vendor,
    find_qbo_vendors_by_name,
    link_vendor,
    unlink_vendor,
    unlinked_vendors,
)
from posync_tui.services.accounting_deliver import deliver  # noqa: E402
from posync_tui.services.accounting_enqueue import (  # noqa: E402
    DECIDE_FIRST,
    EnqueueResult,
    ResetRefused,
    add_outbox,
    enqueue_upload,
    reset_for_reimport,
)

__all__ = [
    "DECIDE_FIRST",
    "EnqueueResult",
    "add_outbox",
    "authorization_link",
    "connect_company",
    "QueueRow",
    "QueueTab",
    "ResetRefused",
    "UploadKind",
    "UploadState",
    "connection_state",
    "create_qbo_vendor",
    "deliver",
    "enqueue_upload",
    "find_qbo_vendors_by_name",
    "link_vendor",
    "list_queue",
    "qbo_client",
    "queue_condition",
    "queue_counts",
    "Waiting",
    "waiting_uploads",
    "queue_ids",
    "ready_condition",
    "reset_for_reimport",
    "unlink_vendor",
    "unlinked_vendors",
]
