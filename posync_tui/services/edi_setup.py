"""EDI setup (Onetrail seed): a vendor's "Enabled for EDI" and GLN, an item's MPN, the charge
types (supplier charge code → expense account) and the payment-terms mapping (supplier terms
identifier → posync terms with discount % / days). Each save is one transaction with an audit
entry per changed field; a refused value raises ``SetupInvalid`` naming its field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import or_
from sqlmodel import Session, col, select

from connectors.edifact import gln_problem
from posync_tui import numbers
from posync_tui.audit import edit
from posync_tui.db import Database
from posync_tui.events import note_change
from posync_tui.models import (
    EdiChargeType,
    EdiPaymentTerms,
    Item,
    PurchaseOrder,
    PurchaseOrderLine,
    Vendor,
    saved_id,
)

MISSING_MPN_SHOWN = 200
_DAYS = re.compile(r"[0-9]{1,4}")


class SetupInvalid(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def check_gln(text: str | None, enabled: bool) -> str | None:
    """Why the vendor's GLN field is refused, or None."""
    value = (text or "").strip()
    if not value:
        return "A vendor enabled for EDI needs its GLN" if enabled else None
    return gln_problem(value)


def read_vendor_edi(db: Database, vendor_id: int) -> tuple[bool, str | None]:
    """A vendor's "Enabled for EDI" and GLN."""
    with db.reader() as s:
        vendor = s.get_one(Vendor, vendor_id)
        return vendor.edi_enabled, vendor.gln


def save_vendor_edi(db: Database, vendor_id: int, *, enabled: bool, gln: str | None) -> None:
    with db.session() as s:
        set_vendor_edi(s, vendor_id, enabled=enabled, gln=gln)


def set_vendor_edi(s: Session, vendor_id: int, *, enabled: bool, gln: str | None) -> None:
    """The vendor's EDI fields, in the caller's transaction (the Edit Vendor form saves them
    with its other fields: all or nothing). ``SetupInvalid`` when refused."""
    problem = check_gln(gln, enabled)
    if problem:
        raise SetupInvalid("gln", problem)
    value = (gln or "").strip() or None
    vendor = s.get_one(Vendor, vendor_id)
    if value:
        other = s.exec(
            select(Vendor.code).where(Vendor.gln == value, col(Vendor.id) != vendor_id)
        ).first()
        if other is not None:
            raise SetupInvalid("gln", f"{value} is already the GLN of vendor {other}")
    edit(s, vendor, {"edi_enabled": enabled, "gln": value}, record_kind="vendor", po_id=None)
    note_change(s, "vendor", [vendor_id])


def save_item_mpn(db: Database, item_id: int, mpn: str | None) -> None:
    value = (mpn or "").strip() or None
    if value and len(value) > 40:
        raise SetupInvalid("mpn", f"At most 40 characters (this one has {len(value)})")
    with db.session() as s:
        item = s.get_one(Item, item_id)
        edit(s, item, {"mpn": value}, record_kind="item", po_id=None)
        note_change(s, "item", [item_id])


@dataclass(frozen=True)
class ItemRow:
    id: int
    sku: str
    description: str
    vendor: str | None  # the vendor's code


def items_without_mpn(db: Database, limit: int = MISSING_MPN_SHOWN) -> list[ItemRow]:
    """Items that EDI orders need an MPN for and that have none: the items of vendors enabled
    for EDI, and the items on POs to such vendors (an item no vendor owns can be on them)."""
    on_edi_pos = (
        select(PurchaseOrderLine.item_id)
        .join(PurchaseOrder, col(PurchaseOrder.id) == col(PurchaseOrderLine.po_id))
        .join(Vendor, col(Vendor.id) == col(PurchaseOrder.vendor_id))
        .where(col(Vendor.edi_enabled), col(PurchaseOrderLine.item_id).is_not(None))
    )
    query = (
        select(Item, Vendor.code)
        .join(Vendor, col(Vendor.id) == col(Item.vendor_id), isouter=True)
        .where(
            or_(col(Item.mpn).is_(None), col(Item.mpn) == ""),
            or_(col(Vendor.edi_enabled), col(Item.id).in_(on_edi_pos)),
        )
        .order_by(col(Item.sku))
        .limit(limit)
    )
    with db.reader() as s:
        return [
            ItemRow(saved_id(item), item.sku, item.description, code)
            for item, code in s.exec(query).all()
        ]


