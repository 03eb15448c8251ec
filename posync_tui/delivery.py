"""The delivery engine: the outbox of every partner, delivered by its lease holder.

A message moves pending → claimed → sent / failed / decision (see ``OutboxStatus``). Only the
process holding the connector's lease delivers, and every write it makes checks the lease's
``Fence`` first in its own transaction, so a deliverer paused past its lease writes nothing.

One run claims the waiting messages a batch at a time (``IN_FLIGHT`` batches at once, so the
database work of one overlaps the round trip of another) and, for each batch:

1. builds each message's request (the partner adapter reads the record; a record that no longer
   passes its rules is refused there and then);
2. looks up at the partner the messages an earlier attempt may have delivered (``attempts`` > 0:
   an answer lost, a timeout, a process killed while it held the claim) — found means done, not
   found means send it again; a failed look-up is tried again on a later run, and after
   ``MAX_LOOKUPS`` the message waits for an operator's decision;
3. counts an attempt for each message about to be sent (committed before sending), sends them;
4. applies each message's outcome in its own transaction, after checking the partner's answer
   against what was sent: a mismatch waits for a decision, never counts as done.

An outcome belongs to its message alone: a refusal, a failed look-up or a lost answer never stops
the others, and only messages actually sent count an attempt. A claim lasts ``CLAIM_SECONDS``;
one left by a killed process is taken again by the next run after it expires (which looks the
record up first if it may have been sent). The engine names no partner: each implements
``Adapter``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import and_, or_
from sqlmodel import Session, select

from posync_tui.db import Database
from posync_tui.events import note_change
from posync_tui.leases import Fence, LeaseLost, db_now
from posync_tui.models import OutboxMessage, OutboxStatus, utcnow

IN_FLIGHT = 3  # batches being prepared, sent or applied at once
CLAIM_SECONDS = 300.0  # how long a claim lasts; a killed deliverer's claims are retaken after
MAX_LOOKUPS = 3  # failed look-ups before a message that may have been sent waits for a decision
MAX_ATTEMPTS = 5  # sends left without an answer before a message waits for a decision

Progress = Callable[[int, int], None]


# --- what adapters see and answer -----------------------------------------------------------


@dataclass(frozen=True)
class Message:
    """A claimed outbox message, as the adapter builds its request from it."""

    id: int
    kind: str
    record_kind: str
    record_id: int
    key: str  # the idempotency key: unique per installation
    payload: dict
    attempts: int  # sends so far: above zero an earlier one may have reached the partner
    lookups: int


@dataclass(frozen=True)
class Request:
    """What the adapter will send for a message; ``payload`` is kept on the message so that a
    retry sends the same (e.g. the same document number)."""

    message: Message
    body: Any
    payload: dict


@dataclass(frozen=True)
class Answer:
    """What the partner holds for a message."""

    partner_id: str
    doc_number: str = ""
    warnings: tuple[str, ...] = ()
    record: Any = None  # the partner's own record, for the adapter's check


class Refused(Exception):
    """The partner (or the record's own rules, checked again) refused the message: final."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class NoAnswer(Exception):
    """The message may or may not have reached the partner (answer lost, timeout, 5xx)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotSent(Exception):
    """The partner certainly did not receive the batch (e.g. sign-in refused): no attempt is
    counted and the run stops with ``cause``."""

    def __init__(self, cause: Exception):
        super().__init__(str(cause))
        self.cause = cause


@dataclass(frozen=True)
class Outcome:
    """How a message ends this run: SENT, FAILED, DECISION, CANCELLED, or PENDING (later)."""

    status: OutboxStatus
    answer: Answer | None = None
    code: str | None = None
    text: str | None = None
    unsent: bool = False  # its attempt was counted but nothing left: take it back


class Recorder(Protocol):
    def record(self, session: Session, message: OutboxMessage, outcome: Outcome) -> None:
        """Write what the outcome means for the record (its status, notifications)."""


class Adapter(Recorder, Protocol):
    """What a partner implements for the engine."""

    connector: str
    batch_size: int

    def build(self, session: Session, messages: Sequence[Message]) -> dict[int, Request | Refused]:
        """Each message's request, read from its record; a Refused for a record not ready."""

    async def send(self, requests: Sequence[Request]) -> dict[int, Answer | Exception]:
        """Send a batch; per message id an Answer, Refused or NoAnswer (missing: NoAnswer).
        Raises NotSent if nothing left; any other exception means the batch's fate is unknown."""

    async def look_up(self, requests: Sequence[Request]) -> dict[int, Answer]:
        """The partner's records made by these requests (by idempotency key / document number,
        and checked to be this installation's); a missing id means not found."""

    def check(self, request: Request, answer: Answer) -> str | None:
        """Why the answer is not what was sent (document number, party, amount), or None."""


@dataclass
class Tally:
    sent: int = 0
    failed: int = 0
    decision: int = 0
    later: int = 0
    not_sent: list[int] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        if outcome.status == OutboxStatus.SENT:
            self.sent += 1
        elif outcome.status == OutboxStatus.FAILED:
            self.failed += 1
        elif outcome.status == OutboxStatus.DECISION:
            self.decision += 1
        else:
            self.later += 1

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.decision + self.later


# --- the run ----------------------------------------------------------------------------------


async def deliver(
    db: Database,
    adapter: Adapter,
    fence: Fence,
    *,
    progress: Progress | None = None,
    claim_seconds: float = CLAIM_SECONDS,
) -> Tally:
    """Deliver every waiting message of ``adapter.connector`` under ``fence``.

    Messages queued while it runs go out in a further round. Raises LeaseLost when the lease
    passed to another process, and the first batch-wide failure (partner unreachable, sign-in
    refused) after the batches under way have applied their outcomes.
    """
    return await _Run(db, adapter, fence, progress, claim_seconds).run()


def has_work(db: Database, connector: str) -> bool:
    """Whether ``connector`` has messages to deliver (waiting, or claims that expired)."""
    with db.reader() as s:
        query = select(OutboxMessage.id).where(
            OutboxMessage.connector == connector, _claimable(db_now(s))
        )
        return s.exec(query.limit(1)).first() is not None


class _Run:
    def __init__(self, db, adapter, fence, progress, claim_seconds):
        self.db: Database = db
        self.adapter: Adapter = adapter
        self.fence: Fence = fence
        self.progress: Progress | None = progress
        self.claim_for = timedelta(seconds=claim_seconds)
        self.tally = Tally()
        self.error: BaseException | None = None
        self.total = 0
        # One batch at a time in the database: two writers would wait on SQLite's lock by
        # sleeping, slower than taking turns.
        self.db_turn = asyncio.Lock()

    async def run(self) -> Tally:
        handled: set[int] = set()
        while self.error is None:
            async with self.db_turn:
                waiting = await asyncio.to_thread(self._claimable)
            ids = [i for i in waiting if i not in handled]
            if not ids:
                break
            handled.update(ids)
            self.total += len(ids)
            size = self.adapter.batch_size
            slots = asyncio.Semaphore(IN_FLIGHT)
            await asyncio.gather(
                *(self._batch(ids[at : at + size], slots) for at in range(0, len(ids), size))
            )
        if self.error is not None:
            raise self.error
        return self.tally

    async def _batch(self, ids: list[int], slots: asyncio.Semaphore) -> None:
        async with slots:
            if self.error is not None:
                return  # the run stops: these stay waiting for the next one
            try:
                await self._deliver(ids)
            except BaseException as exc:  # noqa: BLE001 - kept to stop the run, raised by run()
                if self.error is None:
                    self.error = exc
                return
        if self.progress is not None:
            self.progress(self.tally.total, self.total)

    async def _deliver(self, ids: list[int]) -> None:
        async with self.db_turn:
            messages = await asyncio.to_thread(self._claim, ids)
            built = await asyncio.to_thread(self._build, messages) if messages else {}
        outcomes: dict[int, Outcome] = {}
        requests: list[Request] = []
        for message_id, request in built.items():
            if isinstance(request, Refused):
                outcomes[message_id] = Outcome(
                    OutboxStatus.FAILED, code=request.code, text=request.message
                )
            else:
                requests.append(request)
        to_send = [r for r in requests if r.message.attempts == 0]
        maybe_sent = [r for r in requests if r.message.attempts > 0]
        if maybe_sent:
            outcomes |= await self._look_up(maybe_sent, to_send)
        stop: BaseException | None = None
        if to_send:
            async with self.db_turn:
                await asyncio.to_thread(self._mark_sending, to_send)
            try:
                answers = await self.adapter.send(to_send)
            except NotSent as exc:
                answers, stop = {}, exc.cause
                for r in to_send:
                    outcomes[r.message.id] = Outcome(
                        OutboxStatus.PENDING, text=_plain(exc.cause), unsent=True
                    )
            except NoAnswer as exc:  # this batch's answer was lost: the next run looks it up
                answers = {r.message.id: exc for r in to_send}
            except LeaseLost:
                raise
            except Exception as exc:  # noqa: BLE001 - the partner is down: each looks up later
                answers, stop = {r.message.id: NoAnswer(_plain(exc)) for r in to_send}, exc
            for r in to_send:
                if r.message.id not in outcomes:
                    outcomes[r.message.id] = self._answered(r, answers.get(r.message.id))
        async with self.db_turn:
            await asyncio.to_thread(self._apply_all, outcomes)
        if stop is not None:
            raise stop

    async def _look_up(self, requests: list[Request], to_send: list[Request]) -> dict:
        """Resolve messages that may have been sent; those not found join ``to_send``."""
        try:
            found = await self.adapter.look_up(requests)
        except LeaseLost:
            raise
        except Exception as exc:  # noqa: BLE001 - each message is retried or decided on its own
            return {r.message.id: _lookup_failed(r.message, _plain(exc)) for r in requests}
        outcomes = {}
        for r in requests:
            answer = found.get(r.message.id)
            if answer is None:
                to_send.append(r)  # it never arrived: sending it now is safe
            else:
                outcomes[r.message.id] = self._checked(r, answer)
        return outcomes

    def _answered(self, request: Request, answer: Answer | Exception | None) -> Outcome:
        if isinstance(answer, Answer):
            return self._checked(request, answer)
        if isinstance(answer, Refused):
            return Outcome(OutboxStatus.FAILED, code=answer.code, text=answer.message)
        text = _plain(answer) if answer is not None else "no answer from the partner"
        if request.message.attempts + 1 >= MAX_ATTEMPTS:
            return Outcome(
                OutboxStatus.DECISION,
                code="no answer",
                text=f"Sent {request.message.attempts + 1} times without an answer ({text}): "
                "look it up again, send it again, mark it done with the partner's id, or cancel.",
            )
        return Outcome(OutboxStatus.PENDING, text=text)

    def _checked(self, request: Request, answer: Answer) -> Outcome:
        mismatch = self.adapter.check(request, answer)
        if mismatch is None:
            return Outcome(OutboxStatus.SENT, answer=answer)
        return Outcome(
            OutboxStatus.DECISION,
            answer=answer,
            code="mismatch",
            text=f"The partner's record {answer.doc_number or answer.partner_id} is not what was "
            f"sent: {mismatch}",
        )

    # --- database work, each in a thread ----------------------------------------------------

    def _claimable(self) -> list[int]:
        with self.db.reader() as s:
            now = db_now(s)
            return list(
                s.exec(
                    select(OutboxMessage.id)
                    .where(OutboxMessage.connector == self.adapter.connector, _claimable(now))
                    .order_by(OutboxMessage.id)
                ).all()
            )

    def _claim(self, ids: list[int]) -> list[Message]:
        """Claim those of ``ids`` still claimable, under the fence (one transaction)."""
        with self.db.session() as s, s.no_autoflush:
            self.fence.check(s)
            now = db_now(s)
            rows = s.exec(
                select(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), _claimable(now))
                .order_by(OutboxMessage.id)
            ).all()
            for row in rows:
                row.status = OutboxStatus.CLAIMED
                row.claimed_by, row.claim_generation = self.fence.holder, self.fence.generation
                row.claimed_until, row.updated_at = now + self.claim_for, now
            if rows:
                note_change(s, "outbox", [row.id for row in rows])
            return [_message(row) for row in rows]

    def _build(self, messages: list[Message]) -> dict[int, Request | Refused]:
        try:
            with self.db.reader() as s, s.no_autoflush:
                return self.adapter.build(s, messages)
        except Exception:
            if len(messages) == 1:
                raise
        # One record the adapter cannot build must not hold back the others: build alone.
        built: dict[int, Request | Refused] = {}
        for message in messages:
            try:
                built |= self._build([message])
            except Exception as exc:  # noqa: BLE001 - that message's own error
                built[message.id] = Refused("error", f"{type(exc).__name__}: {_plain(exc)}")
        return built

    def _mark_sending(self, requests: list[Request]) -> None:
        """Count the attempt of each message about to be sent, before anything leaves."""
        with self.db.session() as s, s.no_autoflush:
            self.fence.check(s)
            now = db_now(s)
            for request in requests:
                row = s.get(OutboxMessage, request.message.id)
                row.attempts += 1
                row.payload = json.dumps(request.payload, sort_keys=True)
                row.claimed_until, row.updated_at = now + self.claim_for, now

    def _apply_all(self, outcomes: dict[int, Outcome]) -> None:
        for message_id, outcome in outcomes.items():
            with self.db.session() as s, s.no_autoflush:
                self.fence.check(s)
                row = s.get(OutboxMessage, message_id)
                mine = (
                    row is not None
                    and row.status == OutboxStatus.CLAIMED
                    and row.claimed_by == self.fence.holder
                    and row.claim_generation == self.fence.generation
                )
                if not mine:
                    continue  # an operator or another term of the lease took it meanwhile
                settle(s, row, outcome, self.adapter)
            self.tally.add(outcome)
            if outcome.unsent:
                self.tally.not_sent.append(message_id)


