"""What the PO detail shows, read in one go: header, vendor, lines, audit log, notifications.

Read-only. The detail screen re-reads it after every change to its PO; a PO has a handful of
lines, so one read of everything is simpler than tracking what changed. The audit log is read
newest first and capped (``AUDIT_LIMIT``): a PO synced for years keeps every entry in the
database, the screen shows the recent ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlmodel import col

from posync_tui.config import Settings
from posync_tui.db import Database
from posync_tui.models import (
    AuditEntry,
    Customer,
    Integration,
    Item,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    SalesOrder,
    SalesOrderLine,
    SyncNotification,
    TableModel,
    Vendor,
    saved_id,
)
from posync_tui.services.accounting_queues import setting_on
from posync_tui.services.po_accounting import POAccounting, po_accounting
from posync_tui.services.supplier_sync_operator import (
    LINE_EDITABLE,
    PO_EDITABLE,
    inactive_reason,
    out_of_sync,
    supplier_fields_locked,
    supplier_line_fields_locked,
)

AUDIT_LIMIT = 500
NOTIFICATION_LIMIT = 200
PO_STATUSES = tuple(s.value for s in POStatus)
_TABLES: dict[str, type[TableModel]] = {
    "purchase_order": PurchaseOrder,
    "purchase_order_line": PurchaseOrderLine,
}


def max_length(record: str, field: str) -> int | None:
    """The longest text a field holds (``record``: "purchase_order" or "purchase_order_line")."""
    column = _TABLES[record].__table__.c.get(field)
    return getattr(column.type, "length", None) if column is not None else None


@dataclass(frozen=True)
class DetailLine:
    id: int
    line_no: int
    item_id: int | None
    sku: str | None  # None while the item is missing from posync
    description: str
    supplier_part_no: str | None
    upc: str | None
    quantity_ordered: Decimal
    quantity_confirmed: Decimal | None
    quantity_received: Decimal
    unit_cost: Decimal
    expected_date: date | None
    missing_item: bool
    hidden: bool  # cancelled by the supplier: hidden on the PO, never deleted
    special_order_line_id: int | None
    special_order: str | None  # "SO-70012/1 Bayside Bikes" when assigned


@dataclass(frozen=True)
class DetailAudit:
    """One audit entry: what changed, from what, to what, when, by which sync."""

    id: int
    at: datetime
    line_no: int | None  # None: a field of the PO itself
    field: str
    old_value: str | None
    new_value: str | None
    source: str


@dataclass(frozen=True)
class DetailNotification:
    id: int
    created_at: datetime
    kind: str
    message: str
    reviewed: bool
    resolved: bool


@dataclass(frozen=True)
class PODetail:
    id: int
    number: str
    status: str
    vendor_id: int
    vendor_code: str
    vendor_name: str
    supplier_account: str | None
    order_date: date | None
    expected_date: date | None
    currency: str
    reference: str | None
    notes: str | None
    total: Decimal
    line_count: int
    auto_sync: bool
    supplier_order_no: str | None
    last_synced_at: datetime | None
    supplier_notified_at: datetime | None
    last_sync_error: str | None
    created_by_supplier: bool
    # Accounting (Cin7 seed): the operator's fields here, the rest in ``accounting``.
    invoice_date: date | None
    supplier_invoice_no: str | None
    dispatch_date: date | None
    invoice_due_date: date | None  # the supplier invoice's (EDI INVOIC DTM+13) or the operator's
    accounting: POAccounting
    out_of_sync: bool  # the last-synced date shows red
    sync_inactive: str | None  # why a PO with auto-sync on does not sync, if it does not
    locked_fields: frozenset[str]  # PO fields the supplier sync fills, read-only now
    locked_line_fields: frozenset[str]
    editable_fields: frozenset[str]  # PO fields the operator may edit (when not locked)
    editable_line_fields: frozenset[str]
    lines: tuple[DetailLine, ...]
    audit: tuple[DetailAudit, ...]  # newest first
    audit_total: int
    notifications: tuple[DetailNotification, ...]  # newest first

    @property
    def missing_items(self) -> int:
        """Visible lines whose item is missing: the PO warns "some items may be missing"."""
        return sum(1 for ln in self.lines if ln.missing_item and not ln.hidden)

    @property
    def hidden_lines(self) -> int:
        return sum(1 for ln in self.lines if ln.hidden)


def load_po_detail(db: Database, po_id: int, *, settings: Settings | None = None) -> PODetail:
    """Everything the PO detail shows; LookupError when the PO does not exist (any more).

    ``settings``: whether "Upload POs as QuickBooks Purchase Orders" is on (off without them).
    """
    with db.reader() as s:
        po = s.get(PurchaseOrder, po_id)
        if po is None:
            raise LookupError(f"No PO with id {po_id}")
        vendor = s.get_one(Vendor, po.vendor_id)
        lines = _lines(s, po_id)
        line_nos = {ln.id: ln.line_no for ln in lines}
        audit_total = s.execute(
            select(func.count()).select_from(AuditEntry).where(col(AuditEntry.po_id) == po_id)
        ).scalar_one()
        audit = tuple(
            DetailAudit(
                saved_id(a),
                a.at,
                line_nos.get(a.record_id) if a.record_kind == "purchase_order_line" else None,
                a.field,
                a.old_value,
                a.new_value,
                a.source,
            )
            for a in s.scalars(
                select(AuditEntry)
                .where(col(AuditEntry.po_id) == po_id)
                .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
                .limit(AUDIT_LIMIT)
            )
        )
        notifications = tuple(
            DetailNotification(
                saved_id(n), n.created_at, str(n.kind), n.message, n.reviewed, n.resolved
            )
            for n in s.scalars(
                select(SyncNotification)
                .where(col(SyncNotification.po_id) == po_id)
                .order_by(col(SyncNotification.id).desc())
                .limit(NOTIFICATION_LIMIT)
            )
        )
        return PODetail(
            id=saved_id(po),
            number=po.number,
            status=str(po.status),
            vendor_id=po.vendor_id,
            vendor_code=vendor.code,
            vendor_name=vendor.name,
            supplier_account=vendor.supplier_account,
            order_date=po.order_date,
            expected_date=po.expected_date,
            currency=po.currency,
            reference=po.reference,
            notes=po.notes,
            total=po.total,
            line_count=po.line_count,
            auto_sync=po.auto_sync,
            supplier_order_no=po.supplier_order_no,
            last_synced_at=po.last_synced_at,
            supplier_notified_at=po.supplier_notified_at,
            last_sync_error=po.last_sync_error,
            created_by_supplier=po.created_by_supplier,
            invoice_date=po.invoice_date,
            supplier_invoice_no=po.supplier_invoice_no,
            dispatch_date=po.dispatch_date,
            invoice_due_date=po.invoice_due_date,
            accounting=po_accounting(po, vendor, setting_on=setting_on(settings)),
            out_of_sync=out_of_sync(po),
            sync_inactive=(
                inactive_reason(vendor.code)
                if po.auto_sync and vendor.integration != Integration.B2B
                else None
            ),
            locked_fields=frozenset(supplier_fields_locked(po)),
            locked_line_fields=frozenset(supplier_line_fields_locked(po)),
            editable_fields=frozenset(PO_EDITABLE),
            editable_line_fields=frozenset(LINE_EDITABLE),
            lines=tuple(lines),
            audit=audit,
            audit_total=audit_total,
            notifications=notifications,
        )


def _lines(s, po_id: int) -> list[DetailLine]:
    special = (
        select(
            col(SalesOrderLine.id).label("so_line_id"),
            col(SalesOrder.number).label("so_number"),
            col(SalesOrderLine.line_no).label("so_line_no"),
            col(Customer.name).label("customer"),
        )
        .join(SalesOrder, col(SalesOrder.id) == col(SalesOrderLine.sales_order_id))
        .join(Customer, col(Customer.id) == col(SalesOrder.customer_id))
        .subquery()
    )
    rows = s.execute(
        select(
            PurchaseOrderLine,
            col(Item.sku),
            special.c.so_number,
            special.c.so_line_no,
            special.c.customer,
        )
        .outerjoin(Item, col(Item.id) == col(PurchaseOrderLine.item_id))
        .outerjoin(special, special.c.so_line_id == col(PurchaseOrderLine.special_order_line_id))
        .where(col(PurchaseOrderLine.po_id) == po_id)
        .order_by(col(PurchaseOrderLine.line_no), col(PurchaseOrderLine.id))
    ).all()
    return [
        DetailLine(
            id=ln.id,
            line_no=ln.line_no,
            item_id=ln.item_id,
            sku=sku,
            description=ln.description,
            supplier_part_no=ln.supplier_part_no,
            upc=ln.upc,
            quantity_ordered=ln.quantity_ordered,
            quantity_confirmed=ln.quantity_confirmed,
            quantity_received=ln.quantity_received,
            unit_cost=ln.unit_cost,
            expected_date=ln.expected_date,
            missing_item=ln.missing_item,
            hidden=ln.hidden,
            special_order_line_id=ln.special_order_line_id,
            special_order=f"{so_number}/{so_line_no} {customer}" if so_number else None,
        )
        for ln, sku, so_number, so_line_no, customer in rows
    ]
