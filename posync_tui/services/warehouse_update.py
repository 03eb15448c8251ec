"""Update From Source: re-read a batch's lines from the ERP (Ovotrack seed, "New Feature as of
CONNECT 1.9.11+"): a changed quantity comes in (0 when the item is no longer needed) and the line
is staged to be sent again; a line newly added to one of the batch's orders is staged too.

A change is refused, with the reason, for a line Ovotrack has picked or completed (asked of
Ovotrack at the time, not remembered), for a line being sent right now, and for a committed one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select, update
from sqlmodel import col

from connectors.warehouse import OvoLine, Ref, WarehouseClient
from posync_tui.events import note_change
from posync_tui.models import LineStage, SalesOrderLine, WarehouseBatchLine, utcnow
from posync_tui.runtime import Runtime
from posync_tui.services.warehouse_batches import BATCH, add_messages, stage_lines
from posync_tui.services.warehouse_rules import facts_of, facts_query, failure, to_facts
from posync_tui.services.warehouse_send import open_messages

Progress = Callable[[int, int], None]
LINE = WarehouseBatchLine.__table__
CHUNK = 500


@dataclass
class UpdateResult:
    updated: int = 0  # quantities changed
    added: int = 0  # new order lines staged
    refused: list[str] = field(default_factory=list)  # why a change could not be made

    @property
    def summary(self) -> str:
        words = f"{self.updated:,} quantity change(s) and {self.added:,} new line(s) came in"
        if self.refused:
            words += f"; {len(self.refused):,} refused (see Commit Messages)"
        return words


@dataclass(frozen=True)
class _Change:
    line_id: int
    order_line_id: int
    ref: Ref
    old: Decimal
    new: Decimal
    held: bool  # Ovotrack holds the line


async def update_from_source(
    rt: Runtime,
    batch_id: int,
    *,
    progress: Progress | None = None,
    client: WarehouseClient | None = None,
) -> UpdateResult:
    """Bring the batch's open lines up to date with their customer orders, and stage lines
    added to those orders since."""
    from posync_tui.services.warehouse_partner import warehouse_client

    changes, busy = await asyncio.to_thread(_changes, rt, batch_id)
    held_refs = [c.ref for c in changes if c.held]
    now_held: dict[Ref, OvoLine] = {}
    if held_refs:
        if client is None:  # made in a thread: its TLS context takes tens of ms to read
            client = await asyncio.to_thread(warehouse_client, rt)
        async with client as ovotrack:
            for at in range(0, len(held_refs), CHUNK):
                now_held |= await ovotrack.line_status(held_refs[at : at + CHUNK])
    result = UpdateResult()
    await asyncio.to_thread(_apply, rt, batch_id, changes, busy, now_held, result)
    if progress is not None:
        progress(1, 1)
    return result


def _changes(rt: Runtime, batch_id: int) -> tuple[list[_Change], list[_Change]]:
    """The open lines whose order line's quantity differs; and those of them being sent."""
    query = (
        select(
            LINE.c.id,
            LINE.c.sales_order_line_id,
            LINE.c.quantity,
            LINE.c.ovotrack_id,
            col(SalesOrderLine.quantity),
        )
        .join(SalesOrderLine, col(SalesOrderLine.id) == LINE.c.sales_order_line_id)
        .where(LINE.c.batch_id == batch_id, LINE.c.stage != LineStage.COMMITTED)
    )
    with rt.db.reader() as s:
        rows = [r for r in s.execute(query) if r[2] != r[4]]
        facts = facts_of(s, [r[1] for r in rows])
        sending = set()
        if rows:
            outbox = open_messages(s, [r[0] for r in rows])
            if outbox:
                from posync_tui.models import OutboxMessage

                table = OutboxMessage.__table__
                sending = set(
                    s.execute(select(table.c.record_id).where(table.c.id.in_(outbox))).scalars()
                )
    changes: list[_Change] = []
    busy: list[_Change] = []
    for line_id, order_line_id, old, ovotrack_id, new in rows:
        f = facts[order_line_id]
        change = _Change(
            line_id, order_line_id, (f.order_no, f.line_no), old, new, ovotrack_id is not None
        )
        (busy if line_id in sending else changes).append(change)
    return changes, busy


def _apply(rt, batch_id, changes, busy, now_held: dict[Ref, OvoLine], result: UpdateResult):
    now = utcnow()
    messages: list[tuple[int | None, str]] = []
    for c in busy:
        messages.append(
            (c.line_id, f"{_where(c.ref)}: is being sent to Ovotrack; update it when that ends")
        )
    with rt.db.session() as s:
        for c in changes:
            held = now_held.get(c.ref)
            if held is not None and (held.picked or held.completed):
                done = "completed" if held.completed else "picked"
                messages.append(
                    (
                        c.line_id,
                        f"{_where(c.ref)}: quantity {_plain(c.old)} → {_plain(c.new)} refused: "
                        f"the line has been {done} in Ovotrack",
                    )
                )
                s.execute(
                    update(LINE)
                    .where(LINE.c.id == c.line_id)
                    .values(picked=held.picked, completed=held.completed, updated_at=now)
                )
                continue
            taken = s.execute(
                update(LINE)
                .where(LINE.c.id == c.line_id, LINE.c.stage != LineStage.COMMITTED)
                .values(
                    quantity=c.new,
                    stage=LineStage.STAGED,
                    send_no=LINE.c.send_no + 1,
                    received_quantity=None,
                    received_date=None,
                    updated_at=now,
                )
            )
            result.updated += taken.rowcount
        result.added = _add_new_lines(s, batch_id, messages)
        result.refused = [text for _, text in messages]
        add_messages(s, batch_id, "update", messages)
        note_change(s, BATCH, [batch_id])


def _add_new_lines(s, batch_id: int, messages: list) -> int:
    """Stage the lines of the batch's orders that are on no open batch; say why not, if not."""
    orders = select(col(SalesOrderLine.sales_order_id)).where(
        col(SalesOrderLine.id).in_(
            select(LINE.c.sales_order_line_id).where(LINE.c.batch_id == batch_id)
        )
    )
    query = facts_query().where(
        col(SalesOrderLine.sales_order_id).in_(orders),
        col(SalesOrderLine.id).not_in(select(LINE.c.sales_order_line_id)),
    )
    eligible = []
    for f in map(to_facts, s.execute(query)):
        why = failure(f)
        if why is None:
            eligible.append(f)
        else:
            messages.append((None, f"{_where((f.order_no, f.line_no))}: not added: {why.message}"))
    stage_lines(s, batch_id, eligible)
    return len(eligible)


def _where(ref: Ref) -> str:
    return f"Order {ref[0]} line {ref[1]}"


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")
