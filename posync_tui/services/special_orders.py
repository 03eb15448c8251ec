"""Special orders: assign a PO line to a customer's special order for the same item."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Session, col

from posync_tui.audit import OPERATOR, Change, record
from posync_tui.db import Database
from posync_tui.events import note_change
from posync_tui.models import Customer, PurchaseOrderLine, SalesOrder, SalesOrderLine
from posync_tui.services.supplier_sync_operator import get_record

CLOSED_SALES_STATUSES = ("closed", "cancelled", "shipped", "invoiced", "completed")


@dataclass(frozen=True)
class SpecialOrderChoice:
    sales_order_line_id: int
    sales_order_number: str
    line_no: int
    customer: str
    quantity: Decimal
    assigned_to_po_line_id: int | None


def _open_special_orders(item_id: int):
    """Open special-order sales lines for an item, oldest first."""
    return (
        select(
            col(SalesOrderLine.id),
            col(SalesOrder.number),
            col(SalesOrderLine.line_no),
            col(Customer.name),
            col(SalesOrderLine.quantity),
        )
        .join(SalesOrder, col(SalesOrder.id) == col(SalesOrderLine.sales_order_id))
        .join(Customer, col(Customer.id) == col(SalesOrder.customer_id))
        .where(
            col(SalesOrderLine.item_id) == item_id,
            col(SalesOrderLine.special_order).is_(True),
            col(SalesOrder.status).not_in(CLOSED_SALES_STATUSES),
        )
        .order_by(col(SalesOrder.id), col(SalesOrderLine.line_no))
    )


def matching_special_orders(db: Database, po_line_id: int) -> list[SpecialOrderChoice]:
    """Open special-order sales lines for the same item as the PO line (oldest first)."""
    with db.reader() as s:
        line = get_record(s, PurchaseOrderLine, po_line_id, "PO line")
        if line.item_id is None:
            return []
        taken = dict(
            s.execute(
                select(
                    col(PurchaseOrderLine.special_order_line_id), col(PurchaseOrderLine.id)
                ).where(col(PurchaseOrderLine.special_order_line_id).is_not(None))
            ).all()
        )
        rows = s.execute(_open_special_orders(line.item_id)).all()
        return [
            SpecialOrderChoice(line_id, number, line_no, customer, quantity, taken.get(line_id))
            for line_id, number, line_no, customer, quantity in rows
        ]


def assign_special_order(db: Database, po_line_id: int, sales_order_line_id: int | None) -> None:
    """Assign the PO line to a customer's special order (None clears the assignment)."""
    with db.session() as s:
        line = get_record(s, PurchaseOrderLine, po_line_id, "PO line")
        if sales_order_line_id is not None:
            open_ids = (
                set(s.execute(_open_special_orders(line.item_id)).scalars())
                if line.item_id is not None
                else set()
            )
            if sales_order_line_id not in open_ids:
                raise ValueError(
                    "that sales line is not an open special order for this PO line's item"
                )
        old = line.special_order_line_id
        if old != sales_order_line_id:
            line.special_order_line_id = sales_order_line_id
            # The audit names the special order by its number, never by its internal id.
            change = Change(
                "purchase_order_line",
                line.id,
                "special_order_line_id",
                special_order_name(s, old),
                special_order_name(s, sales_order_line_id),
                line.po_id,
            )
            record(s, [change], source=OPERATOR)
        note_change(s, "purchase_order", [line.po_id])


def special_order_name(s: Session, sales_order_line_id: int | None) -> str | None:
    """A special order as the operator knows it (as the PO line shows it): "SO-1042/2"."""
    if sales_order_line_id is None:
        return None
    number, line_no = s.execute(
        select(col(SalesOrder.number), col(SalesOrderLine.line_no))
        .join(SalesOrder, col(SalesOrder.id) == col(SalesOrderLine.sales_order_id))
        .where(col(SalesOrderLine.id) == sales_order_line_id)
    ).one()
    return f"{number}/{line_no}"
