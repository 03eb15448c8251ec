"""Which backordered sales-order lines a PO covers: the rule, and the mirror of P21's links.

The rule (Recurrency seed: "Recurrency prioritizes linking based on the oldest sales order
lines"): each active line of the PO covers backordered sales-order lines of the same item, the
oldest order first (order date, then number, then line), until the PO line's quantity is used
up. What other POs already cover is not covered again; what this PO covered before is decided
anew, so a re-export gives the same links, a changed quantity adjusts them and a cancelled line
(hidden, quantity 0, or the PO cancelled) covers nothing. A sales-order line may be covered by
several PO lines, of this PO or others.

``mirror`` keeps P21's answer (its ``oe_line_po`` rows for the PO) in ``backorder_link``; the PO
detail and the purchase target lines read it (``po_links``, ``so_line_pos``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from connectors.p21 import OeLinePo
from posync_tui.db import Database
from posync_tui.models import (
    BackorderLink,
    Customer,
    Item,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    SalesOrder,
    SalesOrderLine,
    saved_id,
    utcnow,
)

OPEN_SALES_ORDER = "open"


@dataclass(frozen=True)
class POLine:
    id: int
    line_no: int
    item_id: int
    quantity: Decimal


@dataclass(frozen=True)
class Need:
    """A backordered sales-order line and what no other PO covers of it yet."""

    so_line_id: int
    order_number: str
    line_number: int
    item_id: int
    open: Decimal


@dataclass(frozen=True)
class Cover:
    """A PO line covering part of a sales-order line: one row of ``oe_line_po``."""

    po_line_id: int
    po_line_number: int
    so_line_id: int
    order_number: str
    line_number: int
    quantity: Decimal


def allocate(po_lines: Sequence[POLine], needs: Sequence[Need]) -> list[Cover]:
    """The rule: ``needs`` oldest first; each PO line, in line order, takes from them in turn."""
    left = {need.so_line_id: need.open for need in needs}
    covers = []
    for line in sorted(po_lines, key=lambda ln: ln.line_no):
        quantity = line.quantity
        for need in needs:
            if quantity <= 0:
                break
            if need.item_id != line.item_id or left[need.so_line_id] <= 0:
                continue
            take = min(quantity, left[need.so_line_id])
            left[need.so_line_id] -= take
            quantity -= take
            covers.append(
                Cover(
                    line.id,
                    line.line_no,
                    need.so_line_id,
                    need.order_number,
                    need.line_number,
                    take,
                )
            )
    return covers


def cancelled(po: PurchaseOrder, line: PurchaseOrderLine) -> bool:
    return po.status == POStatus.CANCELLED or line.hidden or line.quantity_ordered <= 0


def plan(
    session: Session,
    po: PurchaseOrder,
    lines: Sequence[PurchaseOrderLine],
    taken: dict[int, Decimal] | None = None,
) -> list[Cover]:
    """The links the PO should have now (its lines as read). ``taken``: what POs planned
    before it in the same batch cover, by sales-order line (added to)."""
    taken = {} if taken is None else taken
    active = [
        POLine(saved_id(ln), ln.line_no, ln.item_id, ln.quantity_ordered)
        for ln in lines
        if ln.item_id is not None and not cancelled(po, ln)
    ]
    if not active:
        return []
    found = [
        replace(need, open=need.open - taken.get(need.so_line_id, Decimal(0)))
        for need in needs(session, {ln.item_id for ln in active}, saved_id(po))
    ]
    covers = allocate(active, found)
    for c in covers:
        taken[c.so_line_id] = taken.get(c.so_line_id, Decimal(0)) + c.quantity
    return covers


def needs(session: Session, item_ids: Iterable[int], po_id: int) -> list[Need]:
    """Backordered lines of open sales orders for these items, oldest first, less what POs
    other than ``po_id`` cover."""
    rows = session.exec(
        select(SalesOrderLine, SalesOrder.number)
        .join(SalesOrder, col(SalesOrder.id) == SalesOrderLine.sales_order_id)
        .where(
            col(SalesOrderLine.item_id).in_(list(item_ids)),
            col(SalesOrderLine.quantity_backordered) > 0,
            SalesOrder.status == OPEN_SALES_ORDER,
        )
        .order_by(
            col(SalesOrder.order_date).is_(None),
            col(SalesOrder.order_date),
            col(SalesOrder.number),
            col(SalesOrderLine.line_no),
        )
    ).all()
    ids = [saved_id(line) for line, _ in rows]
    covered: dict[int, Decimal] = {}
    if ids:
        for so_line_id, quantity in session.exec(
            select(col(BackorderLink.sales_order_line_id), col(BackorderLink.quantity)).where(
                col(BackorderLink.sales_order_line_id).in_(ids), BackorderLink.po_id != po_id
            )
        ):
            covered[so_line_id] = covered.get(so_line_id, Decimal(0)) + quantity
    return [
        Need(
            saved_id(line),
            number,
            line.line_no,
            line.item_id,
            line.quantity_backordered - covered.get(saved_id(line), Decimal(0)),
        )
        for line, number in rows
    ]


def mirror(session: Session, po_id: int, rows: Sequence[OeLinePo]) -> int:
    """Make the PO's ``backorder_link`` rows P21's active ``oe_line_po`` rows; how many."""
    lines = {
        ln.line_no: saved_id(ln)
        for ln in session.exec(select(PurchaseOrderLine).where(PurchaseOrderLine.po_id == po_id))
    }
    numbers = {r.order_number for r in rows if r.active}
    so_lines = {
        (number, line.line_no): saved_id(line)
        for line, number in session.exec(
            select(SalesOrderLine, SalesOrder.number)
            .join(SalesOrder, col(SalesOrder.id) == SalesOrderLine.sales_order_id)
            .where(col(SalesOrder.number).in_(numbers))
        )
    }
    for old in session.exec(select(BackorderLink).where(BackorderLink.po_id == po_id)):
        session.delete(old)
    session.flush()
    now, made = utcnow(), 0
    for row in rows:
        po_line = lines.get(row.po_line_number)
        so_line = so_lines.get((row.order_number, row.line_number))
        if not row.active or po_line is None or so_line is None:
            continue
        session.add(
            BackorderLink(
                po_id=po_id,
                po_line_id=po_line,
                sales_order_line_id=so_line,
                quantity=row.quantity_on_po,
                linked_at=now,
            )
        )
        made += 1
    return made


# --- reading, for the screens -----------------------------------------------------------------


@dataclass(frozen=True)
class LinkedLine:
    """A link as the PO detail and a target line's detail show it."""

    po_number: str
    po_line_number: int
    order_number: str
    line_number: int
    customer: str
    order_date: date | None
    sku: str
    quantity: Decimal


