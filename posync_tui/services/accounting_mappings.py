"""Accounting › Settings: what posync books to in QuickBooks, chosen from QuickBooks' own lists.

The lists (accounts, tax codes, classes, locations, terms, items) are read from QuickBooks a page
at a time (``fetch_list``, in a worker); a choice is stored in posync (``AccountingMapping``,
items on ``item.qbo_item_id``) and recorded in the audit log. ``Mappings`` is what the delivery
reads once per run: an item-less line is booked to the chosen expense account — none chosen,
the PO waits with a plain reason in its queue row instead of posync guessing an account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import Session, col, select

from connectors.quickbooks import ListEntry
from posync_tui import audit
from posync_tui.db import Database
from posync_tui.events import note_change
from posync_tui.models import MAPPING_ENTITY, AccountingMapping, Item, MappingKind, utcnow
from posync_tui.runtime import Runtime
from posync_tui.services.accounting_connection import qbo_client

NO_ACCOUNT = (
    "No expense account is chosen and {n} line(s) have no QuickBooks item: choose the default "
    "expense (or Cost of Goods Sold) account on Accounting › Settings, or map the items."
)


async def fetch_list(rt: Runtime, entity: str) -> list[ListEntry]:
    """One of QuickBooks' lists, every page of it (Account, TaxCode, Class, Department, Term,
    Item); accounts are the expense, Cost of Goods Sold and Accounts Payable ones."""
    async with qbo_client(rt) as client:
        entries = await client.list_entries(entity)
    return sorted(entries, key=lambda e: e.name.lower())


def entity_of(kind: MappingKind | str) -> str:
    return "Item" if kind == "item" else MAPPING_ENTITY[MappingKind(kind)]


def fits(kind: MappingKind, entry: ListEntry) -> bool:
    """Whether a list entry can be chosen for ``kind`` (an A/P account for A/P, …)."""
    if kind == MappingKind.AP_ACCOUNT:
        return entry.kind == "Accounts Payable"
    if kind == MappingKind.EXPENSE_ACCOUNT:
        return entry.kind in ("Cost of Goods Sold", "Expense", "Other Expense")
    return True


@dataclass(frozen=True)
class Choice:
    qbo_id: str
    name: str
    due_days: int | None = None


@dataclass(frozen=True)
class Mappings:
    """Every choice, read in one go: company-wide ones by kind, tax codes by vendor and item."""

    company: dict[MappingKind, Choice] = field(default_factory=dict)
    vendor_tax: dict[int, Choice] = field(default_factory=dict)
    item_tax: dict[int, Choice] = field(default_factory=dict)

    def id_of(self, kind: MappingKind) -> str | None:
        choice = self.company.get(kind)
        return choice.qbo_id if choice else None

    def tax_code(self, vendor_id: int, item_id: int | None) -> str | None:
        """The item's own tax code, else its vendor's."""
        choice = self.item_tax.get(item_id) if item_id is not None else None
        choice = choice or self.vendor_tax.get(vendor_id)
        return choice.qbo_id if choice else None

    def due_date(self, invoice_date: date | None, invoice_due: date | None) -> date | None:
        """The supplier's invoice's due date, else the invoice date plus the terms' days."""
        if invoice_due is not None:
            return invoice_due
        terms = self.company.get(MappingKind.TERMS)
        if invoice_date is None or terms is None or terms.due_days is None:
            return None
        return invoice_date + timedelta(days=terms.due_days)


def read_mappings(s: Session) -> Mappings:
    company: dict[MappingKind, Choice] = {}
    vendor_tax: dict[int, Choice] = {}
    item_tax: dict[int, Choice] = {}
    for row in s.exec(select(AccountingMapping)):
        choice = Choice(row.qbo_id, row.qbo_name, row.due_days)
        if row.record_kind == "vendor":
            vendor_tax[row.record_id] = choice
        elif row.record_kind == "item":
            item_tax[row.record_id] = choice
        else:
            company[MappingKind(row.kind)] = choice
    return Mappings(company, vendor_tax, item_tax)


def mappings(db: Database) -> Mappings:
    with db.reader() as s:
        return read_mappings(s)


