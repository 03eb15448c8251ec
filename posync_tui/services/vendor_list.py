"""Vendors: the paged list, the Edit Vendor form's values and its save.

List columns: code, name, integration, auto-sync, open POs, last sync, failures. "Last sync" is
the vendor's last successful supplier sync (or, before the vendor's first, the latest of its
POs'); "failures" counts its POs whose last sync failed.

The Edit Vendor form (Ascend seed): integration type, supplier account reference and, only for
integrated (B2B) suppliers, "Auto-Sync Purchase Orders". Nothing changes until the form is
saved; ``save_vendor`` then writes every change in one transaction with an audit entry per
field (source "operator") and, when auto-sync is turned on and the operator accepts, turns
auto-sync on for the vendor's open POs too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.sql import ColumnElement, FromClause
from sqlmodel import col

from posync_tui import timefmt
from posync_tui.audit import OPERATOR, Change, edit, record
from posync_tui.db import Database
from posync_tui.events import note_change
from posync_tui.models import (
    OPEN_PO_STATUSES,
    Integration,
    PurchaseOrder,
    Vendor,
    utcnow,
)
from posync_tui.paging import Column, PagedSource, View, contains
from posync_tui.services.supplier_sync_operator import get_record

VENDOR = Vendor.__table__.c
PO = PurchaseOrder.__table__.c

ACCOUNT_MAX = 50  # Vendor.supplier_account's length
# A supplier's account reference is an identifier: no spaces, nothing that needs escaping.
ACCOUNT_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")

INTEGRATION_NAMES = {
    Integration.NONE: "None",
    Integration.B2B: "Supplier B2B",
    Integration.EDI: "EDI hub",
}

_OPEN = [s.value for s in OPEN_PO_STATUSES]

OPEN_POS: ColumnElement = (
    select(func.count()).where(PO.vendor_id == VENDOR.id, PO.status.in_(_OPEN)).scalar_subquery()
)
FAILURES: ColumnElement = (
    select(func.count())
    .where(PO.vendor_id == VENDOR.id, PO.last_sync_error.is_not(None))
    .scalar_subquery()
)
LAST_SYNC: ColumnElement = func.coalesce(
    VENDOR.last_synced_at,
    select(func.max(PO.last_synced_at)).where(PO.vendor_id == VENDOR.id).scalar_subquery(),
)


def _integration(value: str | None) -> str:
    if value == Integration.B2B:
        return "B2B"
    if value == Integration.EDI:
        return "EDI"
    return ""


def _count(value: int | None) -> str:
    return str(value) if value else ""


COLUMNS = (
    Column("code", "Code", 6, VENDOR.code, sort=(VENDOR.code,)),
    Column("name", "Name", 14, VENDOR.name, sort=(VENDOR.name,), flex=True),
    Column(
        "integration",
        "Integr.",
        7,
        VENDOR.integration,
        sort=(VENDOR.integration, VENDOR.code),
        format=_integration,
    ),
    Column(
        "auto_sync",
        "Auto",
        4,
        VENDOR.auto_sync,
        sort=(VENDOR.auto_sync, VENDOR.code),
        format=lambda v: "✓" if v else "",
    ),
    Column("open_pos", "Open POs", 8, OPEN_POS, sort=(OPEN_POS,), align="right", format=_count),
    Column(
        "last_sync",
        "Last sync",
        16,
        LAST_SYNC,
        sort=(LAST_SYNC,),
        nullable=True,
        format=timefmt.local,
    ),
    Column("failures", "Failures", 8, FAILURES, sort=(FAILURES,), align="right", format=_count),
)


class VendorListSource(PagedSource):
    """Vendors; row key = vendor.id. The filter text matches code, name or supplier account."""

    columns = COLUMNS
    key = VENDOR.id

    def from_clause(self, view: View) -> FromClause:
        return Vendor.__table__

    def conditions(self, view: View) -> list[ColumnElement]:
        text = view.text.strip()
        if not text:
            return []
        return [contains(text, VENDOR.code, VENDOR.name, VENDOR.supplier_account)]


def default_view() -> View:
    return View(sort="code")


# --- the Edit Vendor form ---------------------------------------------------------------------


@dataclass(frozen=True)
class VendorEdit:
    """What the Edit Vendor form shows and edits."""

    id: int
    code: str
    name: str
    integration: Integration
    supplier_account: str | None
    auto_sync: bool
    open_pos: int  # open POs (open, partly received: a draft is not sent yet)
    open_pos_without_auto_sync: int  # what "also auto-sync the open POs" would change


class VendorInvalid(ValueError):
    """A value the Edit Vendor form refuses; ``field`` names the form field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def read_vendor(db: Database, vendor_id: int) -> VendorEdit:
    with db.reader() as s:
        vendor = get_record(s, Vendor, vendor_id, "vendor")
        open_pos, without = s.execute(
            select(
                func.count(),
                func.count().filter(PO.auto_sync.is_(False)),
            ).where(PO.vendor_id == vendor_id, PO.status.in_(_OPEN))
        ).one()
        return VendorEdit(
            id=vendor.id,
            code=vendor.code,
            name=vendor.name,
            integration=Integration(vendor.integration),
            supplier_account=vendor.supplier_account,
            auto_sync=bool(vendor.auto_sync),
            open_pos=open_pos,
            open_pos_without_auto_sync=without,
        )