@dataclass(frozen=True)
class ChargeRow:
    code: str
    name: str
    expense_account: str


@dataclass(frozen=True)
class TermsRow:
    identifier: str
    terms: str
    discount_percent: Decimal
    discount_days: int
    net_days: int


def charge_types(db: Database) -> list[ChargeRow]:
    with db.reader() as s:
        rows = s.exec(select(EdiChargeType).order_by(col(EdiChargeType.code))).all()
        return [ChargeRow(r.code, r.name, r.expense_account) for r in rows]


def payment_terms(db: Database) -> list[TermsRow]:
    with db.reader() as s:
        rows = s.exec(select(EdiPaymentTerms).order_by(col(EdiPaymentTerms.identifier))).all()
        return [
            TermsRow(r.identifier, r.terms, r.discount_percent, r.discount_days, r.net_days)
            for r in rows
        ]


def save_charge_type(db: Database, code: str, name: str, expense_account: str) -> None:
    """Add or change the charge type ``code`` (ALC 7161, e.g. FC)."""
    code = code.strip().upper()
    if not code or len(code) > 3 or not code.isalnum():
        raise SetupInvalid("code", "A charge code is 1 to 3 letters or digits, e.g. FC")
    if not expense_account.strip():
        raise SetupInvalid("expense_account", "Name the expense account it books to")
    for field, text in (("name", name), ("expense_account", expense_account)):
        if len(text.strip()) > 60:
            raise SetupInvalid(field, "At most 60 characters")
    with db.session() as s:
        row = s.exec(select(EdiChargeType).where(EdiChargeType.code == code)).first()
        if row is None:
            row = EdiChargeType(code=code, name="", expense_account="")
            s.add(row)
            s.flush()
        values = {"name": name.strip(), "expense_account": expense_account.strip()}
        edit(s, row, values, record_kind="edi_charge_type", po_id=None)
        note_change(s, "edi_setup", [saved_id(row)])


def save_payment_terms(
    db: Database,
    identifier: str,
    terms: str,
    discount_percent: str,
    discount_days: str,
    net_days: str,
) -> None:
    """Add or change the mapping of the supplier's terms ``identifier`` (e.g. 5:3:D:30)."""
    identifier = identifier.strip()
    if not identifier or len(identifier) > 35:
        raise SetupInvalid("identifier", "The supplier's terms identifier, e.g. 5:3:D:30")
    if not terms.strip():
        raise SetupInvalid("terms", "Name posync's terms, e.g. 2% 10 Net 30")
    if len(terms.strip()) > 40:
        raise SetupInvalid("terms", "At most 40 characters")
    try:
        percent = numbers.parse(discount_percent or "0", "The discount", numbers.COST_PLACES)
    except ValueError as exc:
        raise SetupInvalid("discount_percent", f"{exc} (a percentage, e.g. 2 or 1.5)") from None
    if percent >= 100:
        raise SetupInvalid("discount_percent", "Between 0 and 100")
    days = {}
    for field, text in (("discount_days", discount_days), ("net_days", net_days)):
        # ASCII digits only: "²" is a digit to str.isdigit but not to int().
        if not _DAYS.fullmatch(text.strip() or "0"):
            raise SetupInvalid(field, "A whole number of days, at most 9999")
        days[field] = int(text.strip() or "0")
    with db.session() as s:
        row = s.exec(
            select(EdiPaymentTerms).where(EdiPaymentTerms.identifier == identifier)
        ).first()
        if row is None:
            row = EdiPaymentTerms(identifier=identifier, terms="")
            s.add(row)
            s.flush()
        values = {"terms": terms.strip(), "discount_percent": percent, **days}
        edit(s, row, values, record_kind="edi_payment_terms", po_id=None)
        note_change(s, "edi_setup", [saved_id(row)])
