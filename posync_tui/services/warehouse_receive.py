"""Receive Updates: what Ovotrack made of the sent lines (Ovotrack seed, "Receiving a Batch
From Ovotrack"): the quantity it will ship becomes the Received Quantity (equal to Quantity when
unchanged), Received Date is set, and picked / completed are kept.

Lines are asked for 500 at a time and each answer is written in its own transaction: when
Ovotrack fails part-way, the lines read so far are received, the others still sent, and
receiving again finishes them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import bindparam, or_, select, update
from sqlmodel import col

from connectors.warehouse import OvoLine, Ref, WarehouseClient
from posync_tui.events import note_change
from posync_tui.models import LineStage, SalesOrder, SalesOrderLine, WarehouseBatchLine, utcnow
from posync_tui.runtime import Runtime
from posync_tui.services.warehouse_batches import BATCH, add_messages, lines_at

Progress = Callable[[int, int], None]
CHUNK = 500
LINE = WarehouseBatchLine.__table__
RECEIVABLE = (LineStage.SENT, LineStage.RECEIVED)


@dataclass
class ReceiveResult:
    received: int = 0
    changed: int = 0  # Ovotrack will ship another quantity than was sent
    missing: list[str] = field(default_factory=list)  # lines Ovotrack does not hold

    @property
    def summary(self) -> str:
        words = f"{self.received:,} line(s) received from Ovotrack"
        if self.changed:
            words += f", {self.changed:,} with a changed quantity"
        if self.missing:
            words += f"; {len(self.missing):,} not held by Ovotrack (see Commit Messages)"
        return words


async def receive_updates(
    rt: Runtime,
    batch_id: int,
    line_ids: Sequence[int] | None = None,
    *,
    progress: Progress | None = None,
    client: WarehouseClient | None = None,
) -> ReceiveResult:
    """Read back the batch's sent (and received) lines from Ovotrack; the marked ones if given."""
    from posync_tui.services.warehouse_partner import warehouse_client

    refs = await asyncio.to_thread(_receivable, rt, batch_id, line_ids)
    result = ReceiveResult()
    if client is None:  # made in a thread: its TLS context takes tens of ms to read
        client = await asyncio.to_thread(warehouse_client, rt)
    async with client as ovotrack:
        for at in range(0, len(refs), CHUNK):
            chunk = refs[at : at + CHUNK]
            held = await ovotrack.line_status([ref for _, ref, _ in chunk])
            await asyncio.to_thread(_write, rt, batch_id, chunk, held, result)
            if progress is not None:
                progress(min(at + CHUNK, len(refs)), len(refs))
    return result


def _receivable(rt: Runtime, batch_id: int, line_ids) -> list[tuple[int, Ref, object]]:
    with rt.db.reader() as s:
        ids = lines_at(s, batch_id, RECEIVABLE, line_ids)
        rows: list = []
        for at in range(0, len(ids), 2000):
            rows += s.execute(
                select(
                    LINE.c.id, col(SalesOrder.number), col(SalesOrderLine.line_no), LINE.c.quantity
                )
                .join(SalesOrderLine, col(SalesOrderLine.id) == LINE.c.sales_order_line_id)
                .join(SalesOrder, col(SalesOrder.id) == col(SalesOrderLine.sales_order_id))
                .where(LINE.c.id.in_(ids[at : at + 2000]))
                .order_by(LINE.c.id)
            ).all()
    return [(line_id, (number, line_no), quantity) for line_id, number, line_no, quantity in rows]


def _write(rt: Runtime, batch_id: int, chunk, held: dict[Ref, OvoLine], result: ReceiveResult):
    now = utcnow()
    found, missing = [], []
    for line_id, ref, quantity in chunk:
        line = held.get(ref)
        if line is None:
            missing.append((line_id, ref))
            continue
        result.changed += line.ship_quantity != quantity
        found.append(
            {
                "b_id": line_id,
                "received_quantity": line.ship_quantity,
                "picked": line.picked,
                "completed": line.completed,
            }
        )
    with rt.db.session() as s:
        if found:
            s.connection().execute(
                update(LINE)
                .where(
                    LINE.c.id == bindparam("b_id"),
                    # Not IN (...): an executemany takes no expanding list.
                    or_(*(LINE.c.stage == stage for stage in RECEIVABLE)),
                )
                .values(stage=LineStage.RECEIVED, received_date=now, updated_at=now),
                found,
            )
        if missing:
            s.execute(
                update(LINE)
                .where(LINE.c.id.in_([i for i, _ in missing]), LINE.c.stage.in_(RECEIVABLE))
                .values(stage=LineStage.FAILED, send_no=LINE.c.send_no + 1, updated_at=now)
            )
            add_messages(
                s,
                batch_id,
                "receive",
                [
                    (i, f"Order {o} line {n}: Ovotrack does not hold this line; send it again")
                    for i, (o, n) in missing
                ],
            )
        note_change(s, BATCH, [batch_id])
    result.received += len(found)
    result.missing += [f"{o}/{n}" for _, (o, n) in missing]
