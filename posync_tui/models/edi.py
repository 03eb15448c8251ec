"""EDI (Onetrail seed): the document log, supplier amendments, receipts and fulfilments, vendor
bills, and the setup that maps a supplier's charge and terms codes to posync's."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Column, Index, String, Text, text
from sqlmodel import Field

from posync_tui.models.core import TableModel, money, timestamp


class EdiSubmitStatus(StrEnum):
    SUBMITTING = "Submitting"
    SUBMITTED = "Submitted"
    FAILED = "Failed"


class AcceptStatus(StrEnum):
    ACCEPTED = "Accepted"
    CHANGED = "Changed and Accepted"
    REJECTED = "Rejected"
    DELETED = "Deleted"
    ADDED = "Added"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class DocumentStatus(StrEnum):
    WAITING = "waiting"  # outbound, in the outbox
    SENT = "sent"  # outbound, the hub holds it
    APPLIED = "applied"  # inbound, taken in
    FAILED = "failed"  # outbound refused, or inbound set aside (quarantined)
    REPROCESSED = "reprocessed"  # inbound, set aside once and taken in after a fix


_UNACKED = "direction = 'in' AND hub_id IS NOT NULL AND acked_at IS NULL"


class EdiDocument(TableModel, table=True):
    """One interchange in or out, kept whole: what the EDI documents screen lists."""

    __tablename__ = "edi_document"
    __table_args__ = (
        Index("ix_edi_document_time", "created_at", "id"),
        # An interchange control reference is unique per sender: a second one is refused.
        Index("ix_edi_document_control", "sender", "control_ref"),
        Index("ix_edi_document_hub", "hub_id"),
        # The hub's id of an inbound interchange is taken once: one log row for it, for ever.
        Index(
            "ux_edi_document_hub_in",
            "hub_id",
            unique=True,
            sqlite_where=text("direction = 'in' AND hub_id IS NOT NULL"),
            postgresql_where=text("direction = 'in' AND hub_id IS NOT NULL"),
        ),
        # Stored, not yet acknowledged at the hub: what every poll acknowledges first.
        Index(
            "ix_edi_document_unacked",
            "id",
            sqlite_where=text(_UNACKED),
            postgresql_where=text(_UNACKED),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = timestamp(default_now=True)
    direction: Direction = Field(sa_type=String(3))
    message_type: str = Field(max_length=10)  # ORDERS, ORDRSP, DESADV, INVOIC (or "?")
    sender: str = Field(max_length=35)  # the sender's GLN as the UNB gives it
    vendor_id: int | None = Field(default=None, foreign_key="vendor.id", index=True)
    control_ref: str = Field(max_length=14)
    hub_id: str | None = Field(default=None, max_length=80)  # the mailbox's id of an inbound one
    po_id: int | None = Field(default=None, foreign_key="purchase_order.id", index=True)
    status: DocumentStatus = Field(sa_type=String(12))
    processed_at: datetime | None = timestamp()
    raw: str = Field(sa_column=Column(Text, nullable=False))
    error: str | None = Field(default=None, sa_column=Column(Text))
    position: str | None = Field(default=None, max_length=40)  # e.g. "segment 7 (QTY)"
    # Inbound: when the hub confirmed posync's acknowledgement. Written only after the row (and
    # the cursor past it) was committed, so a row without it is the durable mark of an
    # interchange stored but not yet acknowledged: the next poll acknowledges it first.
    acked_at: datetime | None = timestamp()


class PoAmendment(TableModel, table=True):
    """One change a supplier made to a PO in its order response (the PO's Amendments tab)."""

    __tablename__ = "po_amendment"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = timestamp(default_now=True)
    po_id: int = Field(foreign_key="purchase_order.id", index=True)
    po_line_id: int | None = Field(default=None, foreign_key="purchase_order_line.id")
    field: str = Field(max_length=30)  # quantity, unit_cost, expected_date, item, status, line
    old_value: str | None = None
    new_value: str | None = None
    message_ref: str = Field(max_length=35)  # the ORDRSP's UNH reference
    document_id: int | None = Field(default=None, foreign_key="edi_document.id")


class EdiChargeType(TableModel, table=True):
    """A supplier charge code (ALC 7161, e.g. FC freight) and the expense account it books to."""

    __tablename__ = "edi_charge_type"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=3)
    name: str = Field(max_length=60)
    expense_account: str = Field(max_length=60)


