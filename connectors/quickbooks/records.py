"""Typed records to and from QuickBooks Online: bills, purchase orders, vendors, batch items.

Money leaves posync as Decimal strings ("125.50"), never floats; answers are parsed with
Decimal as well, so no amount is ever rounded by a binary float on the way. The entities
QuickBooks answers are validated by pydantic (``_TxnAnswer``, ``_VendorAnswer``): a shape it
does not promise is a MalformedResponse naming the field, never a KeyError.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, TypeAdapter

from connectors.currencies import rounded
from connectors.validation import AMOUNT_LIMIT, validate

DOC_NUMBER_MAX = 21  # QuickBooks' DocNumber limit


# ISO 4217 minor units where they are not 2 (the currencies QuickBooks Online offers).
def money(value: Decimal, currency: str | None = None) -> str:
    """An amount as sent: rounded to the currency's precision ("125.50", "1250" in yen)."""
    return str(rounded(value, currency))


def number(value: Decimal) -> str:
    """A quantity or unit price: exact, without trailing zeros ("2", "1.125")."""
    text = format(Decimal(value).normalize(), "f")
    return text if text not in ("-0",) else "0"


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
    tax_code_id: str | None = None  # → TaxCodeRef of the line's detail
    class_id: str | None = None  # → ClassRef of the line's detail

    def to_qbo(self, linked_po_id: str | None = None, currency: str | None = None) -> dict:
        line: dict[str, Any] = {"Amount": money(self.amount, currency)}
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
            detail = {
                "AccountRef": {"value": self.account_id or ""},
                "BillableStatus": "NotBillable",
            }
            line["DetailType"] = "AccountBasedExpenseLineDetail"
            line["AccountBasedExpenseLineDetail"] = detail
        if self.tax_code_id:
            detail["TaxCodeRef"] = {"value": self.tax_code_id}
        if self.class_id:
            detail["ClassRef"] = {"value": self.class_id}
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
    ap_account_id: str | None = None  # → APAccountRef
    term_id: str | None = None  # → SalesTermRef
    department_id: str | None = None  # → DepartmentRef (QuickBooks' "location"; bills only)

    @property
    def total(self) -> Decimal:
        """What QuickBooks should answer as TotalAmt: the sum of the lines as sent."""
        return sum((rounded(line.amount, self.currency) for line in self.lines), Decimal(0))

    def to_qbo(self) -> dict:
        body = self.owned()
        if self.currency:
            body["CurrencyRef"] = {"value": self.currency}
        if self.private_note:
            body["PrivateNote"] = self.private_note[:4000]
        return body

    def owned(self) -> dict[str, Any]:
        """The fields posync owns: what a re-import sends as a sparse update, so that what an
        accountant changed in QuickBooks elsewhere (the memo, attachments' notes, …) is kept."""
        body: dict[str, Any] = {
            "VendorRef": {"value": self.vendor_id},
            "DocNumber": self.doc_number,
            "Line": [line.to_qbo(self.linked_po_id, self.currency) for line in self.lines],
        }
        if self.txn_date:
            body["TxnDate"] = self.txn_date.isoformat()
        if self.due_date:
            body["DueDate"] = self.due_date.isoformat()
        for key, value in (
            ("APAccountRef", self.ap_account_id),
            ("SalesTermRef", self.term_id),
            ("DepartmentRef", self.department_id if self.entity == "Bill" else None),
        ):
            if value:
                body[key] = {"value": value}
        return body


def bill_draft(**kw) -> TxnDraft:
    return TxnDraft(entity="Bill", **kw)


def purchase_order_draft(**kw) -> TxnDraft:
    return TxnDraft(entity="PurchaseOrder", **kw)


def _id_text(value: Any) -> Any:
    # QuickBooks sends ids and tokens as strings; a number is taken as its digits.
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    return value


Id = Annotated[str, BeforeValidator(_id_text), Field(strict=True, min_length=1, max_length=40)]
IdText = Annotated[str, BeforeValidator(_id_text), Field(strict=True, max_length=4000)]


class _Ref(BaseModel):
    value: IdText = ""


class _Link(BaseModel):
    TxnType: IdText = ""
    TxnId: IdText = ""


