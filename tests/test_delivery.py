"""The delivery engine, with a tiny partner that keeps its records in a dict.

The partner can lose its answers after committing, fail its look-ups, answer with another
document number, or refuse a record; the engine must resolve each message on its own, under the
lease's fence, and never send one twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from posync_tui import delivery, leases
from posync_tui import delivery_decisions as decisions
from posync_tui.delivery import Answer, Message, NoAnswer, Outcome, Refused, Request
from posync_tui.models import ConnectorState, OutboxMessage, OutboxStatus, saved_id, utcnow
from tests import records
from tests.waiting import until

CONNECTOR = "fake"


class FakePartner:
    """The partner's side: records by idempotency key, and a script of what goes wrong."""

    def __init__(self):
        self.records: dict[str, dict] = {}  # key → {"id", "doc", "amount"}
        self.sent: list[str] = []  # every key received, repeats included
        self.lose_answers = 0  # the next N batches: commit, then lose the answer
        self.failing_lookups = 0  # the next N look-ups fail
        self.lookups = 0
        self.answer_doc: str | None = None  # answer with this document number instead
        self.refuse: set[int] = set()  # record ids refused by the partner


class FakeAdapter:
    connector = CONNECTOR
    batch_size = 10

    def __init__(self, partner: FakePartner, *, bad: Sequence[int] = ()):
        self.partner = partner
        self.bad = set(bad)  # record ids whose request cannot even be built
        self.recorded: list[tuple[int, str]] = []
        self.changes: list[list[int]] = []  # the records noted as changed, a list per commit

    def build(self, s: Session, messages: Sequence[Message]) -> dict[int, Request | Refused]:
        if self.bad & {m.record_id for m in messages}:
            raise ValueError("a record the adapter cannot read")
        return {
            m.id: Request(m, {"doc": f"DOC-{m.record_id}"}, {"doc": f"DOC-{m.record_id}"})
            for m in messages
        }

    async def send(self, requests: Sequence[Request]) -> dict[int, Answer | Exception]:
        answers: dict[int, Answer | Exception] = {}
        for r in requests:
            self.partner.sent.append(r.message.key)
            if r.message.record_id in self.partner.refuse:
                answers[r.message.id] = Refused("6000", "the partner refused it")
                continue
            stored = self.partner.records.setdefault(
                r.message.key,
                {"id": f"P{len(self.partner.records) + 1}", "doc": r.body["doc"]},
            )
            answers[r.message.id] = Answer(stored["id"], self.partner.answer_doc or stored["doc"])
        if self.partner.lose_answers:
            self.partner.lose_answers -= 1
            raise NoAnswer("the partner did not answer in time")
        return answers

    async def look_up(self, requests: Sequence[Request]) -> dict[int, Answer]:
        self.partner.lookups += 1
        if self.partner.failing_lookups:
            self.partner.failing_lookups -= 1
            raise NoAnswer("the look-up timed out")
        found = {}
        for r in requests:
            if (stored := self.partner.records.get(r.message.key)) is not None:
                found[r.message.id] = Answer(stored["id"], stored["doc"])
        return found

    def check(self, request: Request, answer: Answer) -> str | None:
        sent = request.body["doc"]
        return None if answer.doc_number == sent else f"number {answer.doc_number}, sent {sent}"

    def record(self, s: Session, message: OutboxMessage, outcome: Outcome) -> None:
        self.recorded.append((message.record_id, str(outcome.status)))

    def changed(self, s: Session, messages: Sequence[OutboxMessage]) -> None:
        self.changes.append(sorted(m.record_id for m in messages))


class SlowAdapter(FakeAdapter):
    """A partner slower than a claim lasts: it does the work at once, and answers each batch
    only once the test lets it (``answer``)."""

    def __init__(self, partner: FakePartner):
        super().__init__(partner)
        self.answer = asyncio.Event()
        self.batches = 0  # batches received

    async def send(self, requests: Sequence[Request]) -> dict[int, Answer | Exception]:
        answers = await super().send(requests)
        self.batches += 1
        await self.answer.wait()
        return answers


@pytest.fixture
def partner() -> FakePartner:
    return FakePartner()


@pytest.fixture
def adapter(partner) -> FakeAdapter:
    return FakeAdapter(partner)


