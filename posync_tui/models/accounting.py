"""QuickBooks mappings and what a read-back found: posync's own records of the ledger side.

``AccountingMapping``: which QuickBooks record posync uses for one of its choices — the default
expense account, the A/P account, a vendor's tax code, an item's tax code (overriding its
vendor's), the class, the location (QuickBooks' Department) and the terms. A company-wide
choice has ``record_id`` 0; a vendor's or an item's names its row. Items are mapped to
QuickBooks items on ``item.qbo_item_id``.

``AccountingDiscrepancy``: one field where a bill or purchase order posync made differs in
QuickBooks from what posync holds, as the read-back last found it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field

from posync_tui.models.core import TableModel, timestamp


class MappingKind(StrEnum):
    EXPENSE_ACCOUNT = "expense_account"  # item-less lines are booked to it
    AP_ACCOUNT = "ap_account"  # the A/P account of bills and purchase orders
    TAX_CODE = "tax_code"  # per vendor (record_kind "vendor"), overridden per item ("item")
    CLASS = "class"
    LOCATION = "location"  # QuickBooks' Department
    TERMS = "terms"  # → the bill's due date when the supplier's invoice gives none


# The QuickBooks list each choice is made from.
MAPPING_ENTITY = {
    MappingKind.EXPENSE_ACCOUNT: "Account",
    MappingKind.AP_ACCOUNT: "Account",
    MappingKind.TAX_CODE: "TaxCode",
    MappingKind.CLASS: "Class",
    MappingKind.LOCATION: "Department",
    MappingKind.TERMS: "Term",
}


class AccountingMapping(TableModel, table=True):
    __tablename__ = "accounting_mapping"
    __table_args__ = (UniqueConstraint("kind", "record_kind", "record_id", name="uq_mapping"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: MappingKind = Field(sa_type=String(20))
    record_kind: str = Field(default="", max_length=20)  # "", "vendor" or "item"
    record_id: int = 0
    qbo_id: str = Field(max_length=30)
    qbo_name: str = Field(default="", max_length=200)
    due_days: int | None = None  # terms only: days from the invoice date to the due date
    updated_at: datetime = timestamp(default_now=True)


class DiscrepancyField(StrEnum):
    VENDOR = "vendor"
    DOC_NUMBER = "DocNumber"
    TOTAL = "total"
    LINES = "lines"
    STATE = "state"  # deleted or voided in QuickBooks


class AccountingDiscrepancy(TableModel, table=True):
    __tablename__ = "accounting_discrepancy"
    __table_args__ = (UniqueConstraint("po_id", "field", name="uq_discrepancy"),)

    id: int | None = Field(default=None, primary_key=True)
    po_id: int = Field(foreign_key="purchase_order.id", index=True)
    entity: str = Field(max_length=20)  # "Bill" or "PurchaseOrder"
    qbo_id: str = Field(max_length=30)
    field: DiscrepancyField = Field(sa_type=String(20))
    posync_value: str = Field(default="", max_length=200)
    qbo_value: str = Field(default="", max_length=200)
    found_at: datetime = timestamp(default_now=True)
    # An operator accepted QuickBooks' value: not listed again while QuickBooks still says it.
    accepted: bool = False
