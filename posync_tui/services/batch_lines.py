"""A batch's lines and its commit messages as the console pages them (Ovotrack seed).

``BatchLineSource``: each line with its order and line number, item, stage, Quantity, Received
Quantity, and its Send, Received and Commit dates. ``CommitMessageSource``: the Commit Messages
tab, one readable reason per line and stage ("If there are any errors, they can be reviewed in
the Commit Messages tab"). Both read one batch (the view's ``batch_id`` filter) by the index on
(batch_id, stage, id) / (batch_id, id).
"""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import String, cast, func, select
from sqlalchemy.sql import ColumnElement, FromClause

from posync_tui import timefmt
from posync_tui.db import Database
from posync_tui.models import (
    Item,
    SalesOrder,
    SalesOrderLine,
    WarehouseBatchLine,
    WarehouseCommitMessage,
)
from posync_tui.paging import Column, PagedSource, View, contains
from posync_tui.services.lookup import Found
from posync_tui.services.warehouse_batches import batches, label

LINE = WarehouseBatchLine.__table__.c
MESSAGE = WarehouseCommitMessage.__table__.c
ORDER_LINE = SalesOrderLine.__table__.c
ORDER = SalesOrder.__table__.c
ITEM = Item.__table__.c
# "SO-70001/2": the order and its line, as the operator names an order line.
ORDER_SLASH_LINE = ORDER.number.concat("/").concat(cast(ORDER_LINE.line_no, String))


def _date(value) -> str:
    return timefmt.local(value, "%m-%d %H:%M")


def _quantity(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


# Fits 80 columns: the dates as month-day hour:minute.
LINE_COLUMNS = (
    Column("line", "Order/line", 10, ORDER_SLASH_LINE, sort=(ORDER.number, ORDER_LINE.line_no)),
    Column("item", "Item", 8, ITEM.sku, sort=(ITEM.sku,), flex=True),
    Column("stage", "Stage", 9, LINE.stage, sort=(LINE.stage,)),
    Column("quantity", "Qty", 4, LINE.quantity, sort=(LINE.quantity,), align="right",
           format=_quantity),
    Column("received_quantity", "Rcvd", 4, LINE.received_quantity,
           sort=(LINE.received_quantity,), nullable=True, align="right", format=_quantity),
    Column("send_date", "Send date", 11, LINE.send_date, sort=(LINE.send_date,), nullable=True,
           format=_date),
    Column("received_date", "Rcvd date", 11, LINE.received_date, sort=(LINE.received_date,),
           nullable=True, format=_date),
    Column("commit_date", "Commit date", 11, LINE.commit_date, sort=(LINE.commit_date,),
           nullable=True, format=_date),
)  # fmt: skip
# The newest commit message of a line: why it failed, in plain words.
LAST_MESSAGE = (
    select(MESSAGE.message)
    .where(MESSAGE.batch_line_id == LINE.id)
    .order_by(MESSAGE.id.desc())
    .limit(1)
    .scalar_subquery()
)


class BatchLineSource(PagedSource):
    """The lines of one batch; row key = warehouse_batch_line.id. The filter text matches the
    order number, the item's SKU or description, or the stage; the ``stage`` filter keeps one."""

    columns = LINE_COLUMNS
    key = LINE.id

    def from_clause(self, view: View) -> FromClause:
        return (
            WarehouseBatchLine.__table__.join(
                SalesOrderLine.__table__, ORDER_LINE.id == LINE.sales_order_line_id
            )
            .join(SalesOrder.__table__, ORDER.id == ORDER_LINE.sales_order_id)
            .join(Item.__table__, ITEM.id == ORDER_LINE.item_id)
        )

    def extra_fields(self) -> list[ColumnElement]:
        return [
            ORDER_LINE.line_no.label("line_no"),
            LINE.picked.label("picked"),
            LINE.completed.label("completed"),
            LINE.sales_order_line_id.label("sales_order_line_id"),
            ORDER_LINE.sales_order_id.label("sales_order_id"),
            ITEM.description.label("description"),
            LAST_MESSAGE.label("last_message"),
        ]

    def conditions(self, view: View) -> list[ColumnElement]:
        found = [LINE.batch_id == view.filter("batch_id")]
        if view.filter("stage"):
            found.append(LINE.stage == view.filter("stage"))
        text = view.text.strip()
        if text:
            found.append(contains(text, ORDER.number, ITEM.sku, ITEM.description, LINE.stage))
        return found

    def describe(self, view: View) -> str:
        return f"only {view.filter('stage')}" if view.filter("stage") else ""


def line_view(batch_id: int) -> View:
    return View(sort="line", filters=(("batch_id", batch_id),))


MESSAGE_COLUMNS = (
    Column("at", "At", 11, MESSAGE.at, sort=(MESSAGE.at,), format=_date),
    Column("stage", "Stage", 7, MESSAGE.stage, sort=(MESSAGE.stage,)),
    Column(
        "line",
        "Order/line",
        11,
        func.coalesce(ORDER_SLASH_LINE, ""),
        sort=(func.coalesce(ORDER.number, ""), func.coalesce(ORDER_LINE.line_no, 0)),
    ),
    Column("message", "Message", 30, MESSAGE.message, flex=True),
)


class CommitMessageSource(PagedSource):
    """The commit messages of one batch; row key = warehouse_commit_message.id."""

    columns = MESSAGE_COLUMNS
    key = MESSAGE.id

    def from_clause(self, view: View) -> FromClause:
        return (
            WarehouseCommitMessage.__table__.outerjoin(
                WarehouseBatchLine.__table__, LINE.id == MESSAGE.batch_line_id
            )
            .outerjoin(SalesOrderLine.__table__, ORDER_LINE.id == LINE.sales_order_line_id)
            .outerjoin(SalesOrder.__table__, ORDER.id == ORDER_LINE.sales_order_id)
        )

    def extra_fields(self) -> list[ColumnElement]:
        return [ORDER_LINE.line_no.label("line_no")]

    def conditions(self, view: View) -> list[ColumnElement]:
        found = [MESSAGE.batch_id == view.filter("batch_id")]
        text = view.text.strip()
        if text:
            found.append(contains(text, ORDER.number, MESSAGE.message))
        return found

    def describe(self, view: View) -> str:
        return ""  # always one batch's: its screen names it


def message_view(batch_id: int) -> View:
    # Newest first: the last run's reasons on top.
    return View(sort="at", descending=True, filters=(("batch_id", batch_id),))


# --- the command palette ------------------------------------------------------------------------

NUMBER = re.compile(r"\d+")
NEWEST = 8  # "batch" alone lists the newest few


def find_batches(db: Database, text: str) -> list[Found]:
    """Batches the palette's text names: "12", "batch 12", or "batch" (the newest few)."""
    folded = text.strip().casefold()
    number = NUMBER.search(folded)
    words = NUMBER.sub("", folded).strip()
    if words and not "batch".startswith(words) and not words.startswith("batch"):
        return []
    if number is not None:
        found = batches(db, [int(number.group())])
    elif words:
        found = batches(db)[:NEWEST]
    else:
        return []
    return [
        Found(
            "warehouse_batch",
            b.id,
            label(b.id),
            "warehouse batch · "
            + " · ".join(f"{n:,} {stage}" for stage, n in b.counts.items() if n),
        )
        for b in found
    ]