def choose(
    db: Database,
    kind: MappingKind | str,
    entry: ListEntry | None,
    *,
    record_kind: str = "",
    record_id: int = 0,
    by: str = audit.OPERATOR,
) -> None:
    """Store a choice (``entry`` None: clear it), recorded in the audit log."""
    kind = MappingKind(kind)
    with db.session() as s:
        row = s.exec(
            select(AccountingMapping).where(
                AccountingMapping.kind == kind,
                AccountingMapping.record_kind == record_kind,
                AccountingMapping.record_id == record_id,
            )
        ).first()
        old = f"{row.qbo_name} ({row.qbo_id})" if row else None
        new = f"{entry.name} ({entry.id})" if entry else None
        if entry is None:
            if row is not None:
                s.delete(row)
        else:
            if row is None:
                row = AccountingMapping(
                    kind=kind, record_kind=record_kind, record_id=record_id, qbo_id=entry.id
                )
                s.add(row)
            row.qbo_id, row.qbo_name, row.due_days = entry.id, entry.name[:200], entry.due_days
            row.updated_at = utcnow()
        s.flush()
        if old != new:
            change = audit.Change(
                "accounting_mapping", record_id, _field(kind, record_kind), old, new
            )
            audit.record(s, [change], source=by)
        note_change(s, "accounting_mapping")


def _field(kind: MappingKind, record_kind: str) -> str:
    return f"{record_kind} {kind}".strip() if record_kind else str(kind)


def map_item(db: Database, item_id: int, entry: ListEntry | None, *, by: str = audit.OPERATOR):
    """Map a posync item to a QuickBooks item (None: unmap it), recorded in the audit log."""
    with db.session() as s:
        item = s.get(Item, item_id)
        if item is None:
            raise LookupError(f"item {item_id} does not exist")
        audit.edit(
            s,
            item,
            {"qbo_item_id": entry.id if entry else None},
            record_kind="item",
            po_id=None,
            source=by,
        )
        note_change(s, "item", [item_id])


def search_items(entries: list[ListEntry], text: str) -> list[ListEntry]:
    """QuickBooks' items whose name holds every word typed, best (prefix) matches first."""
    words = text.lower().split()
    found = [e for e in entries if all(w in e.name.lower() for w in words)]
    return sorted(found, key=lambda e: (not e.name.lower().startswith(text.lower()), e.name))


COMPANY_LABELS = {
    MappingKind.EXPENSE_ACCOUNT: "Expense / COGS account",
    MappingKind.AP_ACCOUNT: "A/P account",
    MappingKind.CLASS: "Class",
    MappingKind.LOCATION: "Location",
    MappingKind.TERMS: "Terms → due date",
}


@dataclass(frozen=True)
class SettingRow:
    """One line of Accounting › Settings: what is chosen, and what choosing it changes."""

    key: str
    section: str  # "Books", "Vendor tax code", "Item"
    label: str
    value: str  # the choice, in words ("" none)
    kind: str  # a MappingKind, or "item" (an item's QuickBooks item)
    record_kind: str = ""
    record_id: int = 0
    current: str | None = None  # the QuickBooks id chosen
    tax: Choice | None = None  # an item's own tax code


def _named(choice: Choice | None) -> str:
    return f"{choice.name} ({choice.qbo_id})" if choice else ""


def settings_rows(db: Database, *, items: int = 200) -> list[SettingRow]:
    """The choices, in the order the tab lists them: the books, each linked vendor's tax code,
    then items by SKU (the first ``items``) with their QuickBooks item and tax code."""
    from posync_tui.models import Vendor

    with db.reader() as s:
        chosen = read_mappings(s)
        vendors = s.exec(
            select(Vendor).where(col(Vendor.qbo_vendor_id).is_not(None)).order_by(col(Vendor.name))
        ).all()
        found = s.exec(select(Item).order_by(col(Item.sku)).limit(items)).all()
    rows = [
        SettingRow(
            str(kind), "Books", label, _named(chosen.company.get(kind)), str(kind),
            current=(chosen.company[kind].qbo_id if kind in chosen.company else None),
        )
        for kind, label in COMPANY_LABELS.items()
    ]  # fmt: skip
    for vendor in vendors:
        tax = chosen.vendor_tax.get(vendor.id or 0)
        rows.append(
            SettingRow(
                f"vendor:{vendor.id}", "Vendor tax code", vendor.name, _named(tax),
                str(MappingKind.TAX_CODE), "vendor", vendor.id or 0, tax.qbo_id if tax else None,
            )
        )  # fmt: skip
    for item in found:
        tax = chosen.item_tax.get(item.id or 0)
        value = f"QBO item {item.qbo_item_id}" if item.qbo_item_id else "not mapped"
        if tax:
            value += f" · tax {tax.name}"
        rows.append(
            SettingRow(
                f"item:{item.id}", "Item", item.sku, value, "item", "item", item.id or 0,
                item.qbo_item_id, tax,
            )
        )  # fmt: skip
    return rows