def _claimable(now) -> Any:
    return or_(
        OutboxMessage.status == OutboxStatus.PENDING,
        and_(OutboxMessage.status == OutboxStatus.CLAIMED, OutboxMessage.claimed_until <= now),
    )


def _message(row: OutboxMessage) -> Message:
    return Message(
        id=row.id,
        kind=row.kind,
        record_kind=row.record_kind,
        record_id=row.record_id,
        key=row.idempotency_key,
        payload=json.loads(row.payload or "{}"),
        attempts=row.attempts,
        lookups=row.lookups,
    )


def _lookup_failed(message: Message, text: str) -> Outcome:
    tries = message.lookups + 1
    if tries >= MAX_LOOKUPS:
        return Outcome(
            OutboxStatus.DECISION,
            code="lookup failed",
            text=f"It may have reached the partner, and looking it up failed {tries} times "
            f"({text}): look it up again, send it again, mark it done with the partner's id, "
            "or cancel.",
        )
    return Outcome(OutboxStatus.PENDING, code="lookup failed", text=text)


def settle(session: Session, row: OutboxMessage, outcome: Outcome, recorder: Recorder) -> None:
    """Write an outcome on its message (and, through the recorder, on its record)."""
    now = utcnow()
    row.status = outcome.status
    row.claimed_by = row.claim_generation = row.claimed_until = None
    row.updated_at = now
    if outcome.unsent:
        row.attempts -= 1
    if outcome.code == "lookup failed":
        row.lookups += 1
    if outcome.answer is not None:
        row.partner_id = outcome.answer.partner_id
        row.doc_number = outcome.answer.doc_number or None
    if outcome.status == OutboxStatus.SENT:
        row.sent_at, row.error_code, row.last_error, row.lookups = now, None, None, 0
    else:
        row.error_code = outcome.code[:20] if outcome.code else None
        row.last_error = outcome.text
    recorder.record(session, row, outcome)
    note_change(session, "outbox", [row.id])


