"""Commit: received lines go back to the ERP, posync's customer orders (Ovotrack seed,
"Committing Orders to ERP"): a quantity Ovotrack changed is written on the order line (with an
audit entry), the line is allocated against stock, its Warehouse Interface Status becomes
"Committed" and the batch line's Commit Date is set.

A line is committed once: each chunk of lines is taken by one conditional UPDATE (received →
committed) before anything else is written, so a second Commit, or two consoles committing at
once, find nothing left to take and never allocate twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, select, update
from sqlmodel import Session, col

from posync_tui import audit
from posync_tui.db import Database
from posync_tui.events import note_change
from posync_tui.models import (
    Decimal4,
    ItemStock,
    LineStage,
    SalesOrder,
    SalesOrderLine,
    WarehouseBatchLine,
    utcnow,
)
from posync_tui.services.warehouse_batches import BATCH, add_messages, lines_at
from posync_tui.services.warehouse_rules import COMMITTED, CONNECTOR

Progress = Callable[[int, int], None]
CHUNK = 500
LINE = WarehouseBatchLine.__table__
ORDER_LINE = SalesOrderLine.__table__
STOCK = ItemStock.__table__


@dataclass
class CommitResult:
    committed: int = 0
    quantity_changed: int = 0  # order lines whose quantity Ovotrack changed
    short: int = 0  # lines allocated less than their quantity (stock short)

    @property
    def summary(self) -> str:
        words = f"{self.committed:,} line(s) committed to the customer orders"
        if self.quantity_changed:
            words += f", {self.quantity_changed:,} quantity change(s)"
        if self.short:
            words += f"; {self.short:,} short of stock (see Commit Messages)"
        return words


def commit_batch(
    db: Database,
    batch_id: int,
    line_ids: Sequence[int] | None = None,
    *,
    progress: Progress | None = None,
) -> CommitResult:
    """Commit the batch's received lines (the marked ones, if given) to the customer orders."""
    with db.reader() as s:
        ids = lines_at(s, batch_id, (LineStage.RECEIVED,), line_ids)
    result = CommitResult()
    for at in range(0, len(ids), CHUNK):
        with db.session() as s:
            _commit(s, batch_id, ids[at : at + CHUNK], result)
        if progress is not None:
            progress(min(at + CHUNK, len(ids)), len(ids))
    return result


def _commit(s: Session, batch_id: int, ids: list[int], result: CommitResult) -> None:
    # Core statements, not ORM objects: a 10,000-line batch commits within seconds.
    now = utcnow()
    taken = s.execute(
        update(LINE)
        .where(LINE.c.id.in_(ids), LINE.c.stage == LineStage.RECEIVED)
        .values(stage=LineStage.COMMITTED, commit_date=now, open_line_id=None, updated_at=now)
        .returning(LINE.c.id, LINE.c.sales_order_line_id, LINE.c.received_quantity)
    ).all()
    if not taken:
        return
    order_lines = {
        row.id: row
        for row in s.execute(
            select(
                ORDER_LINE.c.id,
                ORDER_LINE.c.sales_order_id,
                ORDER_LINE.c.line_no,
                ORDER_LINE.c.item_id,
                ORDER_LINE.c.quantity,
                ORDER_LINE.c.quantity_allocated,
                ORDER_LINE.c.warehouse_interface_status,
                col(SalesOrder.number),
            )
            .join(SalesOrder, col(SalesOrder.id) == ORDER_LINE.c.sales_order_id)
            .where(ORDER_LINE.c.id.in_([t[1] for t in taken]))
        )
    }
    item_ids = sorted({line.item_id for line in order_lines.values()})
    available = {
        item_id: on_hand - allocated
        for item_id, on_hand, allocated in s.execute(
            select(STOCK.c.item_id, STOCK.c.on_hand, STOCK.c.allocated)
            .where(STOCK.c.item_id.in_(item_ids))
            .with_for_update()
        )
    }
    allocated_now = dict.fromkeys(available, Decimal(0))
    writes, changes, messages = [], [], []
    for batch_line_id, order_line_id, received in taken:
        line = order_lines[order_line_id]
        quantity = line.quantity if received is None else received
        allocated = line.quantity_allocated
        if line.item_id in available:  # stock is kept for it: allocate what there is
            free = available[line.item_id] + line.quantity_allocated
            allocated = max(Decimal(0), min(quantity, free))
            available[line.item_id] = free - allocated
            allocated_now[line.item_id] += allocated - line.quantity_allocated
        if allocated < quantity:
            result.short += 1
            messages.append(
                (
                    batch_line_id,
                    f"Order {line.number} line {line.line_no}: allocated "
                    f"{_plain(allocated)} of {_plain(quantity)} (not enough in stock)",
                )
            )
        result.quantity_changed += quantity != line.quantity
        new = {
            "quantity": quantity,
            "quantity_allocated": allocated,
            "warehouse_interface_status": COMMITTED,
        }
        for name, value in new.items():
            if getattr(line, name) != value:
                changes.append(
                    audit.Change(
                        "sales_order_line", order_line_id, name, getattr(line, name), value
                    )
                )
        writes.append({"b_id": order_line_id, **new})
        result.committed += 1
    s.execute(
        update(ORDER_LINE).where(ORDER_LINE.c.id == bindparam("b_id")).values(updated_at=now),
        writes,
    )
    moved = [{"b_item": i, "b_more": more} for i, more in allocated_now.items() if more]
    if moved:
        s.execute(
            update(STOCK)
            .where(STOCK.c.item_id == bindparam("b_item"))
            .values(allocated=STOCK.c.allocated + bindparam("b_more", type_=Decimal4)),
            moved,
        )
    audit.record(s.connection(), changes, source=CONNECTOR, at=now)
    add_messages(s, batch_id, "commit", messages)
    note_change(s, BATCH, [batch_id])
    note_change(s, "sales_order", sorted({line.sales_order_id for line in order_lines.values()}))


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")
