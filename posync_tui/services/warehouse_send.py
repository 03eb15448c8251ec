"""Send Batch: staged (and failed) lines go to Ovotrack through the outbox (Ovotrack seed,
"Sending a Batch to Ovotrack").

``enqueue_send`` writes one outbox message per line, keyed by the line and its ``send_no``: a
second Send, or two consoles pressing Send at once, write the same keys, so a line is queued
once. The "warehouse" job (``deliver``, run by the lease holder) delivers them with the core's
engine and ``WarehouseAdapter``: the rules are checked again, each line carries its key, an
answer that may have been lost is looked up by key, and Ovotrack answers a key it has seen as
the first time — so no line is ever held twice. Each outcome is written on its line: sent (Send
Date), or failed with a commit message in plain words (and ``send_no`` raised, so that the
line, once fixed, is sent under a new key).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Row, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from connectors.base import Rejected
from connectors.warehouse import LineOut, LineResult, OvoLine, WarehouseClient
from posync_tui import delivery
from posync_tui.db import Database, update_each
from posync_tui.delivery import Answer, Message, NoAnswer, Outcome, Refused, Request
from posync_tui.events import note_change
from posync_tui.leases import Fence
from posync_tui.models import (
    OPEN_OUTBOX_STATUSES,
    LineStage,
    OutboxMessage,
    OutboxStatus,
    WarehouseBatchLine,
    utcnow,
)
from posync_tui.runtime import Runtime
from posync_tui.services.warehouse_batches import BATCH, add_messages, lines_at
from posync_tui.services.warehouse_rules import CONNECTOR, facts_of, send_failure

KIND = "order_line"  # the outbox message kind
RECORD = "warehouse_batch_line"  # the outbox record kind
BATCH_SIZE = 500  # lines per call to Ovotrack
NOTHING = "nothing waiting to send to Ovotrack"
OUTBOX = OutboxMessage.__table__
LINE = WarehouseBatchLine.__table__
SENDABLE = (LineStage.STAGED, LineStage.FAILED)


def line_key(installation: str, line_id: int, send_no: int) -> str:
    """The idempotency key of one version of a batch line."""
    return f"{installation}:wh:{line_id}:{send_no}"


@dataclass
class Queued:
    message_ids: list[int] = field(default_factory=list)  # the lines' open messages

    @property
    def queued(self) -> int:
        return len(self.message_ids)


def enqueue_send(db: Database, batch_id: int, line_ids: Sequence[int] | None = None) -> Queued:
    """Queue the batch's staged and failed lines (the marked ones, if given) for Ovotrack."""
    installation = db.installation_id()
    with db.session() as s:
        ids = lines_at(s, batch_id, SENDABLE, line_ids)
        if not ids:
            return Queued()
        insert_ = sqlite.insert if db.is_sqlite else postgresql.insert
        statement = (
            insert_(OUTBOX)
            .values(
                connector=CONNECTOR,
                kind=KIND,
                record_kind=RECORD,
                status=OutboxStatus.PENDING,
                attempts=0,
                lookups=0,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
        )
        for at in range(0, len(ids), 2000):
            chunk = ids[at : at + 2000]
            rows = s.execute(select(LINE.c.id, LINE.c.send_no).where(LINE.c.id.in_(chunk))).all()
            s.execute(
                statement,
                [
                    {"record_id": i, "idempotency_key": line_key(installation, i, n)}
                    for i, n in rows
                ],
            )
        message_ids = open_messages(s, ids)
        delivery.note_outbox(s, CONNECTOR, message_ids)
    return Queued(message_ids)


def open_messages(s: Session, line_ids: Sequence[int]) -> list[int]:
    """The ids of these lines' messages still on their way (or waiting for a decision)."""
    found: list[int] = []
    for at in range(0, len(line_ids), 2000):
        found += s.execute(
            select(OUTBOX.c.id).where(
                OUTBOX.c.connector == CONNECTOR,
                OUTBOX.c.record_kind == RECORD,
                OUTBOX.c.status.in_(OPEN_OUTBOX_STATUSES),
                OUTBOX.c.record_id.in_(list(line_ids[at : at + 2000])),
            )
        ).scalars()
    return found


def settled(db: Database, message_ids: Sequence[int]) -> int:
    """How many of these messages have an outcome (for a progress bar)."""
    done = 0
    with db.reader() as s:
        for at in range(0, len(message_ids), 2000):
            done += s.execute(
                select(func.count()).where(
                    OUTBOX.c.id.in_(list(message_ids[at : at + 2000])),
                    OUTBOX.c.status.not_in([OutboxStatus.PENDING, OutboxStatus.CLAIMED]),
                )
            ).scalar_one()
    return done


async def deliver(
    rt: Runtime,
    *,
    fence: Fence,
    progress: delivery.Progress | None = None,
    client: WarehouseClient | None = None,
) -> str:
    """Send every waiting line to Ovotrack under the "warehouse" lease; a plain summary.

    Raises the partner's error (unreachable, refused sign-in) once the lines under way have
    their outcomes; the others stay waiting and go out on the next run (LeaseLost if the lease
    passed on).
    """
    if not await asyncio.to_thread(delivery.has_work, rt.db, CONNECTOR):
        return NOTHING
    from posync_tui.services.warehouse_partner import warehouse_client

    if client is None:
        client = await asyncio.to_thread(warehouse_client, rt)  # reads settings, builds TLS
    async with client as ovotrack:
        tally = await delivery.deliver(rt.db, WarehouseAdapter(ovotrack), fence, progress=progress)
    return ", ".join(tally.said("line(s) sent to Ovotrack", see="Commit Messages")) or NOTHING


async def send_batch(
    rt: Runtime,
    batch_id: int,
    line_ids: Sequence[int] | None = None,
    *,
    fence: Fence,
    progress: delivery.Progress | None = None,
    client: WarehouseClient | None = None,
) -> str:
    """Queue the batch's lines and deliver them under ``fence`` (tests, the bench, the CLI;
    the console queues and lets the scheduler's "warehouse" job deliver)."""
    queued = await asyncio.to_thread(enqueue_send, rt.db, batch_id, line_ids)
    if not queued.queued:
        return "no staged or failed line to send"
    return await deliver(rt, fence=fence, progress=progress, client=client)


class WarehouseRecords:
    """What a send's outcome means for its batch line (also used by an operator's decisions).

    ``record`` works out each line's changes and ``changed`` (called once after them, by the
    engine and by a decision alike) writes them with Core statements: a batch of 500 outcomes in
    a few statements, not an ORM object per line."""

    def record(self, s: Session, message: OutboxMessage, outcome: Outcome) -> None:
        line = _line_of(s, message.record_id)
        if line is None:
            return
        now = utcnow()
        changes: dict[str, object] = {}
        if outcome.status == OutboxStatus.SENT:
            assert outcome.answer is not None  # a message is sent when the partner answered
            held: OvoLine | None = outcome.answer.record
            if line.stage in SENDABLE:
                changes |= {"stage": LineStage.SENT, "send_date": now}
            changes["ovotrack_id"] = outcome.answer.partner_id
            if held is not None:
                changes |= {"picked": held.picked, "completed": held.completed}
        elif outcome.status == OutboxStatus.FAILED:
            if line.stage in SENDABLE:
                changes["stage"] = LineStage.FAILED
            changes["send_no"] = line.send_no + 1  # a fixed line goes under a new key
            add_messages(s, line.batch_id, "send", [(line.id, outcome.text or "refused")])
        elif outcome.status == OutboxStatus.DECISION:
            add_messages(s, line.batch_id, "send", [(line.id, outcome.text or "no answer")])
        else:
            return
        changes["updated_at"] = now
        s.info.setdefault(_CHANGES, []).append((line.id, changes))

    def changed(self, s: Session, messages: Sequence[OutboxMessage]) -> None:
        update_each(s, LINE, s.info.pop(_CHANGES, []))
        ids = [m.record_id for m in messages]
        batch_ids = s.execute(
            select(LINE.c.batch_id).where(LINE.c.id.in_(ids)).distinct()
        ).scalars()
        note_change(s, BATCH, list(batch_ids))


def _line_of(s: Session, line_id: int) -> Row | None:
    """The batch line (id, batch, stage, send_no), from the lines of every message the session
    holds, read in one query the first time: the engine settles a batch of messages in one
    session, and a query per line would cost seconds per 10,000."""
    loaded = s.info.get(_LOADED)
    if loaded is None:
        ids = [
            row.record_id
            for row in s.identity_map.values()
            if isinstance(row, OutboxMessage) and row.record_kind == RECORD
        ]
        loaded = s.info[_LOADED] = {}
        for at in range(0, len(ids), 2000):
            query = select(*_LINE_COLUMNS).where(LINE.c.id.in_(ids[at : at + 2000]))
            loaded.update((line.id, line) for line in s.execute(query))
    if line_id in loaded:
        return loaded[line_id]
    return s.execute(select(*_LINE_COLUMNS).where(LINE.c.id == line_id)).first()


_LINE_COLUMNS = (LINE.c.id, LINE.c.batch_id, LINE.c.stage, LINE.c.send_no)
_LOADED = "warehouse_lines_loaded"  # held in ``s.info``
_CHANGES = "warehouse_line_changes"


class WarehouseAdapter(WarehouseRecords):
    """The delivery engine's partner adapter for Ovotrack."""

    connector = CONNECTOR
    batch_size = BATCH_SIZE

    def __init__(self, client: WarehouseClient):
        self.client = client

    def build(self, s: Session, messages: Sequence[Message]) -> dict[int, Request | Refused]:
        ids = [m.record_id for m in messages]
        lines = {
            row.id: row
            for row in s.execute(
                select(
                    LINE.c.id, LINE.c.sales_order_line_id, LINE.c.quantity, LINE.c.ovotrack_id
                ).where(LINE.c.id.in_(ids))
            )
        }
        facts = facts_of(s, [row.sales_order_line_id for row in lines.values()])
        built: dict[int, Request | Refused] = {}
        for message in messages:
            line = lines.get(message.record_id)
            if line is None:
                built[message.id] = Refused("not ready", "The batch line no longer exists.")
                continue
            f = facts[line.sales_order_line_id]
            where = f"Order {f.order_no} line {f.line_no}"
            # The batch line's quantity is what is sent (the ERP's comes in by Update From Source).
            why = send_failure(
                f, held_by_ovotrack=line.ovotrack_id is not None, quantity=line.quantity
            )
            if why is not None:
                built[message.id] = Refused(why.rule, f"{where}: {why.message}")
                continue
            payload = message.payload or {
                "order_no": f.order_no,
                "line_no": f.line_no,
                "location": f.location,
                "item": f.item,
                "quantity": str(line.quantity),
            }
            body = LineOut(
                key=message.key,
                order_no=payload["order_no"],
                line_no=payload["line_no"],
                location=payload["location"],
                item=payload["item"],
                quantity=Decimal(payload["quantity"]),
            )
            built[message.id] = Request(message, body, payload)
        return built

    async def send(self, requests: Sequence[Request]) -> dict[int, Answer | Exception]:
        try:
            results = await self.client.send_lines([r.body for r in requests])
        except Rejected as exc:
            if exc.status in (401, 403):
                raise delivery.NotSent(exc) from exc
            raise
        answers: dict[int, Answer | Exception] = {}
        for r in requests:
            result = results.get(r.message.key)
            answers[r.message.id] = _answer(result)
        return answers

    async def look_up(self, requests: Sequence[Request]) -> dict[int, Answer]:
        found = await self.client.look_up([r.message.key for r in requests])
        return {
            r.message.id: _held(found[r.message.key]) for r in requests if r.message.key in found
        }

    def check(self, request: Request, answer: Answer) -> str | None:
        sent: LineOut = request.body
        held: OvoLine = answer.record
        wrong = []
        if held.ref != (sent.order_no, sent.line_no):
            wrong.append(f"order line {held.order_no}/{held.line_no}")
        if held.item != sent.item:
            wrong.append(f"item {held.item}, sent {sent.item}")
        if held.location != sent.location:
            wrong.append(f"location {held.location}, sent {sent.location}")
        if held.quantity != sent.quantity:
            wrong.append(f"quantity {held.quantity}, sent {sent.quantity}")
        return "; ".join(wrong) or None


def _answer(result: LineResult | None) -> Answer | Exception:
    if result is None:
        return NoAnswer("Ovotrack gave no answer for this line")
    if result.status == "accepted" and result.line is not None:
        return _held(result.line)
    return Refused(result.code or "rejected", result.message or "Ovotrack rejected the line")


def _held(line: OvoLine) -> Answer:
    return Answer(partner_id=line.id, doc_number=f"{line.order_no}/{line.line_no}", record=line)
