"""The demo's (and the tests') simulated P21 holds what posync holds: items and sales orders.

P21 is where the sales orders live; posync mirrors them. For the demo, the simulated P21 is
given posync's items (except those named in ``unknown``, to show an item P21 does not know) and
its open sales orders with their backordered quantities.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import col, select

from posync_tui.db import Database
from posync_tui.models import Customer, Item, SalesOrder, SalesOrderLine, saved_id


def populate(db: Database, p21: Any, *, unknown: Iterable[str] = ()) -> None:
    """Give the simulated P21 (``connectors.sandbox.p21.P21Sandbox``) posync's records."""
    skip = set(unknown)
    with db.reader() as s:
        items = {i.id: i for i in s.exec(select(Item))}
        for item in items.values():
            if item.sku not in skip:
                p21.add_item(item.sku, item.description)
        customers = {c.id: c.code for c in s.exec(select(Customer))}
        orders = s.exec(select(SalesOrder).where(SalesOrder.status == "open")).all()
        lines: dict[int, list[SalesOrderLine]] = {}
        for line in s.exec(
            select(SalesOrderLine).where(
                col(SalesOrderLine.sales_order_id).in_([o.id for o in orders])
            )
        ):
            lines.setdefault(line.sales_order_id, []).append(line)
    for order in orders:
        known = [ln for ln in lines.get(saved_id(order), []) if items[ln.item_id].sku not in skip]
        p21.add_sales_order(
            order.number,
            customers[order.customer_id],
            (order.order_date or order.created_at.date()).isoformat(),
            [
                {
                    "line_number": ln.line_no,
                    "item_id": items[ln.item_id].sku,
                    "qty_ordered": ln.quantity,
                    "qty_backordered": ln.quantity_backordered,
                }
                for ln in known
            ],
        )
