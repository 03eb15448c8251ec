"""The purchase-order list: its columns, filters and reads, a page at a time from SQL.

Columns: number, vendor, status, auto-sync, last synced, lines, total. Filters: text as you
type (PO number, vendor name or code, supplier order no., SKU or supplier part no. on a line),
vendor, status and "out of sync" — auto-sync on and the last successful sync older than the
supplier's last notification (or never synced), the PO whose last-synced date shows red.

The PO list screen imports this module to draw its first frame, before the database and the
ORM are loaded: the columns (SQL expressions on the models' tables) are built by the first
``PoListSource``, which exists only once the database does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from posync_tui import money, timefmt
from posync_tui.paging import Column, PagedSource, Row, View

if TYPE_CHECKING:
    from sqlalchemy import Engine, TableClause
    from sqlalchemy.sql import ColumnElement, FromClause

# Asking the search index about one PO costs about as much as reading this many matches
# from it (measured at 100k POs): above that, a page reads the matches instead.
PROBE_COST = 64
_PROBE = "_probe_search"  # a View filter ``page`` sets for itself


TOTAL_WIDTH = 12
# The statuses in the order a PO goes through them (models.POStatus, not imported here: the
# first page shows before the models load).
WORKFLOW = ("draft", "open", "partial", "received", "closed", "cancelled")
# Marks on the last-synced cell, read without colour (NO_COLOR) as well as with it.
STALE = "✖ "  # the supplier notified after the last successful sync
NEVER_SYNCED = "✖ never synced"  # auto-sync asked, the supplier could not be synced with
INACTIVE = "– inactive"  # auto-sync on, but the vendor is no longer an integrated supplier


def _total(row: dict[str, Any]) -> str:
    """The total in the column's width: whole in its currency's precision, or abbreviated
    (the detail shows it exactly); never cut."""
    value = row["total"]
    if value is None:
        return ""
    whole = money.shown(value, row["currency"])
    if len(whole) <= TOTAL_WIDTH:
        return whole
    for size, unit in ((10**15, "Q"), (10**12, "T"), (10**9, "B"), (10**6, "M")):
        if abs(value) >= size:
            return f"≈{value / size:,.2f}{unit}"
    return whole


def _last_synced(row: dict[str, Any]) -> str:
    if not row["auto_sync"]:
        return ""
    if row["sync_inactive"]:
        return INACTIVE
    synced = row["last_synced"]
    if synced is None:
        return NEVER_SYNCED if row["out_of_sync"] else ""
    # The dates stay in one column, marked or not.
    return (STALE if row["out_of_sync"] else "  ") + timefmt.local(synced)


def _yes(value: Any) -> str:
    return "✓" if value else ""


@dataclass(frozen=True)
class _Schema:
    po: TableClause
    joined: FromClause  # purchase_order joined to its vendor, for sorting by vendor
    out_of_sync: ColumnElement
    sync_inactive: ColumnElement  # the PO's vendor is no longer an integrated supplier
    columns: tuple[Column, ...]


@cache
def _schema() -> _Schema:
    from sqlalchemy import and_, case, or_, select

    from posync_tui.po_tables import PURCHASE_ORDER, VENDOR

    # Core tables, not the ORM models: the first page shows before the models are imported.
    po_table, vendor = PURCHASE_ORDER, VENDOR
    po = po_table.c
    named = vendor.alias("named_vendor")  # the vendor shown, apart from a join for sorting
    # As supplier_sync_operator.out_of_sync: a PO nothing was asked of yet is not flagged.
    out_of_sync = and_(
        po.auto_sync.is_(True),
        or_(
            and_(
                po.last_synced_at.is_(None),
                or_(po.supplier_notified_at.is_not(None), po.last_sync_error.is_not(None)),
            ),
            po.last_synced_at < po.supplier_notified_at,
        ),
    )
    workflow = case(
        {status: rank for rank, status in enumerate(WORKFLOW)}, value=po.status, else_=len(WORKFLOW)
    )
    columns = (
        # Widths add up to 78 with the gutter: the whole row fits an 80-column terminal.
        Column("number", "PO", 10, po.number, sort=(po.number,)),
        # Vendor name, then vendor, then PO number: the join walks ix_vendor_name and
        # ix_po_vendor_number in order, so sorting by vendor needs no sort of 100k rows.
        Column(
            "vendor",
            "Vendor",
            11,
            # A lookup per shown row, so that other sorts page without joining the vendor.
            select(named.c.name).where(named.c.id == po.vendor_id).scalar_subquery(),
            sort=(vendor.c.name, vendor.c.id, po.number),
            flex=True,
        ),
        # Sorted in workflow order (draft, open, partial, …), not alphabetically.
        Column("status", "Status", 9, po.status, sort=(workflow, po.number)),
        Column("auto_sync", "Auto", 4, po.auto_sync, sort=(po.auto_sync, po.number), format=_yes),
        # Shown only when auto-sync is on, marked when out of date; sorted by the stored date.
        Column(
            "last_synced",
            "Last synced",
            18,
            case((po.auto_sync.is_(True), po.last_synced_at), else_=None),
            sort=(po.last_synced_at,),
            nullable=True,
            format=timefmt.local,
            cell=_last_synced,
        ),
        Column("lines", "Lines", 5, po.line_count, sort=(po.line_count,), align="right"),
        Column(
            "total",
            "Total",
            TOTAL_WIDTH,
            po.total,
            sort=(po.total,),
            align="right",
            cell=_total,
        ),
    )
    joined = po_table.join(vendor, vendor.c.id == po.vendor_id)
    sync_inactive = (
        select(named.c.integration != "b2b").where(named.c.id == po.vendor_id).scalar_subquery()
    )
    return _Schema(po_table, joined, out_of_sync, sync_inactive, columns)


def __getattr__(name: str) -> Any:
    # The module's SQL names, built on first use (see the module's docstring).
    found = {
        "COLUMNS": lambda s: s.columns,
        "PO": lambda s: s.po.c,
        "OUT_OF_SYNC": lambda s: s.out_of_sync,
    }.get(name)
    if found is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return found(_schema())


class PoListSource(PagedSource):
    """Purchase orders joined to their vendor; row key = purchase_order.id.

    Filters (``View.filters``): ``vendor_id`` (int), ``status`` (a status or a tuple of them),
    ``out_of_sync`` (True).
    """

    def __init__(self, engine: Engine):
        super().__init__(engine)
        from posync_tui.services import po_search

        self._search = po_search
        self._schema = _schema()
        self.columns = self._schema.columns
        self.key = self._schema.po.c.id

    def describe(self, view: View) -> str:
        parts = []
        if view.filter("out_of_sync"):
            parts.append("out of sync")
        status = view.filter("status")
        if status:
            parts.append("status " + (status if isinstance(status, str) else "/".join(status)))
        if view.filter("vendor_id") is not None:
            parts.append(f"vendor {view.filter('vendor_code') or view.filter('vendor_id')}")
        return " · ".join(parts)

    def prepare(self) -> None:
        self._search.install(self.engine)

    def page(
        self,
        view: View,
        offset: int,
        limit: int,
        *,
        after: Row | None = None,
        before: Row | None = None,
        total: int | None = None,
    ) -> list[Row]:
        if total and self._search.uses_index(view.text, self.engine.dialect.name):
            # Rows walked to fill the page, if each PO is asked about: the page's distance
            # from where the read starts, spread by how few POs match.
            start = 0 if after or before else min(offset, max(0, total - offset - limit))
            walked = (start + limit) * self._po_count() / total
            if walked * PROBE_COST < total:
                view = view.with_filter(_PROBE, True)
        return super().page(view, offset, limit, after=after, before=before, total=total)

    def _po_count(self) -> int:
        from sqlalchemy import func, select

        # The highest id is as good as a count here (ids are dense) and costs one index step.
        with self.engine.connect() as conn:
            return conn.execute(select(func.max(self.key))).scalar() or 0

    def count(self, view: View) -> int:
        if not view.filters and self._search.uses_index(view.text, self.engine.dialect.name):
            # Every PO has one document in the search index: count there, not on the POs.
            with self.engine.connect() as conn:
                return self._search.count_matches(conn, view.text)
        return super().count(view)

    def from_clause(self, view: View) -> FromClause:
        # Without the join, paging by a PO column walks a covering index only.
        if view.sort == "vendor":
            return self._schema.joined
        return self._schema.po

    def extra_fields(self) -> Sequence[ColumnElement]:
        po = self._schema.po.c
        return (
            po.supplier_notified_at.label("supplier_notified_at"),
            po.currency.label("currency"),
            self._schema.out_of_sync.label("out_of_sync"),
            self._schema.sync_inactive.label("sync_inactive"),
        )

    def conditions(self, view: View) -> list[ColumnElement]:
        po = self._schema.po.c
        found = []
        probe = bool(view.filter(_PROBE))
        matching = self._search.condition(view.text, self.engine.dialect.name, probe=probe)
        if matching is not None:
            found.append(matching)
        vendor_id = view.filter("vendor_id")
        if vendor_id is not None:
            found.append(po.vendor_id == vendor_id)
        status = view.filter("status")
        if isinstance(status, str):
            found.append(po.status == status)
        elif status:
            found.append(po.status.in_(list(status)))
        if view.filter("out_of_sync"):
            found.append(self._schema.out_of_sync)
        return found


def default_view() -> View:
    return View(sort="number")
