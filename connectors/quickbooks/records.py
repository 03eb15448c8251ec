"""Typed records to and from QuickBooks Online: bills, purchase orders, vendors, batch items.

Money leaves posync as Decimal strings ("125.50"), never floats; answers are parsed with
Decimal as well, so no amount is ever rounded by a binary float on the way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

DOC_NUMBER_MAX = 21  # QuickBooks' DocNumber limit


def money(value: Decimal) -> str:
    return str(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def number(value: Decimal) -> str:
    """A quantity or unit price: exact, without trailing zeros ("2", "1.125")."""
    text = format(Decimal(value).normalize(), "f")
    return text if text not in ("-0",) else "0"


def to_decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))


@dataclass(frozen=True)
class ExpenseLine:
    """One line of a bill or purchase order: item-based when a QBO item is known, else account."""

    amount: Decimal
    description: str = ""
    item_id: str | None = None  # → ItemBasedExpenseLineDetail
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    account_id: str | None = None  # → AccountBasedExpenseLineDetail
    # A line of a QBO purchase order this bill line settles (LinkedTxn).
    linked_po_line_id: str | None = None

    def to_qbo(self, linked_po_id: str | None = None) -> dict:
        line: dict[str, Any] = {"Amount": money(self.amount)}
        if self.description:
            line["Description"] = self.description[:4000]
        if self.item_id:
            detail: dict[str, Any] = {"ItemRef": {"value": self.item_id}}
            if self.quantity is not None:
                detail["Qty"] = number(self.quantity)
            if self.unit_price is not None:
                detail["UnitPrice"] = number(self.unit_price)
            detail["BillableStatus"] = "NotBillable"
            line["DetailType"] = "ItemBasedExpenseLineDetail"
            line["ItemBasedExpenseLineDetail"] = detail
        else:
            line["DetailType"] = "AccountBasedExpenseLineDetail"
            line["AccountBasedExpenseLineDetail"] = {
                "AccountRef": {"value": self.account_id or ""},
                "BillableStatus": "NotBillable",
            }
        if linked_po_id:
            link = {"TxnId": linked_po_id, "TxnType": "PurchaseOrder"}
            if self.linked_po_line_id:
                link["TxnLineId"] = self.linked_po_line_id
            line["LinkedTxn"] = [link]
        return line


@dataclass(frozen=True)
class TxnDraft:
    """A Bill or a PurchaseOrder to create in QuickBooks."""

    entity: str  # "Bill" or "PurchaseOrder"
    vendor_id: str
    doc_number: str
    txn_date: date | None
    lines: tuple[ExpenseLine, ...]
    due_date: date | None = None
    currency: str | None = None
    private_note: str = ""
    # The QBO PurchaseOrder this bill settles, if there is one (bills only).
    linked_po_id: str | None = None

    def to_qbo(self) -> dict:
        body: dict[str, Any] = {
            "VendorRef": {"value": self.vendor_id},
            "DocNumber": self.doc_number,
            "Line": [line.to_qbo(self.linked_po_id) for line in self.lines],
        }
        if self.txn_date:
            body["TxnDate"] = self.txn_date.isoformat()
        if self.due_date:
            body["DueDate"] = self.due_date.isoformat()
        if self.currency:
            body["CurrencyRef"] = {"value": self.currency}
        if self.private_note:
            body["PrivateNote"] = self.private_note[:4000]
        return body


def bill_draft(**kw) -> TxnDraft:
    return TxnDraft(entity="Bill", **kw)


def purchase_order_draft(**kw) -> TxnDraft:
    return TxnDraft(entity="PurchaseOrder", **kw)


@dataclass(frozen=True)
class Txn:
    """A Bill or PurchaseOrder as QuickBooks holds it."""

    entity: str
    id: str
    doc_number: str
    sync_token: str
    vendor_id: str
    total: Decimal
    linked: tuple[tuple[str, str], ...] = ()  # (TxnType, TxnId)
    # Things that went right enough to keep but that an operator should know.
    warnings: tuple[str, ...] = ()
    # True when posync found it already in QuickBooks after a lost answer (no second copy made).
    recovered: bool = False
    private_note: str = ""

    @classmethod
    def from_qbo(cls, entity: str, data: dict) -> Txn:
        linked = tuple(
            (str(link.get("TxnType", "")), str(link.get("TxnId", "")))
            for link in data.get("LinkedTxn") or []
        )
        return cls(
            entity=entity,
            id=str(data["Id"]),
            doc_number=str(data.get("DocNumber") or ""),
            sync_token=str(data.get("SyncToken") or "0"),
            vendor_id=str((data.get("VendorRef") or {}).get("value") or ""),
            total=to_decimal(data.get("TotalAmt")),
            linked=linked,
            private_note=str(data.get("PrivateNote") or ""),
        )


@dataclass(frozen=True)
class QboVendor:
    id: str
    display_name: str
    email: str = ""
    active: bool = True
    sync_token: str = "0"

    @classmethod
    def from_qbo(cls, data: dict) -> QboVendor:
        return cls(
            id=str(data["Id"]),
            display_name=str(data.get("DisplayName") or ""),
            email=str((data.get("PrimaryEmailAddr") or {}).get("Address") or ""),
            active=bool(data.get("Active", True)),
            sync_token=str(data.get("SyncToken") or "0"),
        )


@dataclass(frozen=True)
class BatchItem:
    """One operation of a batch: ``bid`` matches it to its answer; ``requestid`` is the record's."""

    bid: str
    draft: TxnDraft
    requestid: str


@dataclass
class BatchOutcome:
    bid: str
    txn: Txn | None = None
    error: Exception | None = None  # a QuickBooksError, or PartnerUnavailable if no answer

    @property
    def ok(self) -> bool:
        return self.txn is not None


@dataclass
class Stats:
    """What one client did: for the bench, the status line and the tests."""

    requests: int = 0
    throttled: int = 0  # 429 / 3001 answers, each waited out and sent again
    retried: int = 0  # timeouts and 5xx sent again
    recovered: int = 0  # creates found by DocNumber after a lost answer
    refreshed_after_401: int = 0
    stale_rereads: int = 0
    per_path: dict[str, int] = field(default_factory=dict)
