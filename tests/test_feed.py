"""Inbound feeds: the one mechanism every partner's feed runs on, with a tiny fake partner."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from connectors.base import MalformedResponse, PartnerUnavailable, Rejected
from posync_tui import feed, feed_reprocess, leases
from posync_tui.feed import Entry, FeedRefused, Page, Taken
from posync_tui.models import (
    AuditEntry,
    ConnectorState,
    NotificationKind,
    QuarantinedEntry,
    SyncNotification,
)
from posync_tui.scheduler import Job, PollScheduler
from tests.supplier_world import lease

REFUSED_BY_THE_DATABASE = "a value the database refuses"


class FakePartner:
    """A partner whose feed entries name records; each record is a text (or an exception to
    raise when it is fetched). Applying a record writes one audit entry naming it."""

    partner = "The fake partner"
    noun = "record"

    def __init__(self, connector: str = "edi"):
        self.connector = connector
        self.entries: list[Entry] = []
        self.records: dict[str, object] = {}
        self.next_cursor: object = None  # what the next page says, instead of the truth
        self.fetch_failures: dict[str, int] = {}  # key → transient failures before it answers
        self.notified: list[datetime | None] = []

    def publish(self, key: str, record: object = "ok", at: datetime | None = None) -> int:
        seq = len(self.entries) + 1
        self.entries.append(Entry(seq, key, at or datetime.now(UTC)))
        self.records[key] = record
        return seq

    async def page(self, cursor: str | None, limit: int) -> Page:
        after = int(cursor or 0)
        entries = [e for e in self.entries if e.seq > after][:limit]
        truth = str(entries[-1].seq if entries else after)
        return Page(entries, truth if self.next_cursor is None else self.next_cursor)

    async def fetch(self, key: str) -> object:
        if self.fetch_failures.get(key):
            self.fetch_failures[key] -= 1
            raise PartnerUnavailable("The fake partner failed with HTTP 503", status=503)
        record = self.records[key]
        if isinstance(record, BaseException):
            raise record
        return record

    def work(self, taken: Taken) -> Taken:
        return taken

    async def prepare(self, works: list[Taken]) -> None:
        pass

    def write(self, session, works: list[Taken], now: datetime) -> list[str]:
        for taken in works:
            self.notified.append(taken.notified_at)
            if taken.record is None:
                continue
            refused = taken.record == REFUSED_BY_THE_DATABASE
            session.add(
                AuditEntry(
                    record_kind=None if refused else "fake",  # NOT NULL: the database refuses
                    record_id=taken.entry.seq,
                    field=taken.entry.key[:40],
                    new_value=str(taken.record),
                    source=self.connector,
                )
            )
            session.flush()
        return [t.entry.key for t in works if t.record is not None]

    def taken(self, work: Taken) -> Taken:
        return work

    def refused(self, work: Taken, message: str) -> Taken:
        return replace(work, record=None, error=message)

    def owner(self, session, key: str) -> tuple[int | None, int | None]:
        return None, None


def applied(db, connector: str = "edi") -> list[str]:
    with db.reader() as s:
        rows = s.exec(select(AuditEntry).where(AuditEntry.source == connector))
        return [a.field for a in rows]


def quarantined(db) -> list[QuarantinedEntry]:
    with db.reader() as s:
        return list(s.exec(select(QuarantinedEntry).order_by(QuarantinedEntry.id)))


def notes(db, kind: NotificationKind) -> list[SyncNotification]:
    with db.reader() as s:
        return list(s.exec(select(SyncNotification).where(SyncNotification.kind == kind)))


async def poll(partner: FakePartner, db, **kw) -> feed.Run:
    fence = lease(db, partner.connector)
    return await feed.poll(partner, db, fence, page_size=kw.get("page_size", 100), max_pages=5)


# --- the cursor --------------------------------------------------------------------------------


async def test_each_connector_has_its_own_cursor_stored_with_what_it_applied(any_db):
    edi, warehouse = FakePartner("edi"), FakePartner("warehouse")
    for n in range(3):
        edi.publish(f"E-{n}")
    warehouse.publish("W-0")
    await poll(edi, any_db, page_size=2)
    await poll(warehouse, any_db)
    assert feed.read_cursor(any_db, "edi") == "3" and applied(any_db, "edi") == [
        "E-0",
        "E-1",
        "E-2",
    ]
    assert feed.read_cursor(any_db, "warehouse") == "1"
    assert feed.read_cursor(any_db, "supplier") is None
    edi.publish("E-3")
    run = await poll(edi, any_db)  # from the stored cursor: only the new entry
    assert run.entries == 1 and applied(any_db, "edi")[-1] == "E-3"


async def test_a_poll_that_lost_its_lease_applies_nothing_and_keeps_the_cursor(any_db):
    partner = FakePartner()
    partner.publish("E-1")
    fence = lease(any_db, "edi")
    with any_db.session() as s:  # the lease lapses while the poll waits on its partner
        s.get(ConnectorState, "edi").lease_expires_at = datetime.now(UTC) - timedelta(hours=1)
    leases.acquire(any_db, "edi", "another process", ttl=60)
    with pytest.raises(leases.LeaseLost):
        await feed.poll(partner, any_db, fence, page_size=10, max_pages=1)
    assert applied(any_db) == [] and feed.read_cursor(any_db, "edi") is None


@pytest.mark.parametrize(
    ("next_cursor", "why"),
    [
        ("abc", "is not a whole number"),
        ("-1", "is not a whole number"),
        (" 3", "is not a whole number"),
        (str(2**63), "is not a whole number"),
        ("1", "does not move forward"),  # backwards from the cursor sent (2)
        ("9", "jumps past entries it did not deliver"),
    ],
)
async def test_a_next_cursor_that_breaks_the_contract_is_refused_and_nothing_applied(
    any_db, next_cursor, why
):
    partner = FakePartner()
    partner.publish("E-1")
    partner.publish("E-2")
    await poll(partner, any_db)
    partner.publish("E-3")
    partner.publish("E-4")
    partner.next_cursor = next_cursor
    with pytest.raises(FeedRefused, match=why) as refused:
        await poll(partner, any_db)
    assert not refused.value.retryable  # a connector error the scheduler records
    assert applied(any_db) == ["E-1", "E-2"] and feed.read_cursor(any_db, "edi") == "2"
    (note,) = notes(any_db, NotificationKind.SYNC_ERROR)
    assert repr(next_cursor)[:40] in note.message and "nothing of that page" in note.message
    with pytest.raises(FeedRefused):  # again at the next poll, without a second notification
        await poll(partner, any_db)
    assert len(notes(any_db, NotificationKind.SYNC_ERROR)) == 1


async def test_entries_numbered_at_or_before_the_cursor_sent_are_refused(any_db):
    partner = FakePartner()
    partner.publish("E-1")
    partner.publish("E-2")
    await poll(partner, any_db)
    partner.publish("E-3")

    async def replayed(cursor, limit):  # the partner sends old entries again after cursor 2
        return Page(partner.entries, "3")

    partner.page = replayed
    with pytest.raises(FeedRefused, match="entry numbered 1 after cursor '2'"):
        await poll(partner, any_db)
    assert applied(any_db) == ["E-1", "E-2"] and feed.read_cursor(any_db, "edi") == "2"


async def test_an_empty_page_whose_cursor_moves_is_refused(any_db):
    partner = FakePartner()
    partner.next_cursor = "50"
    with pytest.raises(FeedRefused, match="moves without delivering"):
        await poll(partner, any_db)
    assert feed.read_cursor(any_db, "edi") is None


async def test_the_scheduler_records_a_refused_page_as_the_connectors_error(any_db):
    partner = FakePartner()
    partner.publish("E-1")
    partner.next_cursor = "-7"

    async def run(fence) -> str:
        await feed.poll(partner, any_db, fence, page_size=10, max_pages=1)
        return "polled"

    scheduler = PollScheduler(any_db, [Job("edi", 30, run)], holder="worker-a")
    outcome = await scheduler.run_now("edi")
    assert not outcome.ok
    with any_db.reader() as s:
        assert "'-7'" in s.get(ConnectorState, "edi").last_error
    assert applied(any_db) == []


# --- bad entries -------------------------------------------------------------------------------


class Malformed(MalformedResponse):
    """What the connectors raise for a body that breaks the contract, with its text and place."""

    def __init__(self, message: str, raw: str, where: str):
        super().__init__(message)
        self.raw, self.where = raw, where


@pytest.mark.parametrize(
    ("record", "stage", "error", "where"),
    [
        (Malformed("quantity is not a number", '{"q": "x"}', "lines[0].q"), "parse", "Malformed",
         "lines[0].q"),
        (RecursionError("maximum recursion depth exceeded"), "parse", "RecursionError", None),
        (OverflowError("date value out of range"), "parse", "OverflowError", None),
        (Rejected("The fake partner refused the request: HTTP 404", status=404), "fetch",
         "Rejected", None),
        (REFUSED_BY_THE_DATABASE, "apply", "IntegrityError", None),
    ],
)  # fmt: skip
async def test_a_bad_entry_is_quarantined_and_the_next_good_entry_applies(
    any_db, caplog, record, stage, error, where
):
    partner = FakePartner()
    partner.publish("E-1")
    bad_seq = partner.publish("BAD-1", record)
    partner.publish("E-3")
    caplog.set_level(logging.WARNING, logger="posync_tui")

    run = await poll(partner, any_db)

    assert applied(any_db) == ["E-1", "E-3"] and feed.read_cursor(any_db, "edi") == "3"
    assert run.entries == 3 and run.quarantined == 1
    (row,) = quarantined(any_db)
    assert (row.connector, row.entry_key, row.seq) == ("edi", "BAD-1", bad_seq)
    assert (row.stage, row.error, row.field_path) == (stage, error, where)
    assert row.message and row.created_at and row.reprocessed_at is None
    if isinstance(record, Malformed):
        assert row.raw == '{"q": "x"}'
    if stage == "apply":
        assert '"a value the database refuses"' in row.raw  # the record as it was fetched
    (note,) = notes(any_db, NotificationKind.BAD_DATA)
    assert "BAD-1" in note.message and error in note.message and stage in note.message
    assert not note.reviewed
    # A partner's bad data is one log line, never a traceback.
    lines = [r for r in caplog.records if "BAD-1" in r.getMessage()]
    assert len(lines) == 1 and lines[0].levelno == logging.WARNING and lines[0].exc_info is None


async def test_the_whole_raw_text_is_kept_however_big_or_strange(any_db):
    raw = "[" * 50_000 + "\x00\ud800" + "x" * 10_000_000
    partner = FakePartner()
    partner.publish("BIG", Malformed("the body is larger than 8 MB", raw, "$"))
    partner.publish("E-2")
    await poll(partner, any_db)
    (row,) = quarantined(any_db)
    assert len(row.raw) == len(raw) and row.raw.startswith("[" * 50_000)
    assert applied(any_db) == ["E-2"]


async def test_a_transient_failure_is_retried_by_the_next_poll_never_taken_as_final(any_db):
    partner = FakePartner()
    partner.publish("E-1")
    partner.publish("E-2")
    partner.publish("E-3")
    partner.fetch_failures["E-2"] = 1
    with pytest.raises(PartnerUnavailable):
        await poll(partner, any_db)
    assert applied(any_db) == ["E-1"] and feed.read_cursor(any_db, "edi") == "1"
    assert quarantined(any_db) == []

    await poll(partner, any_db)
    assert applied(any_db) == ["E-1", "E-2", "E-3"] and feed.read_cursor(any_db, "edi") == "3"


async def test_a_quarantined_entry_is_reprocessed_after_the_partners_fix(any_db):
    partner = FakePartner()
    partner.publish("E-1", Malformed("no currency", "{}", "currency"))
    partner.publish("E-2")
    await poll(partner, any_db)
    (row,) = quarantined(any_db)

    partner.records["E-1"] = Rejected("HTTP 404", status=404)  # not fixed yet
    with pytest.raises(ValueError, match="Still bad"):
        await feed_reprocess.reprocess(partner, any_db, row.id)
    (row,) = quarantined(any_db)
    assert row.reprocessed_at is None and row.error == "Rejected" and row.stage == "fetch"

    partner.records["E-1"] = "fixed"
    assert await feed_reprocess.reprocess(partner, any_db, row.id) == ["E-1"]
    assert applied(any_db) == ["E-2", "E-1"] and feed.read_cursor(any_db, "edi") == "2"
    (row,) = quarantined(any_db)
    assert row.reprocessed_at is not None
    (note,) = notes(any_db, NotificationKind.BAD_DATA)
    assert note.resolved and note.reviewed
    with pytest.raises(ValueError, match="re-processed already"):
        await feed_reprocess.reprocess(partner, any_db, row.id)


@pytest.mark.parametrize("stamp", ["2999-01-01T00:00:00+00:00", "0001-01-01T00:00:00+00:00"])
async def test_a_partner_time_that_cannot_be_is_taken_as_the_fetch_time_and_said_once(db, stamp):
    partner = FakePartner()
    partner.publish("E-1", at=datetime.fromisoformat(stamp))
    partner.publish("E-2", at=datetime.now(UTC) + timedelta(minutes=1))  # a clock a bit fast
    before = datetime.now(UTC)
    await poll(partner, db)
    first, second = partner.notified
    assert before <= first <= datetime.now(UTC) and before <= second <= datetime.now(UTC)
    assert applied(db) == ["E-1", "E-2"]
    (note,) = notes(db, NotificationKind.SYNC_ERROR)
    assert "E-1" in note.message and stamp[:4] in note.message and "clock" in note.message
    partner.publish("E-3", at=datetime.fromisoformat(stamp))
    await poll(partner, db)  # said once while the notification is unreviewed
    assert len(notes(db, NotificationKind.SYNC_ERROR)) == 1
