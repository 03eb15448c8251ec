"""Prophet 21 (Recurrency seed): which PO lines cover which backordered sales-order lines.

A mirror of the PO's rows in P21's ``oe_line_po`` table, as P21 answered its last export: the
PO detail shows its linked sales-order lines, a purchase target line shows its POs, and the
quantity already on POs of a sales-order line is the sum of its links.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Index
from sqlmodel import Field

from posync_tui.models.core import TableModel, money, timestamp


class BackorderLink(TableModel, table=True):
    __tablename__ = "backorder_link"
    __table_args__ = (
        Index("ix_backorder_link_lines", "po_line_id", "sales_order_line_id", unique=True),
        Index("ix_backorder_link_so_line", "sales_order_line_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    po_id: int = Field(foreign_key="purchase_order.id", index=True)
    po_line_id: int = Field(foreign_key="purchase_order_line.id")
    sales_order_line_id: int = Field(foreign_key="sales_order_line.id")
    quantity: Decimal = money()  # P21's quantity_on_po
    linked_at: datetime = timestamp(default_now=True)
