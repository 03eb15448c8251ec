"""Purchase target lines: backordered sales-order lines that still need purchasing.

Recurrency seed: "Open the Purchase Target Lines ... Review backordered sales lines that require
purchase orders ... Create the necessary POs directly". A target line is a line of an open sales
order whose backordered quantity is more than what POs already cover of it (its links, see
``p21_links``): item, vendor (the item's), quantity backordered, quantity on POs, sales order
and line, order date, customer — oldest first, filtered by vendor and by item (or by text).

``draft_pos`` turns marked lines into New PO drafts: one per vendor, the quantity still needed
summed per item; the purchaser edits each in the New PO form and saves it there (``po_create``).
Nothing here depends on "Link Backorders to POs": with it on, exporting the POs links them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import String, cast, func, select
from sqlalchemy.sql import ColumnElement, FromClause

from posync_tui.db import Database
from posync_tui.models import BackorderLink, Customer, Item, SalesOrder, SalesOrderLine, Vendor
from posync_tui.paging import Column, PagedSource, View, contains
from posync_tui.services.p21_links import OPEN_SALES_ORDER
from posync_tui.services.po_create import ItemChoice, VendorChoice, vendor_choice

LINE = SalesOrderLine.__table__.c
ORDER = SalesOrder.__table__.c
CUSTOMER = Customer.__table__.c
ITEM = Item.__table__.c
VENDOR = Vendor.__table__.c
LINK = BackorderLink.__table__.c

ON_POS: ColumnElement = func.coalesce(
    select(func.sum(LINK.quantity)).where(LINK.sales_order_line_id == LINE.id).scalar_subquery(),
    0,
)


def _quantity(value: Decimal | None) -> str:
    return "" if value is None else format(Decimal(value).normalize(), "f")


def _day(value) -> str:
    return "" if value is None else value.isoformat()


COLUMNS = (
    # Widths add up to 78 with the gutter: a row fits an 80-column terminal.
    Column(
        "order_date",
        "Date",
        10,
        ORDER.order_date,
        sort=(ORDER.order_date, ORDER.number, LINE.line_no),
        nullable=True,
        format=_day,
    ),
    Column(
        "order",
        "Sales order",
        13,
        ORDER.number + "/" + cast(LINE.line_no, String),
        sort=(ORDER.number, LINE.line_no),
    ),
    Column("customer", "Customer", 12, CUSTOMER.name, sort=(CUSTOMER.name,), flex=True),
    Column("item", "Item", 10, ITEM.sku, sort=(ITEM.sku,)),
    Column("vendor", "Vendor", 7, VENDOR.code, sort=(VENDOR.code,), nullable=True),
    Column(
        "backordered",
        "B/O",
        6,
        LINE.quantity_backordered,
        sort=(LINE.quantity_backordered,),
        align="right",
        format=_quantity,
    ),
    Column("on_pos", "On POs", 6, ON_POS, sort=(ON_POS,), align="right", format=_quantity),
)


def _joined() -> FromClause:
    return (
        SalesOrderLine.__table__.join(SalesOrder.__table__, ORDER.id == LINE.sales_order_id)
        .join(Customer.__table__, CUSTOMER.id == ORDER.customer_id)
        .join(Item.__table__, ITEM.id == LINE.item_id)
        .outerjoin(Vendor.__table__, VENDOR.id == ITEM.vendor_id)
    )


class TargetLineSource(PagedSource):
    """Backordered lines of open sales orders; row key = sales_order_line.id.

    Filters: ``vendor`` and ``item`` ((id, code) each), ``all`` (True: also lines POs fully
    cover). The text matches the item's SKU or description, or the vendor's code or name.
    """

    columns = COLUMNS
    key = LINE.id

    def from_clause(self, view: View) -> FromClause:
        return _joined()

    def extra_fields(self):
        return (
            ITEM.id.label("item_id"),
            VENDOR.id.label("vendor_id"),
            ITEM.description.label("description"),
        )

    def conditions(self, view: View) -> list[ColumnElement]:
        found = [ORDER.status == OPEN_SALES_ORDER, LINE.quantity_backordered > 0]
        if not view.filter("all"):
            found.append(LINE.quantity_backordered > ON_POS)
        if view.filter("vendor") is not None:
            found.append(ITEM.vendor_id == view.filter("vendor")[0])
        if view.filter("item") is not None:
            found.append(LINE.item_id == view.filter("item")[0])
        text = view.text.strip()
        if text:
            found.append(contains(text, ITEM.sku, ITEM.description, VENDOR.code, VENDOR.name))
        return found

    def describe(self, view: View) -> str:
        words = [f"{name} {value[1]}" for name, value in view.filters if name in ("vendor", "item")]
        if view.filter("all"):
            words.append("covered lines too")
        return " · ".join(words)


def default_view() -> View:
    return View(sort="order_date")


# --- creating POs from marked lines -----------------------------------------------------------


@dataclass(frozen=True)
class DraftLine:
    item: ItemChoice
    quantity: Decimal


@dataclass(frozen=True)
class PODraft:
    """A New PO for one vendor, as the New PO form opens it."""

    vendor: VendorChoice
    lines: tuple[DraftLine, ...]


@dataclass
class Drafts:
    drafts: list[PODraft] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # why some marked lines are left out


def draft_pos(db: Database, so_line_ids: Iterable[int]) -> Drafts:
    """One PO draft per vendor for the marked lines: what each still needs, summed per item."""
    ids = list(dict.fromkeys(so_line_ids))
    result = Drafts()
    if not ids:
        return result
    with db.reader() as s:
        rows = s.execute(
            select(
                LINE.id,
                ORDER.number,
                LINE.line_no,
                LINE.quantity_backordered,
                ON_POS.label("on"),
                ITEM.id.label("item_id"),
                ITEM.sku,
                ITEM.description,
                ITEM.supplier_part_no,
                ITEM.unit_cost,
                ITEM.vendor_id,
            )
            .select_from(_joined())
            .where(LINE.id.in_(ids))
            .order_by(ORDER.order_date, ORDER.number, LINE.line_no)
        ).all()
    per_vendor: dict[int, dict[int, DraftLine]] = {}
    for row in rows:
        need = Decimal(row.quantity_backordered) - Decimal(row.on)
        if need <= 0:
            result.skipped.append(f"{row.number}/{row.line_no}: already covered by POs")
            continue
        if row.vendor_id is None:
            result.skipped.append(f"{row.number}/{row.line_no}: {row.sku} has no vendor")
            continue
        items = per_vendor.setdefault(row.vendor_id, {})
        item = ItemChoice(
            row.item_id, row.sku, row.description, row.supplier_part_no, row.unit_cost
        )
        before = items.get(row.item_id)
        items[row.item_id] = DraftLine(item, need + (before.quantity if before else Decimal(0)))
    for vendor_id, items in per_vendor.items():
        result.drafts.append(PODraft(vendor_choice(db, vendor_id), tuple(items.values())))
    result.drafts.sort(key=lambda d: d.vendor.code)
    return result