class _LineAnswer(BaseModel):
    Amount: Annotated[Decimal, Field(gt=-AMOUNT_LIMIT, lt=AMOUNT_LIMIT, allow_inf_nan=False)] = (
        Decimal(0)
    )
    LinkedTxn: list[_Link] = []


class _TxnAnswer(BaseModel):
    Id: Id
    DocNumber: IdText = ""
    SyncToken: IdText = "0"
    VendorRef: _Ref = _Ref()
    TotalAmt: Annotated[Decimal, Field(gt=-AMOUNT_LIMIT, lt=AMOUNT_LIMIT, allow_inf_nan=False)] = (
        Decimal(0)
    )
    LinkedTxn: list[_Link] = []
    PrivateNote: IdText = ""
    Line: list[_LineAnswer] = []
    POStatus: IdText = ""
    DueDate: date | None = None


class _Email(BaseModel):
    Address: IdText = ""


class _VendorAnswer(BaseModel):
    Id: Id
    DisplayName: IdText = ""
    PrimaryEmailAddr: _Email = _Email()
    Active: Annotated[bool, Field(strict=True)] = True
    SyncToken: IdText = "0"


class _QueryAnswer(BaseModel):
    QueryResponse: dict[str, list[dict[str, Any]] | int | str | None] = {}


_QUERY = TypeAdapter(_QueryAnswer)
_TXN = TypeAdapter(_TxnAnswer)
_VENDOR = TypeAdapter(_VendorAnswer)


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
    line_count: int = 0
    po_status: str = ""  # a PurchaseOrder's "Open" or "Closed"
    due_date: date | None = None

    @property
    def voided(self) -> bool:
        """QuickBooks keeps a voided transaction with zero amounts and "Voided" in its memo."""
        return self.total == 0 and self.private_note.startswith("Voided")

    @classmethod
    def from_qbo(cls, entity: str, data: Any) -> Txn:
        answer = validate(_TXN, data, f"QuickBooks' {entity}")
        # A bill keeps the purchase orders it settles on its lines' LinkedTxn.
        links = [*answer.LinkedTxn, *(link for line in answer.Line for link in line.LinkedTxn)]
        return cls(
            entity=entity,
            id=answer.Id,
            doc_number=answer.DocNumber,
            sync_token=answer.SyncToken or "0",
            vendor_id=answer.VendorRef.value,
            total=answer.TotalAmt,
            linked=tuple(dict.fromkeys((link.TxnType, link.TxnId) for link in links)),
            private_note=answer.PrivateNote or "",
            line_count=len(answer.Line),
            po_status=answer.POStatus,
            due_date=answer.DueDate,
        )


class _Named(BaseModel):
    Id: Id
    Name: IdText = ""
    FullyQualifiedName: IdText = ""
    AccountType: IdText = ""
    Type: IdText = ""
    DueDays: int | None = None
    Active: bool = True


_NAMED = TypeAdapter(_Named)


@dataclass(frozen=True)
class ListEntry:
    """A record of one of QuickBooks' lists (Account, TaxCode, Class, Department, Term, Item)."""

    id: str
    name: str
    kind: str = ""  # an account's AccountType, an item's Type
    due_days: int | None = None  # a term's

    @classmethod
    def from_qbo(cls, entity: str, data: Any) -> ListEntry:
        answer = validate(_NAMED, data, f"QuickBooks' {entity}")
        return cls(
            id=answer.Id,
            name=answer.FullyQualifiedName or answer.Name,
            kind=answer.AccountType or answer.Type,
            due_days=answer.DueDays,
        )


@dataclass(frozen=True)
class QboVendor:
    id: str
    display_name: str
    email: str = ""
    active: bool = True
    sync_token: str = "0"

    @classmethod
    def from_qbo(cls, data: Any) -> QboVendor:
        answer = validate(_VENDOR, data, "QuickBooks' Vendor")
        return cls(
            id=answer.Id,
            display_name=answer.DisplayName,
            email=answer.PrimaryEmailAddr.Address,
            active=answer.Active,
            sync_token=answer.SyncToken or "0",
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


def query_rows(body: Any) -> dict[str, list[dict]]:
    """The entity lists of a query answer (its other keys, such as maxResults, left out)."""
    answer = validate(_QUERY, body, "QuickBooks' query answer")
    return {k: v for k, v in answer.QueryResponse.items() if isinstance(v, list)}
