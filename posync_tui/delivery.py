"""The delivery engine: the outbox of every partner, delivered by its lease holder.

A message moves pending → claimed → sent / failed / decision (see ``OutboxStatus``). Only the
process holding the connector's lease delivers, and every write it makes checks the lease's
``Fence`` first in its own transaction, so a deliverer paused past its lease writes nothing.

One run claims the waiting messages a batch at a time (``IN_FLIGHT`` batches at once, so the
database work of one overlaps the round trip of another) and, for each batch:

1. claims them and builds each message's request in one transaction (the partner adapter reads
   the record; a record that no longer passes its rules is refused there and then), counting
   the attempt of each new message, which is sent right after the commit;
2. looks up at the partner the messages an earlier attempt may have delivered (``attempts`` > 0:
   an answer lost, a timeout, a process killed while it held the claim) — found means done, not
   found means send it again; a failed look-up is tried again on a later run, and after
   ``MAX_LOOKUPS`` the message waits for an operator's decision;
3. counts the attempt of each message sent again (committed before sending), sends them all;
4. applies the outcomes after checking the partner's answer against what was sent (a mismatch
   waits for a decision, never counts as done): the batch in one transaction, or, if that
   fails, each message in its own, so one that cannot be written holds back no other.

An outcome belongs to its message alone: a refusal, a failed look-up or a lost answer never stops
the others, and only messages actually sent count an attempt. A run in which the partner answered
nothing at all (every send and look-up failed) raises the partner's last error once the outcomes
are written, so that its job shows the partner failing, not "ok, 1 to try again".

A claim lasts ``CLAIM_SECONDS``. While a run lives it keeps its claims: every third of that
length a keeper extends the claims of the messages the run still holds (those claimed by this
holder in this term of the lease, under the fence, so a deliverer that lost its lease extends
nothing), so a slow partner, a big batch or a long retry never lets another deliverer take the
messages mid-delivery and send them again. A keeper that cannot write (a database fault) tries
again at its next tick; a claim it failed to extend may then expire as if it had none. Claims of
a killed or paused process are no longer extended: the next run takes them again after they
expire (and looks the record up first if it may have been sent). The engine names no partner:
each implements ``Adapter``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, bindparam, or_, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlmodel import Session, col, select
from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_exponential

from posync_tui import failures
from posync_tui.db import Database, changed_rows, update_each
from posync_tui.delivery_adapter import (
    Adapter,
    Answer,
    Message,
    NoAnswer,
    NotSent,
    Outcome,
    Recorder,
    Refused,
    Request,
    Tally,
)
from posync_tui.events import note_change
from posync_tui.leases import Fence, LeaseLost, db_now
from posync_tui.models import OutboxMessage, OutboxStatus, saved_id, utcnow

log = logging.getLogger(__name__)

IN_FLIGHT = 3  # batches being prepared, sent or applied at once
CLAIM_SECONDS = 300.0  # how long a claim lasts unless extended; a killed deliverer's claims are
# retaken after it. A live run extends its claims every KEEP_EVERY of it.
KEEP_EVERY = 1 / 3
MAX_LOOKUPS = 3  # failed look-ups before a message that may have been sent waits for a decision
MAX_ATTEMPTS = 5  # sends left without an answer before a message waits for a decision
# Faults of the database itself (locked, full, the server gone), not of one message's outcome.
DATABASE_FAULTS = (OperationalError, InterfaceError)

Progress = Callable[[int, int], None]
OUTBOX = "outbox"  # the change kind of outbox messages, before ":<connector>"


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
    refused) after the batches under way have applied their outcomes; also, when the partner
    answered none of the run's sends and look-ups, the last of their errors (a NoAnswer or the
    client's own).
    """
    return await _Run(db, adapter, fence, progress, claim_seconds).run()


def note_outbox(session: Session, connector: str, ids: Iterable[int]) -> None:
    """Note a change of ``connector``'s outbox messages ``ids``. Its kind names the connector
    ("outbox:quickbooks"), so that the holder of the connector's lease in another process sees
    work queued for it and delivers at once (``scheduler.PollScheduler.pick_up``)."""
    note_change(session, f"{OUTBOX}:{connector}", ids)


def outbox_connector(kind: str) -> str | None:
    """The connector an outbox change concerns (see ``note_outbox``); None for other kinds."""
    family, _, connector = kind.partition(":")
    return connector or None if family == OUTBOX else None


def has_work(db: Database, connector: str) -> bool:
    """Whether ``connector`` has messages to deliver (waiting, or claims that expired)."""
    with db.reader() as s:
        query = select(OutboxMessage.id).where(
            OutboxMessage.connector == connector, _claimable(db_now(s))
        )
        return s.exec(query.limit(1)).first() is not None