def po_links(db: Database, po_id: int) -> list[LinkedLine]:
    """The sales-order lines the PO is linked to, by PO line then oldest order."""
    return _read(db, BackorderLink.po_id == po_id)


def so_line_pos(db: Database, so_line_id: int) -> list[LinkedLine]:
    """The PO lines covering a sales-order line."""
    return _read(db, BackorderLink.sales_order_line_id == so_line_id)


def _read(db: Database, condition) -> list[LinkedLine]:
    with db.reader() as s:
        # Eight columns: SQLAlchemy's select (sqlmodel's is typed for up to four).
        rows = s.execute(
            sa_select(
                col(PurchaseOrder.number),
                col(PurchaseOrderLine.line_no),
                col(SalesOrder.number),
                col(SalesOrderLine.line_no),
                col(Customer.name),
                col(SalesOrder.order_date),
                col(Item.sku),
                col(BackorderLink.quantity),
            )
            .join(PurchaseOrder, col(PurchaseOrder.id) == BackorderLink.po_id)
            .join(PurchaseOrderLine, col(PurchaseOrderLine.id) == BackorderLink.po_line_id)
            .join(SalesOrderLine, col(SalesOrderLine.id) == BackorderLink.sales_order_line_id)
            .join(SalesOrder, col(SalesOrder.id) == SalesOrderLine.sales_order_id)
            .join(Customer, col(Customer.id) == SalesOrder.customer_id)
            .join(Item, col(Item.id) == SalesOrderLine.item_id)
            .where(condition)
            .order_by(
                col(PurchaseOrder.number),
                col(PurchaseOrderLine.line_no),
                col(SalesOrder.order_date),
                col(SalesOrder.number),
                col(SalesOrderLine.line_no),
            )
        ).all()
    return [LinkedLine(*row) for row in rows]