def queue(db, *record_ids: int) -> list[int]:
    with db.session() as s:
        rows = [
            OutboxMessage(
                connector=CONNECTOR,
                kind="order",
                record_kind="order",
                record_id=record_id,
                idempotency_key=f"{db.installation_id()}:fake:{record_id}",
            )
            for record_id in record_ids
        ]
        s.add_all(rows)
        s.flush()
        return [row.id for row in rows]


def message(db, message_id: int) -> OutboxMessage:
    with db.reader() as s:
        return s.get(OutboxMessage, message_id)


def statuses(db) -> dict[int, str]:
    with db.reader() as s:
        return {m.record_id: str(m.status) for m in s.exec(select(OutboxMessage))}


async def run(db, adapter, **kw) -> delivery.Tally:
    return await delivery.deliver(db, adapter, records.fence(db, CONNECTOR), **kw)


async def test_every_waiting_message_is_sent_once_and_nothing_stays_claimed(db, adapter, partner):
    queue(db, *range(1, 26))
    tally = await run(db, adapter)
    assert (tally.sent, tally.total) == (25, 25)
    assert set(statuses(db).values()) == {"sent"} and len(partner.sent) == 25
    assert (await run(db, adapter)).total == 0
    with db.reader() as s:
        claims = s.exec(select(OutboxMessage.claimed_by).where(OutboxMessage.claimed_by != None))  # noqa: E711
        assert claims.all() == []


async def test_an_answer_lost_after_the_partner_committed_is_looked_up_and_done_once(
    db, adapter, partner
):
    [message_id] = queue(db, 1)
    partner.lose_answers = 1
    with pytest.raises(NoAnswer, match="did not answer in time"):  # the run shows it failing
        await run(db, adapter)
    lost = message(db, message_id)
    assert (lost.status, lost.attempts) == (OutboxStatus.PENDING, 1)

    assert (await run(db, adapter)).sent == 1
    done = message(db, message_id)
    assert (done.status, done.partner_id, done.doc_number) == ("sent", "P1", "DOC-1")
    assert partner.sent == [done.idempotency_key]  # looked up, never sent a second time
    assert len(partner.records) == 1 and partner.lookups == 1
    assert adapter.recorded == [(1, "pending"), (1, "sent")]  # done once


async def test_a_run_the_partner_answered_in_part_ends_with_its_tally(db, adapter, partner):
    queue(db, *range(1, 16))  # two batches: the first one's answer is lost
    partner.lose_answers = 1
    tally = await run(db, adapter)
    assert (tally.sent, tally.later) == (5, 10)
    assert (await run(db, adapter)).sent == 10  # looked up: found, none sent twice
    assert len(partner.sent) == 15


async def test_a_failing_look_up_is_retried_later_then_waits_for_a_decision(db, adapter, partner):
    [message_id] = queue(db, 1)
    partner.lose_answers = 1
    with pytest.raises(NoAnswer):
        await run(db, adapter)
    partner.failing_lookups = 100
    for tries in range(1, delivery.MAX_LOOKUPS + 1):
        with pytest.raises(NoAnswer, match="the look-up timed out"):
            await run(db, adapter)
        assert message(db, message_id).lookups == tries
    assert partner.lookups == delivery.MAX_LOOKUPS
    undecided = message(db, message_id)
    assert undecided.status == OutboxStatus.DECISION and undecided.error_code == "lookup failed"
    assert "look it up again, send it again, mark it done" in undecided.last_error
    assert (await run(db, adapter)).total == 0  # it waits for the operator, not the next run
    assert partner.sent == [undecided.idempotency_key]

    # Look up again: the partner answers this time, and has it.
    partner.failing_lookups = 0
    decisions.look_up_again(db, message_id)
    assert (await run(db, adapter)).sent == 1
    assert partner.sent == [undecided.idempotency_key]


async def test_each_decision_on_an_undecided_message(db, adapter, partner):
    sent_again, marked, cancelled = queue(db, 1, 2, 3)
    partner.lose_answers = 1
    with pytest.raises(NoAnswer):
        await run(db, adapter)
    partner.records.clear()  # the partner lost them after all
    with db.session() as s:
        s.execute(update(OutboxMessage).values(status=OutboxStatus.DECISION))

    decisions.send_again(db, sent_again)
    decisions.mark_done(db, marked, "P-42", adapter, doc_number="DOC-2")
    decisions.cancel(db, cancelled, adapter)
    with pytest.raises(decisions.NotDecidable):
        decisions.send_again(db, marked)  # done: nothing left to decide
    assert (await run(db, adapter)).sent == 1

    assert message(db, sent_again).status == "sent" and partner.lookups == 0
    assert (message(db, marked).status, message(db, marked).partner_id) == ("sent", "P-42")
    assert message(db, cancelled).status == "cancelled"
    assert {(1, "sent"), (2, "sent"), (3, "cancelled")} <= set(adapter.recorded)