def _plain(exc: BaseException) -> str:
    return getattr(exc, "message", None) or str(exc) or type(exc).__name__


# --- an operator's decisions ------------------------------------------------------------------


class NotDecidable(Exception):
    """The message is not in a state this decision applies to; says why."""


def look_up_again(db: Database, message_id: int) -> None:
    """Decision: try the look-up again on the next run (a message that may have been sent)."""
    with db.session() as s:
        row = _deciding(s, message_id)
        row.status, row.lookups, row.updated_at = OutboxStatus.PENDING, 0, utcnow()
        row.attempts = max(row.attempts, 1)  # so the next run looks it up before anything
        note_change(s, "outbox", [row.id])


def send_again(db: Database, message_id: int) -> None:
    """Decision: the partner does not have it; send it on the next run (same key)."""
    with db.session() as s:
        row = _deciding(s, message_id)
        row.status, row.lookups, row.attempts = OutboxStatus.PENDING, 0, 0
        row.updated_at = utcnow()
        note_change(s, "outbox", [row.id])


def mark_done(
    db: Database, message_id: int, partner_id: str, recorder: Recorder, *, doc_number: str = ""
) -> None:
    """Decision: the partner has it as ``partner_id`` (the operator checked there)."""
    partner_id = partner_id.strip()
    if not partner_id:
        raise NotDecidable("Enter the partner's id of the record.")
    with db.session() as s:
        row = _deciding(s, message_id)
        answer = Answer(partner_id=partner_id, doc_number=doc_number or row.doc_number or "")
        settle(s, row, Outcome(OutboxStatus.SENT, answer=answer), recorder)


def cancel(db: Database, message_id: int, recorder: Recorder) -> None:
    """Decision: deliver it no more (waiting, refused or undecided; not while being sent)."""
    with db.session() as s:
        row = s.get(OutboxMessage, message_id, with_for_update=True)
        if row is None:
            raise NotDecidable(f"Outbox message {message_id} does not exist.")
        if row.status not in (OutboxStatus.PENDING, OutboxStatus.FAILED, OutboxStatus.DECISION):
            raise NotDecidable(f"It is {row.status}: it can no longer be cancelled.")
        settle(s, row, Outcome(OutboxStatus.CANCELLED, text="cancelled by an operator"), recorder)


def _deciding(s: Session, message_id: int) -> OutboxMessage:
    row = s.get(OutboxMessage, message_id, with_for_update=True)
    if row is None:
        raise NotDecidable(f"Outbox message {message_id} does not exist.")
    if row.status != OutboxStatus.DECISION:
        raise NotDecidable(f"It is {row.status}, not waiting for a decision.")
    return row