def check_vendor(integration: str, supplier_account: str | None, auto_sync: bool) -> dict:
    """The form's values that are refused, by field, with the reason (empty: all fine)."""
    problems: dict[str, str] = {}
    try:
        integration = Integration(integration)
    except ValueError:
        problems["integration"] = "Choose an integration type"
        return problems
    account = (supplier_account or "").strip()
    if len(account) > ACCOUNT_MAX:
        problems["supplier_account"] = (
            f"At most {ACCOUNT_MAX} characters (this one has {len(account)})"
        )
    elif account and not ACCOUNT_PATTERN.fullmatch(account):
        problems["supplier_account"] = (
            "Letters, digits and . _ / - only, starting with a letter or digit (no spaces)"
        )
    elif integration == Integration.B2B and not account:
        problems["supplier_account"] = (
            "An integrated (B2B) supplier needs the supplier account reference"
        )
    if auto_sync and integration != Integration.B2B:
        problems["auto_sync"] = "Only integrated (B2B) suppliers can auto-sync purchase orders"
    return problems


def save_vendor(
    db: Database,
    vendor_id: int,
    integration: str,
    supplier_account: str | None,
    auto_sync: bool,
    include_open_pos: bool = False,
    edi: tuple[bool, str | None] | None = None,
) -> list[int]:
    """Save the Edit Vendor form in one transaction; returns the open POs that now auto-sync
    (the caller syncs them with the supplier at once).

    ``include_open_pos``: auto-sync turned on also turns it on for every open PO of the vendor
    that does not auto-sync yet. A refused value raises ``VendorInvalid`` and nothing is saved.
    ``edi``: the form's EDI fields (enabled, GLN), saved in the same transaction (refused:
    ``SetupInvalid``, and nothing is saved).
    """
    problems = check_vendor(integration, supplier_account, auto_sync)
    if problems:
        field, message = next(iter(problems.items()))
        raise VendorInvalid(field, message)
    integration = Integration(integration)
    account = (supplier_account or "").strip() or None
    auto_sync = bool(auto_sync) and integration == Integration.B2B
    with db.session() as s:
        vendor = get_record(s, Vendor, vendor_id, "vendor")
        if account is not None:
            other = s.execute(
                select(col(Vendor.code)).where(
                    col(Vendor.supplier_account) == account, col(Vendor.id) != vendor_id
                )
            ).scalar()
            if other is not None:
                # Supplier changes are matched to a vendor by this reference: it must be one's.
                raise VendorInvalid(
                    "supplier_account", f"{account} is already the supplier account of {other}"
                )
        turned_on = auto_sync and not vendor.auto_sync
        changes = {"integration": integration, "supplier_account": account, "auto_sync": auto_sync}
        edit(s, vendor, changes, record_kind="vendor", po_id=None)
        note_change(s, "vendor", [vendor.id])
        if edi is not None:
            from posync_tui.services.edi_setup import set_vendor_edi

            enabled, gln = edi
            set_vendor_edi(s, vendor_id, enabled=enabled, gln=gln)
        if not (turned_on and include_open_pos):
            return []
        return _auto_sync_open_pos(s, vendor_id)


def _auto_sync_open_pos(s, vendor_id: int) -> list[int]:
    ids = list(
        s.execute(
            select(col(PurchaseOrder.id)).where(
                col(PurchaseOrder.vendor_id) == vendor_id,
                col(PurchaseOrder.status).in_(_OPEN),
                col(PurchaseOrder.auto_sync).is_(False),
            )
        ).scalars()
    )
    if not ids:
        return []
    now = utcnow()
    s.execute(
        update(PurchaseOrder)
        .where(col(PurchaseOrder.id).in_(ids))
        .values(auto_sync=True, updated_at=now)
    )
    changes = (Change("purchase_order", po_id, "auto_sync", False, True, po_id) for po_id in ids)
    record(s.connection(), changes, source=OPERATOR, at=now)  # a bulk path: one INSERT
    note_change(s, "purchase_order", ids)
    return ids


__all__ = [
    "COLUMNS",
    "INTEGRATION_NAMES",
    "VendorEdit",
    "VendorInvalid",
    "VendorListSource",
    "check_vendor",
    "default_view",
    "read_vendor",
    "save_vendor",
]