async def test_a_claim_left_by_a_killed_process_is_taken_again_after_it_expires(
    db, adapter, partner
):
    expired, live = queue(db, 1, 2)
    # A deliverer killed mid-send: it counted the attempts, then died holding both claims.
    with db.session() as s:
        for message_id, until in ((expired, -1), (live, 600)):
            row = s.get(OutboxMessage, message_id)
            row.status, row.attempts, row.claimed_by = OutboxStatus.CLAIMED, 1, "dead:1"
            row.claimed_until = utcnow() + timedelta(seconds=until)
    partner.records[message(db, expired).idempotency_key] = {"id": "P1", "doc": "DOC-1"}

    tally = await run(db, adapter)
    assert (tally.sent, tally.total) == (1, 1)  # the live claim is not taken from its holder
    assert message(db, expired).status == "sent" and partner.sent == []  # found by look-up
    assert message(db, live).status == "claimed"


async def test_one_bad_record_among_30_neither_stops_the_others_nor_counts_their_attempts(
    db, partner
):
    adapter = FakeAdapter(partner, bad=[7])
    ids = queue(db, *range(1, 31))
    partner.refuse = {12}
    tally = await run(db, adapter)
    assert (tally.sent, tally.failed) == (28, 2)
    bad, refused = message(db, ids[6]), message(db, ids[11])
    assert (bad.status, bad.attempts) == ("failed", 0)  # never sent: no attempt
    assert "ValueError: a record the adapter cannot read" in bad.last_error
    assert (refused.status, refused.attempts, refused.error_code) == ("failed", 1, "6000")
    assert len(partner.sent) == 29


async def test_an_answer_that_is_not_what_was_sent_waits_for_a_decision(db, adapter, partner):
    [message_id] = queue(db, 1)
    partner.answer_doc = "DOC-999"
    assert (await run(db, adapter)).decision == 1
    mismatch = message(db, message_id)
    assert (mismatch.status, mismatch.error_code) == ("decision", "mismatch")
    assert "number DOC-999, sent DOC-1" in mismatch.last_error
    assert adapter.recorded == [(1, "decision")]


async def test_a_partner_that_was_never_reached_counts_no_attempt(db, adapter, partner):
    [message_id] = queue(db, 1)

    async def unreachable(requests):
        raise delivery.NotSent(ConnectionError("sign-in refused"))

    adapter.send = unreachable
    with pytest.raises(ConnectionError):
        await run(db, adapter)
    waiting = message(db, message_id)
    assert (waiting.status, waiting.attempts, waiting.claimed_by) == ("pending", 0, None)