class _Run:
    def __init__(
        self,
        db: Database,
        adapter: Adapter,
        fence: Fence,
        progress: Progress | None,
        claim_seconds: float,
    ) -> None:
        self.db = db
        self.adapter = adapter
        self.fence = fence
        self.progress = progress
        self.claim_for = timedelta(seconds=claim_seconds)
        self.tally = Tally()
        self.error: BaseException | None = None  # stops the run
        self.fault: Exception | None = None  # the partner's last failed send or look-up
        self.answered = False  # the partner answered a send or a look-up
        self.total = 0
        self.held: set[int] = set()  # claimed, not yet settled: the claims the keeper extends
        # One batch at a time in the database: two writers would wait on SQLite's lock by
        # sleeping, slower than taking turns.
        self.db_turn = asyncio.Lock()

    async def run(self) -> Tally:
        keeper = asyncio.create_task(self._keep_claims())
        try:
            return await self._run()
        finally:
            keeper.cancel()
            # Waits for it to stop; a cancellation of this run itself still goes through.
            await asyncio.gather(keeper, return_exceptions=True)

    async def _run(self) -> Tally:
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
        if self.fault is not None and not self.answered:
            raise self.fault
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
            built = await asyncio.to_thread(self._claim, ids)
        self.held.update(built)
        try:
            await self._settle(built)
        finally:
            # Settled, or left for their claims to expire (an outcome that could not be written).
            self.held.difference_update(built)

    async def _settle(self, built: dict[int, Request | Refused]) -> None:
        outcomes: dict[int, Outcome] = {}
        requests: list[Request] = []
        for message_id, request in built.items():
            if isinstance(request, Refused):
                outcomes[message_id] = Outcome(
                    OutboxStatus.FAILED, code=request.code, text=request.message
                )
            else:
                requests.append(request)
        to_send = [r for r in requests if r.message.attempts == 0]  # attempt counted at claim
        maybe_sent = [r for r in requests if r.message.attempts > 0]
        if maybe_sent:
            resend: list[Request] = []
            outcomes |= await self._look_up(maybe_sent, resend)
            if resend:
                async with self.db_turn:
                    await asyncio.to_thread(self._mark_sending, resend)
                to_send += resend
        stop: BaseException | None = None
        if to_send:
            try:
                answers = await self.adapter.send(to_send)
            except NotSent as exc:
                answers, stop = {}, exc.cause
                for r in to_send:
                    outcomes[r.message.id] = Outcome(
                        OutboxStatus.PENDING, text=_plain(exc.cause), unsent=True
                    )
            except NoAnswer as exc:  # this batch's answer was lost: the next run looks it up
                answers, self.fault = {r.message.id: exc for r in to_send}, exc
            except LeaseLost:
                raise
            except Exception as exc:  # noqa: BLE001 - the partner is down: each looks up later
                answers, stop = {r.message.id: NoAnswer(_plain(exc)) for r in to_send}, exc
            for r in to_send:
                if r.message.id not in outcomes:
                    answer = answers.get(r.message.id)
                    self._heard(answer)
                    outcomes[r.message.id] = self._answered(r, answer)
        async with self.db_turn:
            await asyncio.to_thread(self._apply_all, outcomes)
        if stop is not None:
            raise stop

    async def _keep_claims(self) -> None:
        """Extend the claims this run holds, every third of their length, until it ends."""
        every = self.claim_for.total_seconds() * KEEP_EVERY
        failing = False
        while True:
            await asyncio.sleep(every)
            held = sorted(self.held)
            if not held:
                continue
            try:
                async with self.db_turn:
                    await asyncio.to_thread(self._extend, held)
            except LeaseLost:
                return  # another term holds the lease: these claims expire and are taken over
            except Exception as exc:  # noqa: BLE001 - the run goes on; the claims may expire
                if not failing:
                    log.warning(
                        "%s: claims not extended (tried again in %g s): %s",
                        self.adapter.connector,
                        every,
                        failures.plain(exc),
                    )
                failing = True
            else:
                failing = False

    async def _look_up(self, requests: list[Request], to_send: list[Request]) -> dict:
        """Resolve messages that may have been sent; those not found join ``to_send``."""
        try:
            found = await self.adapter.look_up(requests)
        except LeaseLost:
            raise
        except Exception as exc:  # noqa: BLE001 - each message is retried or decided on its own
            self.fault = exc
            return {r.message.id: _lookup_failed(r.message, _plain(exc)) for r in requests}
        self.answered = True
        outcomes = {}
        for r in requests:
            answer = found.get(r.message.id)
            if answer is None:
                to_send.append(r)  # it never arrived: sending it now is safe
            else:
                outcomes[r.message.id] = self._checked(r, answer)
        return outcomes

    def _heard(self, answer: Answer | Exception | None) -> None:
        """Note whether the partner answered this message (an Answer or a refusal)."""
        if isinstance(answer, Answer | Refused):
            self.answered = True
        else:
            self.fault = answer or NoAnswer("no answer from the partner")

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
            ids = s.exec(
                select(col(OutboxMessage.id))
                .where(OutboxMessage.connector == self.adapter.connector, _claimable(now))
                .order_by(col(OutboxMessage.id))
            ).all()
            return [id_ for id_ in ids if id_ is not None]  # a primary key is never NULL

    def _claim(self, ids: list[int]) -> dict[int, Request | Refused]:
        """Claim those of ``ids`` still claimable and build their requests, under the fence;
        count the attempt of each new message, which is sent right after (one transaction)."""
        # Core statements, not ORM objects: a batch is claimed with one UPDATE and its first
        # attempts counted with one more (an ORM object per message cost ~1 ms each).
        with self.db.session() as s, s.no_autoflush:
            self.fence.check(s)
            now = db_now(s)
            rows = s.execute(
                select(*_MESSAGE_COLUMNS)
                .where(_OUT.c.id.in_(ids), _claimable(now))
                .order_by(_OUT.c.id)
            ).all()
            if not rows:
                return {}
            messages = [_message(row) for row in rows]
            built = self._build(s, messages)
            claimed = [m.id for m in messages]
            s.execute(
                update(_OUT)
                .where(_OUT.c.id.in_(claimed))
                .values(
                    status=OutboxStatus.CLAIMED,
                    claimed_by=self.fence.holder,
                    claim_generation=self.fence.generation,
                    claimed_until=now + self.claim_for,
                    updated_at=now,
                )
            )
            first = [
                {"b_id": m.id, "b_payload": json.dumps(request.payload, sort_keys=True)}
                for m in messages
                if m.attempts == 0 and isinstance(request := built[m.id], Request)
            ]
            if first:
                s.execute(
                    update(_OUT)
                    .where(_OUT.c.id == bindparam("b_id"))
                    .values(attempts=1, payload=bindparam("b_payload")),
                    first,
                )
            note_outbox(s, self.adapter.connector, claimed)
            return built

    def _build(self, s: Session, messages: list[Message]) -> dict[int, Request | Refused]:
        try:
            return self.adapter.build(s, messages)
        except Exception:
            if len(messages) == 1:
                raise
        # One record the adapter cannot build must not hold back the others: build alone.
        built: dict[int, Request | Refused] = {}
        for message in messages:
            try:
                built |= self._build(s, [message])
            except Exception as exc:  # noqa: BLE001 - that message's own error
                built[message.id] = Refused("error", f"{type(exc).__name__}: {_plain(exc)}")
        return built

    def _extend(self, ids: list[int]) -> int:
        """Extend the claims of ``ids`` still held by this run's term of the lease."""
        with self.db.session() as s:
            self.fence.check(s)
            now = db_now(s)
            return changed_rows(
                s,
                update(_OUT)
                .where(
                    _OUT.c.id.in_(ids),
                    _OUT.c.status == OutboxStatus.CLAIMED,
                    _OUT.c.claimed_by == self.fence.holder,
                    _OUT.c.claim_generation == self.fence.generation,
                )
                .values(claimed_until=now + self.claim_for),
            )

    def _mark_sending(self, requests: list[Request]) -> None:
        """Count the attempt of each message sent again after its look-up, before it leaves."""
        with self.db.session() as s:
            self.fence.check(s)
            now = db_now(s)
            s.execute(
                update(_OUT)
                .where(_OUT.c.id == bindparam("b_id"))
                .values(
                    attempts=_OUT.c.attempts + 1,
                    payload=bindparam("b_payload"),
                    claimed_until=now + self.claim_for,
                    updated_at=now,
                ),
                [
                    {"b_id": r.message.id, "b_payload": json.dumps(r.payload, sort_keys=True)}
                    for r in requests
                ],
            )

    def _apply_all(self, outcomes: dict[int, Outcome]) -> None:
        """Write the outcomes in one transaction under the fence; if that fails, each in its
        own, so that one that cannot be written leaves only its message claimed (retaken, and
        looked up, once the claim expires)."""
        try:
            settled = self._apply_when_possible(outcomes)
        except (LeaseLost, *DATABASE_FAULTS):
            raise  # the claims stay: once they expire, the next run looks the messages up
        except Exception:
            if len(outcomes) == 1:
                log.exception("outbox message %s: its outcome could not be written", *outcomes)
                return
            for message_id, outcome in outcomes.items():
                self._apply_all({message_id: outcome})
            return
        for message_id, outcome in settled:
            self.tally.add(outcome)
            if outcome.unsent:
                self.tally.not_sent.append(message_id)

    def _apply_when_possible(self, outcomes: dict[int, Outcome]) -> list[tuple[int, Outcome]]:
        """Write the outcomes, waiting while the database cannot take them (a lock held longer
        than the busy timeout, a server restarting): they were paid for with a round trip, and
        unwritten they leave their messages claimed until the claims expire. Not past the
        claims' length: after it another run may have taken the messages."""

        def waiting(state) -> None:
            if state.attempt_number == 1:
                log.warning(
                    "%s: outcomes wait for the database: %s",
                    self.adapter.connector,
                    failures.plain(state.outcome.exception()),
                )

        retrying = Retrying(
            retry=retry_if_exception_type(DATABASE_FAULTS),
            wait=wait_exponential(multiplier=0.05, max=2.0),
            stop=stop_after_delay(self.claim_for.total_seconds() / 2),
            before_sleep=waiting,
            reraise=True,
        )
        return retrying(self._apply, outcomes)

    def _apply(self, outcomes: dict[int, Outcome]) -> list[tuple[int, Outcome]]:
        # Core statements read the claims and write the outcomes (as ORM changes they cost ~1 ms
        # a message); the recorder is then handed each message as settled, read after the write.
        with self.db.session() as s, s.no_autoflush:  # one flush, at the commit
            self.fence.check(s)
            now = utcnow()
            claims = {
                row.id: row
                for row in s.execute(select(*_CLAIM_COLUMNS).where(_OUT.c.id.in_(list(outcomes))))
            }
            settled, writes = [], []
            for message_id, outcome in outcomes.items():
                claim = claims.get(message_id)
                if claim is None or not self._holds(claim):
                    continue  # an operator or another term of the lease took it meanwhile
                writes.append((message_id, _settled(claim, outcome, now)))
                settled.append((message_id, outcome))
            if not settled:
                return []
            update_each(s, _OUT, writes)
            query = select(OutboxMessage).where(col(OutboxMessage.id).in_([i for i, _ in writes]))
            rows = {row.id: row for row in s.exec(query)}
            for message_id, outcome in settled:
                self.adapter.record(s, rows[message_id], outcome)
            noted(s, [rows[message_id] for message_id, _ in settled], self.adapter)
        return settled

    def _holds(self, claim: Row) -> bool:
        """Whether the message is still claimed by this run's term of the lease."""
        return (
            claim.status == OutboxStatus.CLAIMED
            and claim.claimed_by == self.fence.holder
            and claim.claim_generation == self.fence.generation
        )


