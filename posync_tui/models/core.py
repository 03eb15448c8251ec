"""The records posync is the system of record for: vendors, items, POs, customers, sales orders."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar, Literal, Protocol, overload

from sqlalchemy import Index, String, Table, text
from sqlmodel import Field, SQLModel

from posync_tui.sqltypes import Decimal4, UTCDateTime, utcnow


def money(default: Decimal | None = Decimal(0), **kw) -> Decimal:
    return Field(default=default, sa_type=Decimal4, **kw)


class TableModel(SQLModel):
    """Base of every table: declares the Core ``Table`` SQLModel sets on each one."""

    # SQLModel builds it at class creation but does not declare it to type checkers.
    __table__: ClassVar[Table]


class Numbered(Protocol):
    @property
    def id(self) -> int | None: ...


def saved_id(record: Numbered) -> int:
    """The id of a record the database has numbered: loaded, or added and flushed."""
    assert record.id is not None, f"{type(record).__name__} has no id until it is flushed"
    return record.id


@overload
def timestamp(default_now: Literal[True], **kw: Any) -> datetime: ...
@overload
def timestamp(default_now: Literal[False] = False, **kw: Any) -> datetime | None: ...
def timestamp(default_now: bool = False, **kw: Any) -> datetime | None:
    if default_now:
        return Field(default_factory=utcnow, sa_type=UTCDateTime, **kw)
    return Field(default=None, sa_type=UTCDateTime, **kw)


class Integration(StrEnum):
    NONE = "none"
    B2B = "b2b"  # supplier B2B API: auto-sync
    EDI = "edi"  # Onetrail-style EDI hub


class POStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    PARTIAL = "partial"
    RECEIVED = "received"
    CLOSED = "closed"
    CANCELLED = "cancelled"


# Sent to the supplier and not yet all received. A draft is not open: the supplier has no
# order for it yet, so it is neither offered for auto-sync nor counted as open.
OPEN_PO_STATUSES = (POStatus.OPEN, POStatus.PARTIAL)


class AccountingStatus(StrEnum):
    NOT_IMPORTED = "Not Imported Yet Or Reset For Re-import"
    IMPORTED = "Imported"


class Division(TableModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=20)
    name: str = Field(max_length=100)
    warehouse_interface: bool = False


class Vendor(TableModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=20)
    name: str = Field(max_length=100, index=True)
    integration: Integration = Field(default=Integration.NONE, sa_type=String(10))
    supplier_account: str | None = Field(default=None, max_length=50)
    auto_sync: bool = False
    gln: str | None = Field(default=None, max_length=13)
    currency: str = Field(default="USD", max_length=3)
    email: str | None = Field(default=None, max_length=200)
    qbo_vendor_id: str | None = Field(default=None, max_length=30)
    qbo_display_name: str | None = Field(default=None, max_length=100)
    last_synced_at: datetime | None = timestamp()
    created_at: datetime = timestamp(default_now=True)
    # EDI (Onetrail seed): POs to it may be submitted electronically (it needs a GLN too).
    # (Server defaults on the EDI columns: the bulk seed inserts rows without them.)
    edi_enabled: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})


class Item(TableModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(unique=True, max_length=40)
    description: str = Field(max_length=200)
    upc: str | None = Field(default=None, max_length=14, index=True)
    mpn: str | None = Field(default=None, max_length=40, index=True)
    supplier_part_no: str | None = Field(default=None, max_length=40, index=True)
    vendor_id: int | None = Field(default=None, foreign_key="vendor.id")
    unit_cost: Decimal = money()
    # The QuickBooks Online item a bill line books to (else the line books to an account).
    qbo_item_id: str | None = Field(default=None, max_length=30)
    created_at: datetime = timestamp(default_now=True)


class PurchaseOrder(TableModel, table=True):
    __tablename__ = "purchase_order"
    __table_args__ = (
        Index("ix_po_vendor_number", "vendor_id", "number"),
        Index("ix_po_status_number", "status", "number"),
        Index("ix_po_total", "total"),
        Index("ix_po_last_synced", "last_synced_at"),
        # The PO list pages by any column by walking an index (column, ..., rowid)
        # instead of sorting 100k rows.
        Index("ix_po_auto_sync_number", "auto_sync", "number"),
        Index("ix_po_line_count", "line_count"),
        # The accounting upload queues and their counts (Cin7 seed).
        Index("ix_po_accounting_queue", "accounting_status", "number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, max_length=20)
    vendor_id: int = Field(foreign_key="vendor.id")
    status: POStatus = Field(default=POStatus.OPEN, sa_type=String(10))
    order_date: date | None = None
    expected_date: date | None = None
    currency: str = Field(default="USD", max_length=3)
    reference: str | None = Field(default=None, max_length=60)
    notes: str | None = None
    # Kept on the row so that the PO list pages and sorts in SQL without joins.
    total: Decimal = money()
    line_count: int = 0
    # Supplier auto-sync (Ascend seed)
    auto_sync: bool = False
    supplier_order_no: str | None = Field(default=None, max_length=40, index=True)
    last_synced_at: datetime | None = timestamp()
    supplier_notified_at: datetime | None = timestamp()
    last_sync_error: str | None = None
    created_by_supplier: bool = False
    # Accounting (Cin7 seed)
    invoice_date: date | None = None
    supplier_invoice_no: str | None = Field(default=None, max_length=40)
    dispatch_date: date | None = None
    accounting_status: AccountingStatus = Field(
        default=AccountingStatus.NOT_IMPORTED, sa_type=String(40)
    )
    # The last QuickBooks upload's error. Where the upload stands is its outbox message; what
    # the PO became in QuickBooks is its PartnerLink.
    accounting_error_code: str | None = Field(default=None, max_length=20)
    accounting_error: str | None = None
    # QuickBooks mappings (issue 21): the supplier's invoice's own due date, if it gives one
    # (else the bill's due date comes from the terms chosen on Accounting › Settings).
    invoice_due_date: date | None = None
    created_at: datetime = timestamp(default_now=True)
    updated_at: datetime = timestamp(default_now=True)
    # EDI (Onetrail seed)
    # Special bid or special deal pricing: both must be filled in before submitting.
    special_order_type: str | None = Field(default=None, max_length=20)
    special_bid_reference: str | None = Field(default=None, max_length=35)
    # Unchecked: the supplier is asked to ship everything in one shipment.
    allow_partial_shipments: bool = Field(
        default=False, sa_column_kwargs={"server_default": text("false")}
    )
    # Shipped by the supplier straight to the customer: a despatch is an Item Fulfilment.
    drop_ship: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    edi_submit_status: str | None = Field(default=None, max_length=12)  # EdiSubmitStatus
    edi_submit_error: str | None = None
    edi_accept_status: str | None = Field(default=None, max_length=22)  # AcceptStatus


class PurchaseOrderLine(TableModel, table=True):
    __tablename__ = "purchase_order_line"
    __table_args__ = (Index("ix_pol_po_line", "po_id", "line_no"),)

    id: int | None = Field(default=None, primary_key=True)
    po_id: int = Field(foreign_key="purchase_order.id")
    line_no: int
    item_id: int | None = Field(default=None, foreign_key="item.id", index=True)
    # What the supplier calls the item; kept when the item is missing from posync.
    supplier_part_no: str | None = Field(default=None, max_length=40)
    upc: str | None = Field(default=None, max_length=14)
    description: str = Field(default="", max_length=200)
    quantity_ordered: Decimal = money()
    quantity_confirmed: Decimal | None = money(default=None)
    quantity_received: Decimal = money()
    unit_cost: Decimal = money()
    expected_date: date | None = None
    missing_item: bool = False
    # Cancelled by the supplier: hidden on the PO, never deleted.
    hidden: bool = False
    special_order_line_id: int | None = Field(default=None, foreign_key="sales_order_line.id")
    # EDI (Onetrail seed)
    # RFF+LI in the ORDERS: how the supplier's response names this line (None: added by it).
    buyer_line_ref: str | None = Field(default=None, max_length=35)
    edi_accept_status: str | None = Field(default=None, max_length=22)  # AcceptStatus
    # Despatched so far by despatch advices (receipts and fulfilments), to flag an over-despatch.
    quantity_despatched: Decimal = money(sa_column_kwargs={"server_default": "0"})


class Customer(TableModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=20)
    name: str = Field(max_length=100, index=True)


class CustomerLocation(TableModel, table=True):
    __tablename__ = "customer_location"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    code: str = Field(max_length=20)
    name: str = Field(max_length=100)
    address: str = Field(default="", max_length=200)
    city: str = Field(default="", max_length=60)
    is_ship_to: bool = True
    is_bill_to: bool = False
    warehouse_interface: bool = False


class SalesOrder(TableModel, table=True):
    __tablename__ = "sales_order"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, max_length=20)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    ship_to_id: int | None = Field(default=None, foreign_key="customer_location.id")
    division_id: int | None = Field(default=None, foreign_key="division.id")
    order_date: date | None = None
    status: str = Field(default="open", max_length=20)
    created_at: datetime = timestamp(default_now=True)
    updated_at: datetime = timestamp(default_now=True, index=True)


class SalesOrderLine(TableModel, table=True):
    __tablename__ = "sales_order_line"

    id: int | None = Field(default=None, primary_key=True)
    sales_order_id: int = Field(foreign_key="sales_order.id", index=True)
    line_no: int
    item_id: int = Field(foreign_key="item.id", index=True)
    quantity: Decimal = money()
    quantity_backordered: Decimal = money()
    # A special order line waits on a PO line for this customer.
    special_order: bool = False
    unit_price: Decimal = money()
    created_at: datetime = timestamp(default_now=True)
    # Warehouse (Ovotrack seed). The Warehouse Interface Status is the line's: "Send" makes it
    # eligible for batch staging, a commit sets "Committed". The line's customer location is
    # its order's ship-to. ``updated_at`` is the Last Modified a batch imports by.
    warehouse_interface_status: str = Field(default="", max_length=20)
    quantity_allocated: Decimal = money()
    updated_at: datetime = timestamp(default_now=True, index=True)