async def test_a_deliverer_that_lost_its_lease_writes_nothing(db, adapter, partner):
    [message_id] = queue(db, 1)
    paused = records.fence(db, CONNECTOR, holder="paused")
    # Its lease ran out while it was stopped; another process took over.
    with db.session() as s:
        s.execute(
            update(ConnectorState)
            .where(ConnectorState.name == CONNECTOR)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
    records.fence(db, CONNECTOR, holder="leader")
    with pytest.raises(leases.LeaseLost):
        await delivery.deliver(db, adapter, paused)
    untouched = message(db, message_id)
    assert (untouched.status, untouched.attempts, untouched.claimed_by) == ("pending", 0, None)
    assert partner.sent == []


# --- claims kept while a run lives -------------------------------------------------------------

CLAIM = 0.6  # seconds: shorter than the slow partner takes to answer


def claimed_until(db, ids: Sequence[int]) -> dict[int, datetime | None]:
    with db.reader() as s:
        rows = s.exec(select(OutboxMessage).where(col(OutboxMessage.id).in_(ids)))
        return {saved_id(m): m.claimed_until for m in rows}


def expired(db, ids: Sequence[int]) -> bool:
    """Whether every claim of ``ids`` has expired (each claimed)."""
    ends = claimed_until(db, ids).values()
    return all(end is not None and end <= utcnow() for end in ends)


async def past(moment) -> None:
    """Wait until the database's clock (this host's, on SQLite) is past ``moment``."""
    await until(lambda: utcnow() > moment, what="the first claims' end")


async def test_a_run_keeps_its_claims_while_a_slow_partner_answers(db, partner):
    adapter = SlowAdapter(partner)
    ids = queue(db, *range(1, 16))  # two batches, both at the partner at once
    first = asyncio.create_task(run(db, adapter, claim_seconds=CLAIM))
    await until(lambda: adapter.batches == 2, what="the partner receiving both batches")
    await past(max(claimed_until(db, ids).values()))  # unkept, every claim has expired

    # Another deliverer (a second Upload All, the worker) finds nothing to take.
    second = await asyncio.wait_for(run(db, FakeAdapter(partner), claim_seconds=CLAIM), 30)
    assert second.total == 0 and partner.lookups == 0

    adapter.answer.set()
    tally = await first
    assert (tally.sent, tally.total) == (15, 15)
    assert sorted(partner.sent) == sorted(set(partner.sent)) and len(partner.sent) == 15
    with db.reader() as s:
        done = s.exec(select(OutboxMessage)).all()
    assert {(m.status, m.attempts, m.claimed_by, m.claimed_until) for m in done} == {
        ("sent", 1, None, None)  # sent once, no second attempt, no claim left
    }


async def test_a_run_that_lost_its_lease_does_not_keep_its_claims(db, partner):
    adapter = SlowAdapter(partner)
    ids = queue(db, 1, 2, 3)
    paused = records.fence(db, CONNECTOR, holder="paused")
    first = asyncio.create_task(delivery.deliver(db, adapter, paused, claim_seconds=CLAIM))
    await until(lambda: adapter.batches == 1, what="the partner receiving the batch")
    # Its lease ran out meanwhile and another process took it: a new term.
    with db.session() as s:
        s.execute(
            update(ConnectorState)
            .where(ConnectorState.name == CONNECTOR)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
    leader = records.fence(db, CONNECTOR, holder="leader")
    assert leader.generation == paused.generation + 1

    await until(
        lambda: expired(db, ids),
        timeout=10 * CLAIM,
        what="the claims of the run that lost its lease to expire",
    )
    # The leader takes them over and finds them at the partner: none sent twice.
    taken = await asyncio.wait_for(delivery.deliver(db, adapter, leader, claim_seconds=CLAIM), 30)
    assert (taken.sent, partner.lookups, len(partner.sent)) == (3, 1, 3)
    adapter.answer.set()
    with pytest.raises(leases.LeaseLost):
        await first
    assert set(statuses(db).values()) == {"sent"}


async def test_the_claims_of_a_cancelled_run_expire_and_are_taken_again(db, partner):
    adapter = SlowAdapter(partner)
    ids = queue(db, 1, 2)
    first = asyncio.create_task(run(db, adapter, claim_seconds=CLAIM))
    await until(lambda: adapter.batches == 1, what="the partner receiving the batch")
    first.cancel()  # as a killed process: its claims stay, no longer kept
    with pytest.raises(asyncio.CancelledError):
        await first
    await until(
        lambda: expired(db, ids), timeout=10 * CLAIM, what="the cancelled run's claims to expire"
    )
    again = await asyncio.wait_for(run(db, FakeAdapter(partner), claim_seconds=CLAIM), 30)
    assert (again.sent, partner.lookups, len(partner.sent)) == (2, 1, 2)  # found: not resent


async def test_a_database_fault_in_the_keeper_is_logged_once_and_tried_again(
    db, partner, monkeypatch, caplog
):
    adapter = SlowAdapter(partner)
    ids = queue(db, 1)
    extend = delivery._Run._extend
    faults = 2

    def flaky(run, held):
        nonlocal faults
        if faults:
            faults -= 1
            raise OperationalError("UPDATE outbox_message", {}, Exception("database is locked"))
        return extend(run, held)

    monkeypatch.setattr(delivery._Run, "_extend", flaky)
    first = asyncio.create_task(run(db, adapter, claim_seconds=CLAIM))
    await until(lambda: adapter.batches == 1, what="the partner receiving the batch")
    claimed = claimed_until(db, ids)[ids[0]]
    await until(
        lambda: claimed_until(db, ids)[ids[0]] > claimed, what="the claim extended after faults"
    )
    assert faults == 0
    adapter.answer.set()
    assert (await first).sent == 1  # the faults did not stop the run
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        "fake: claims not extended (tried again in 0.2 s): the database is busy: another program "
        "holds its write lock"
    ]