def _claimable(now: datetime) -> ColumnElement[bool]:
    status = col(OutboxMessage.status)
    return or_(
        status == OutboxStatus.PENDING,
        and_(status == OutboxStatus.CLAIMED, col(OutboxMessage.claimed_until) <= now),
    )


_OUT = OutboxMessage.__table__
_MESSAGE_COLUMNS = tuple(
    _OUT.c[name]
    for name in ("id", "kind", "record_kind", "record_id", "idempotency_key", "payload")
    + ("attempts", "lookups")
)
_CLAIM_COLUMNS = tuple(
    _OUT.c[name]
    for name in ("id", "status", "claimed_by", "claim_generation", "attempts", "lookups")
)


def _message(row: Row) -> Message:
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
    """Write an outcome on its message (and, through the recorder, on its record); the caller
    notes the change once for all it settled (``noted``)."""
    for key, value in _settled(row, outcome, utcnow()).items():
        setattr(row, key, value)
    recorder.record(session, row, outcome)


def _settled(row: Row | OutboxMessage, outcome: Outcome, now: datetime) -> dict[str, Any]:
    """The columns an outcome changes on its message, and their new values."""
    changes: dict[str, Any] = {
        "status": outcome.status,
        "claimed_by": None,
        "claim_generation": None,
        "claimed_until": None,
        "updated_at": now,
    }
    if outcome.unsent:
        changes["attempts"] = row.attempts - 1
    if outcome.code == "lookup failed":
        changes["lookups"] = row.lookups + 1
    if outcome.answer is not None:
        changes["partner_id"] = outcome.answer.partner_id
        changes["doc_number"] = outcome.answer.doc_number or None
    if outcome.status == OutboxStatus.SENT:
        changes |= {"sent_at": now, "error_code": None, "last_error": None, "lookups": 0}
    else:
        changes["error_code"] = outcome.code[:20] if outcome.code else None
        changes["last_error"] = outcome.text
    return changes


def noted(session: Session, rows: Sequence[OutboxMessage], recorder: Recorder) -> None:
    """Tell every console what changed: the messages, then the records (one entry each)."""
    if rows:
        note_outbox(session, rows[0].connector, [saved_id(row) for row in rows])
        recorder.changed(session, rows)


def _plain(exc: BaseException) -> str:
    return getattr(exc, "message", None) or str(exc) or type(exc).__name__