class EdiPaymentTerms(TableModel, table=True):
    """A supplier's terms identifier (PAT, e.g. "5:3:D:30") mapped to posync's terms."""

    __tablename__ = "edi_payment_terms"

    id: int | None = Field(default=None, primary_key=True)
    identifier: str = Field(unique=True, max_length=35)
    terms: str = Field(max_length=40)  # posync's name, e.g. "2% 10 Net 30"
    discount_percent: Decimal = money()
    discount_days: int = 0
    net_days: int = 30


class ShipmentKind(StrEnum):
    RECEIPT = "Item Receipt"  # a standard PO
    FULFILMENT = "Item Fulfilment"  # a drop-ship PO


class Shipment(TableModel, table=True):
    """An Item Receipt or Item Fulfilment made from one despatch advice for one PO."""

    __tablename__ = "edi_shipment"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = timestamp(default_now=True)
    kind: ShipmentKind = Field(sa_type=String(16))
    po_id: int = Field(foreign_key="purchase_order.id", index=True)
    despatch_no: str = Field(max_length=35)  # the DESADV's BGM document number
    despatch_date: date | None = None
    delivery_date: date | None = None
    tracking_numbers: str = ""  # one per line
    # Despatched more than was open on some line: kept, flagged, not taken as received.
    over_despatch: str | None = None
    document_id: int | None = Field(default=None, foreign_key="edi_document.id")


class ShipmentLine(TableModel, table=True):
    __tablename__ = "edi_shipment_line"

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="edi_shipment.id", index=True)
    po_line_id: int = Field(foreign_key="purchase_order_line.id")
    quantity: Decimal = money()
    serials: str = ""  # one per line


class BillStatus(StrEnum):
    OPEN = "open"
    HELD = "held"  # a charge type is not configured: the operator maps it, then re-processes


class VendorBill(TableModel, table=True):
    """A supplier's invoice (INVOIC) as a bill made from the original PO."""

    __tablename__ = "vendor_bill"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = timestamp(default_now=True)
    po_id: int = Field(foreign_key="purchase_order.id", index=True)
    vendor_id: int = Field(foreign_key="vendor.id")
    invoice_no: str = Field(max_length=35)
    invoice_date: date
    due_date: date | None = None  # always the invoice's
    currency: str = Field(default="USD", max_length=3)
    terms_identifier: str | None = Field(default=None, max_length=35)  # as the supplier sent it
    terms_id: int | None = Field(default=None, foreign_key="edi_payment_terms.id")
    discount_percent: Decimal = money()
    discount_date: date | None = None
    status: BillStatus = Field(default=BillStatus.OPEN, sa_type=String(6))
    held_reason: str | None = None
    subtotal: Decimal = money()
    tax: Decimal = money()
    total: Decimal = money()
    document_id: int | None = Field(default=None, foreign_key="edi_document.id")


class VendorBillLine(TableModel, table=True):
    __tablename__ = "vendor_bill_line"

    id: int | None = Field(default=None, primary_key=True)
    bill_id: int = Field(foreign_key="vendor_bill.id", index=True)
    po_line_id: int = Field(foreign_key="purchase_order_line.id")
    quantity: Decimal = money()
    rate: Decimal = money()
    amount: Decimal = money()
    tax_rate: Decimal = money()
    tax: Decimal = money()


class VendorBillExpense(TableModel, table=True):
    """A supplier charge (freight, packing…) on a bill, booked to its charge type's account."""

    __tablename__ = "vendor_bill_expense"

    id: int | None = Field(default=None, primary_key=True)
    bill_id: int = Field(foreign_key="vendor_bill.id", index=True)
    charge_code: str = Field(max_length=3)
    account: str | None = Field(default=None, max_length=60)  # None: not configured (held)
    amount: Decimal = money()
