"""The purchase-order list: its columns, filters and reads, a page at a time from SQL.

Columns: number, vendor, status, auto-sync, last synced, lines, total. Filters: text as you
type (PO number, vendor name or code, supplier order no., SKU or supplier part no. on a line),
vendor, status and "out of sync" — auto-sync on and the last successful sync older than the
supplier's last notification (or never synced), the PO whose last-synced date shows red.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, and_, case, or_, select
from sqlalchemy.sql import ColumnElement, FromClause

from posync_tui import timefmt
from posync_tui.models import PurchaseOrder, Vendor
from posync_tui.paging import Column, PagedSource, View
from posync_tui.services import po_search

# Core columns, not ORM attributes: the list's queries skip the ORM's compile step.
PO = PurchaseOrder.__table__.c
VENDOR = Vendor.__table__
_NAMED = VENDOR.alias("named_vendor")  # the vendor shown, apart from a join for sorting

OUT_OF_SYNC: ColumnElement = and_(
    PO.auto_sync.is_(True),
    or_(PO.last_synced_at.is_(None), PO.last_synced_at < PO.supplier_notified_at),
)


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def _yes(value: Any) -> str:
    return "✓" if value else ""


COLUMNS = (
    Column("number", "PO", 11, PO.number, sort=(PO.number,)),
    # Vendor name, then vendor, then PO number: the join walks ix_vendor_name and
    # ix_po_vendor_number in order, so sorting by vendor needs no sort of 100k rows.
    Column(
        "vendor",
        "Vendor",
        18,
        # A lookup per shown row, so that other sorts page without joining the vendor.
        select(_NAMED.c.name).where(_NAMED.c.id == PO.vendor_id).scalar_subquery(),
        sort=(VENDOR.c.name, VENDOR.c.id, PO.number),
        flex=True,
    ),
    Column("status", "Status", 9, PO.status, sort=(PO.status, PO.number)),
    Column("auto_sync", "Auto", 4, PO.auto_sync, sort=(PO.auto_sync, PO.number), format=_yes),
    # Shown only when auto-sync is on; sorted by the stored date either way.
    Column(
        "last_synced",
        "Last synced",
        16,
        case((PO.auto_sync.is_(True), PO.last_synced_at), else_=None),
        sort=(PO.last_synced_at,),
        nullable=True,
        format=timefmt.local,
    ),
    Column("lines", "Lines", 5, PO.line_count, sort=(PO.line_count,), align="right"),
    Column("total", "Total", 13, PO.total, sort=(PO.total,), align="right", format=_money),
)


class PoListSource(PagedSource):
    """Purchase orders joined to their vendor; row key = purchase_order.id.

    Filters (``View.filters``): ``vendor_id`` (int), ``status`` (a status or a tuple of them),
    ``out_of_sync`` (True).
    """

    columns = COLUMNS
    key = PO.id

    def __init__(self, engine: Engine):
        super().__init__(engine)
        self._joined = PurchaseOrder.__table__.join(VENDOR, VENDOR.c.id == PO.vendor_id)

    def prepare(self) -> None:
        po_search.install(self.engine)

    def from_clause(self, view: View) -> FromClause:
        # Without the join, paging by a PO column walks a covering index only.
        if view.sort == "vendor":
            return self._joined
        return PurchaseOrder.__table__

    def extra_fields(self) -> Sequence[ColumnElement]:
        return (
            PO.supplier_notified_at.label("supplier_notified_at"),
            PO.currency.label("currency"),
            OUT_OF_SYNC.label("out_of_sync"),
        )

    def conditions(self, view: View) -> list[ColumnElement]:
        found = []
        matching = po_search.condition(view.text, self.engine.dialect.name)
        if matching is not None:
            found.append(matching)
        vendor_id = view.filter("vendor_id")
        if vendor_id is not None:
            found.append(PO.vendor_id == vendor_id)
        status = view.filter("status")
        if isinstance(status, str):
            found.append(PO.status == status)
        elif status:
            found.append(PO.status.in_(list(status)))
        if view.filter("out_of_sync"):
            found.append(OUT_OF_SYNC)
        return found


def default_view() -> View:
    return View(sort="number")
