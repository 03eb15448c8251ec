"""Inbound feeds: one mechanism for every partner's change feed (supplier now; EDI hub and
warehouse next).

A partner publishes a feed of entries, each naming a record of its own that changed (an order
no.); posync reads the feed from a cursor, fetches each named record, and applies a page of them.
A connector supplies a ``Source`` (how to read its feed, fetch a record, apply a page); this
module does the rest, the same way for every partner:

- The cursor is the ``connector_state.cursor`` of the connector's row, read at the start of a
  poll and stored in the SAME transaction as what it applied, under the poll's lease (its
  ``Fence`` is checked first in that transaction), so a restart neither misses nor repeats.
- The contract of a cursor: an integer sequence, 0 ≤ n < 2**63, sent as text or a number;
  none means "from the start". Each entry carries its own sequence number, above the cursor
  sent, increasing. The partner's next cursor must be well-formed, must move forward from the
  one sent when the page has entries (and stay where it is when it has none), and must not go
  past the last entry delivered. Anything else is refused (``FeedRefused``, a ConnectorError the
  scheduler records, and a syncing notification): nothing of that page is applied.
- Each entry is taken on its own. One that cannot be fetched, parsed or applied is quarantined
  (``feed_quarantine``: its whole raw text, the error's type, where it happened, the message)
  with a "bad partner data" notification and ONE log line; the cursor moves past it and the next
  good entry applies in the same poll. ``feed_reprocess`` takes it again after a fix.
- A transient failure (timeout, 5xx, 429, a body not read in full: a retryable ConnectorError)
  is never final: the cursor stays before that entry, and the next poll fetches it again.
- A partner's timestamp is not trusted beyond the fetch: a notification time after the record
  was fetched is taken as the fetch time, and so is one before ``EARLIEST`` (when further off
  than ``SKEW``, a syncing notification and a log line say so, once while it is unreviewed).
  The time a record was fetched is the time of the partner data it reflects: a PO's "last
  synced" time.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar, overload

from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session
from sqlmodel import col

from connectors.base import ConnectorError, MalformedResponse
from posync_tui.db import Database
from posync_tui.events import note_change
from posync_tui.feed_cursor import (
    Entry,
    FeedRefused,
    Page,
    check_page,
    parse_cursor,
    read_cursor,
    shown,
)
from posync_tui.leases import Fence, LeaseLost
from posync_tui.models import (
    ConnectorState,
    NotificationKind,
    QuarantinedEntry,
    SyncNotification,
    utcnow,
)

log = logging.getLogger(__name__)

SKEW = timedelta(minutes=5)  # a partner's clock may run this far ahead without a word
EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)  # no partner notified before this
FETCHES_AT_ONCE = 8
# Failures of the database rather than of one record's data: nothing is quarantined for them.
SYSTEMIC = (OperationalError, InterfaceError)

W = TypeVar("W")  # a connector's unit of work: one fetched (or failed) record


@dataclass
class Taken:
    """What a page made of one record (all of its entries in the page): fetched, or failed."""

    entry: Entry  # its first entry in the page
    notified_at: datetime | None = None  # the latest of its entries', no later than the fetch
    record: Any = None
    fetched_at: datetime | None = None
    error: str | None = None  # why it was not taken, in plain words
    transient: bool = False  # retried by a later poll
    bad: Bad | None = None  # quarantined: set aside with its own notification
    untrusted: datetime | None = None  # a notification time of the partner's that cannot be


@dataclass
class Bad:
    """Why an entry is quarantined: a typed error, where it happened, and the partner's text."""

    entry: Entry
    stage: str  # "fetch", "parse" or "apply"
    error: str  # the exception's class name
    message: str
    field_path: str | None = None
    raw: str | None = None

    @classmethod
    def of(cls, entry: Entry, stage: str, exc: BaseException, raw: str | None = None) -> Bad:
        # Connectors that keep the partner's text and the field at fault give them as ``raw``
        # and ``where`` (MalformedResponse does); others give neither.
        where = getattr(exc, "where", None)
        kept = getattr(exc, "raw", None)
        raw = kept if kept is not None else raw  # an empty body is kept as one
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        return cls(entry, stage, type(exc).__name__, first_line(message), where and str(where), raw)


class Source(Protocol[W]):
    """What a connector supplies to have its feed read, fetched and applied by this module."""

    connector: str  # its connector_state row
    partner: str  # "The supplier", in messages
    noun: str  # what an entry names: "order"

    async def page(self, cursor: str | None, limit: int) -> Page: ...

    async def fetch(self, key: str) -> Any:
        """The partner's record now; raises on failure (a retryable ConnectorError: transient)."""

    def work(self, taken: Taken) -> W:
        """The unit of work ``write`` applies for one taken record (fetched or failed)."""

    async def prepare(self, works: list[W]) -> None:
        """Whatever else ``write`` needs, fetched before the transaction (may do nothing)."""

    def write(self, session: Session, works: list[W], now: datetime) -> Any:
        """Apply the works in the caller's transaction; the result is the page's summary."""

    def taken(self, work: W) -> Taken | None:
        """The record a work came from (None for works not from the feed)."""

    def refused(self, work: W, message: str) -> W:
        """The same record as a failure (it could not be applied)."""

    def owner(self, session: Session, key: str) -> tuple[int | None, int | None]:
        """The vendor and PO of posync's that the partner's record ``key`` belongs to, if known:
        what a bad entry's notification names, so the operator sees which PO waits for it."""


@dataclass
class Run:
    """What one poll did: entries consumed, ``write``'s result per page, entries quarantined,
    the cursor it stored last (None: it stored none)."""

    entries: int = 0
    results: list[Any] = field(default_factory=list)
    quarantined: int = 0
    cursor: str | None = None


# --- a poll ----------------------------------------------------------------------------------


async def poll(
    source: Source,
    db: Database,
    fence: Fence,
    *,
    page_size: int,
    max_pages: int,
    run: Run | None = None,
) -> Run:
    """Read the feed from the stored cursor, page by page (see the module docstring).

    Raises the transient failure that stopped it (after storing what came before it),
    ``FeedRefused`` for a page that breaks the contract, and ``LeaseLost``. ``run``, when
    given, is filled as the poll goes: the caller keeps what was stored when it raises."""
    cursor = await asyncio.to_thread(read_cursor, db, source.connector)
    if run is None:
        run = Run()
    for _ in range(max_pages):
        try:
            page = await source.page(cursor, page_size)
            check_page(source.partner, cursor, page)
        except ConnectorError as exc:
            if not exc.retryable:
                await asyncio.to_thread(
                    _notify_once, db, fence, source.connector, exc.message, exc.message
                )
            raise
        except Exception as exc:
            # A page that could not even be read cannot be taken entry by entry.
            refused = FeedRefused(
                f"{source.partner}'s feed after cursor {shown(cursor)} could not be read "
                f"({type(exc).__name__}: {first_line(str(exc))}): nothing of it was applied"
            )
            await asyncio.to_thread(
                _notify_once, db, fence, source.connector, refused.message, refused.message
            )
            raise refused from None
        if not page.entries:
            break
        takens, failure = await _take(source, page.entries)
        position = parse_cursor(cursor) if cursor is not None else None
        for entry in page.entries:
            if failure is not None and entry.seq == failure[0]:
                break  # the cursor stays before the entry that failed for now
            position = entry.seq
        works = [source.work(t) for t in takens]
        fetched = [w for w, t in zip(works, takens, strict=True) if t.record is not None]
        await source.prepare(fetched)
        bad = [t.bad for t in takens if t.bad]
        now = utcnow()
        result, set_aside = await asyncio.to_thread(
            store, db, source, fence, position, works, bad, now
        )
        untrusted = next(((t.entry.key, t.untrusted) for t in takens if t.untrusted), None)
        if untrusted is not None:
            key, at = untrusted
            prefix = f"{source.partner} dates its changes at times that cannot be"
            text = (
                f"{prefix} ({source.noun} {_shown_key(key)} at "
                f"{at.isoformat()}): posync takes each as the time it fetched "
                f"the {source.noun}. Check the partner's clock"
            )
            await asyncio.to_thread(_notify_once, db, fence, source.connector, text, prefix)
        run.results.append(result)
        run.entries += sum(1 for e in page.entries if position is not None and e.seq <= position)
        run.quarantined += set_aside
        cursor = None if position is None else str(position)
        run.cursor = cursor
        if failure is not None:
            raise failure[1]
        if len(page.entries) < page_size:
            break
    return run


async def _take(
    source: Source, entries: list[Entry]
) -> tuple[list[Taken], tuple[int, ConnectorError] | None]:
    """Fetch each record once; stop at the first entry whose record could not be fetched for a
    transient reason (it and the entries after it are left for the next poll: its seq and the
    error are returned)."""
    wanted = list(dict.fromkeys(e.key for e in entries))
    gate = asyncio.Semaphore(FETCHES_AT_ONCE)

    async def fetch(key: str) -> tuple[Any, datetime, Exception | None]:
        async with gate:
            try:
                record = await source.fetch(key)
                return record, utcnow(), None
            except Exception as exc:  # any partner data, however it breaks: quarantined below
                return None, utcnow(), exc

    answers = dict(zip(wanted, await asyncio.gather(*map(fetch, wanted)), strict=True))
    takens: dict[str, Taken] = {}
    for entry in entries:
        record, fetched_at, exc = answers[entry.key]
        if isinstance(exc, ConnectorError) and exc.retryable:
            stopped = takens.setdefault(entry.key, Taken(entry))
            stopped.error, stopped.transient = exc.message, True
            stopped.notified_at = _latest(stopped.notified_at, _trusted(source, entry, fetched_at))
            return list(takens.values()), (entry.seq, exc)
        taken = takens.get(entry.key)
        if taken is None:
            taken = takens[entry.key] = Taken(entry)
            if exc is not None:
                _quarantine_taken(taken, Bad.of(entry, stage_of(exc), exc))
            else:
                taken.record, taken.fetched_at = record, fetched_at
        notified = _trusted(source, entry, fetched_at)
        taken.notified_at = _latest(taken.notified_at, notified)
        if _impossible(entry.notified_at, fetched_at):
            taken.untrusted = taken.untrusted or entry.notified_at
    return list(takens.values()), None


def stage_of(exc: Exception) -> str:
    """Where a fetch failed: reading the partner's answer ("parse") or getting it ("fetch")."""
    parsing = (MalformedResponse, ValueError, ArithmeticError, RecursionError)
    return "parse" if isinstance(exc, parsing) or getattr(exc, "where", None) else "fetch"


def _quarantine_taken(taken: Taken, bad: Bad) -> None:
    taken.bad, taken.error = bad, bad.message


def _trusted(source: Source, entry: Entry, fetched_at: datetime) -> datetime | None:
    """The entry's notification time, taken as the fetch's when it is later than the fetch
    or before EARLIEST."""
    stamp = entry.notified_at
    if stamp is None:
        return None
    if _impossible(stamp, fetched_at):
        return fetched_at
    return min(stamp, fetched_at)


def _impossible(stamp: datetime | None, fetched_at: datetime) -> bool:
    return stamp is not None and (stamp > fetched_at + SKEW or stamp < EARLIEST)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return a if b is None else b if a is None else max(a, b)


# --- the transaction -------------------------------------------------------------------------


def store(
    db: Database,
    source: Source,
    fence: Fence,
    position: int | None,
    works: list,
    bad: list[Bad],
    now: datetime,
) -> tuple[Any, int]:
    """Apply the works, quarantine the bad entries and store the cursor, in one transaction
    under the lease. A work that fails to apply is quarantined (stage "apply") and the others
    are applied without it. Returns ``write``'s result and how many entries were quarantined."""
    try:
        return _store(db, source, fence, position, works, bad, now), len(bad)
    except (*SYSTEMIC, LeaseLost):
        raise  # the database itself is unwell, or another process polls now
    except Exception:
        # Works may fail only together (two copies of one record in a page): then in order.
        failing = _failing_alone(db, source, works, now) or _failing_in_order(
            db, source, works, now
        )
        if not failing:
            raise
        bad = list(bad)
        kept = []
        for work in works:
            exc = failing.get(id(work))
            if exc is None:
                kept.append(work)
                continue
            taken = source.taken(work)
            message = f"{type(exc).__name__}: {first_line(str(exc))}"
            if taken is not None:
                raw = json.dumps(_plain(taken.record), default=str) if taken.record else None
                bad.append(Bad.of(taken.entry, "apply", exc, raw))
            kept.append(source.refused(work, message))
        return _store(db, source, fence, position, kept, bad, now), len(bad)


def _store(db, source: Source, fence: Fence, position, works, bad, now) -> Any:
    with db.session() as session:
        fence.check(session)
        result = source.write(session, works, now) if works else None
        for item in bad:
            _quarantine(session, source, item, now)
        if position is not None:
            state = session.get(ConnectorState, source.connector)
            if state is None:
                state = ConnectorState(name=source.connector)
                session.add(state)
            state.cursor = str(position)
        note_change(session, "connector")
        if bad:
            note_change(session, "notification")
        return result


class _TryOnly(Exception):
    pass


def _failing_alone(db: Database, source: Source, works: list, now) -> dict[int, Exception]:
    """Each work that fails when applied alone (every try rolled back), by ``id``."""
    failing: dict[int, Exception] = {}
    for work in works:
        try:
            with db.session() as session:
                source.write(session, [work], now)
                raise _TryOnly
        except _TryOnly:
            continue
        except SYSTEMIC:
            raise
        except Exception as exc:
            failing[id(work)] = exc
    return failing


def _failing_in_order(db: Database, source: Source, works: list, now) -> dict[int, Exception]:
    """Each work that fails when applied after the ones before it that pass (rolled back)."""
    failing: dict[int, Exception] = {}
    passed: list = []
    for work in works:
        try:
            with db.session() as session:
                source.write(session, [*passed, work], now)
                raise _TryOnly
        except _TryOnly:
            passed.append(work)
        except SYSTEMIC:
            raise
        except Exception as exc:
            failing[id(work)] = exc
    return failing


def _quarantine(session: Session, source: Source, bad: Bad, now: datetime) -> None:
    entry = bad.entry
    row = QuarantinedEntry(
        created_at=now,
        connector=source.connector,
        entry_key=entry.key[:200],
        seq=entry.seq,
        notified_at=entry.notified_at
        if entry.notified_at and entry.notified_at >= EARLIEST
        else None,
        raw=storable(bad.raw),
        error=bad.error[:80],
        stage=bad.stage,
        field_path=bad.field_path and bad.field_path[:200],
        message=storable(bad.message),
    )
    session.add(row)
    session.flush()
    where = f" at {bad.field_path}" if bad.field_path else ""
    text = (
        f"{source.partner} sent bad data for {source.noun} {_shown_key(entry.key)} "
        f"(feed entry {entry.seq}): {bad.stage} failed{where}: {bad.message} ({bad.error}). "
        f"Set aside; the feed goes on. After a fix, t re-processes it"
    )
    vendor_id, po_id = source.owner(session, entry.key)
    session.add(
        SyncNotification(
            created_at=now,
            kind=NotificationKind.BAD_DATA,
            vendor_id=vendor_id,
            po_id=po_id,
            message=storable(text),
            payload=json.dumps({"quarantine_id": row.id}),
        )
    )
    log.warning(
        "%s: quarantined %s %s (entry %s): %s at %s%s: %s",
        source.connector,
        source.noun,
        _shown_key(entry.key),
        entry.seq,
        bad.error,
        bad.stage,
        where,
        bad.message[:300],
    )


def _notify_once(db: Database, fence: Fence, connector: str, message: str, same: str) -> None:
    """A syncing notification (a page refused, times not trusted), and one log line; not again
    while one starting with ``same`` is unreviewed: a partner that keeps doing it is told once."""
    log.warning("%s: %s", connector, message[:300])
    with db.session() as session:
        fence.check(session)
        seen = session.execute(
            select(col(SyncNotification.id)).where(
                col(SyncNotification.kind) == NotificationKind.SYNC_ERROR.value,
                col(SyncNotification.reviewed).is_(False),
                col(SyncNotification.message).startswith(same, autoescape=True),
            )
        ).first()
        if seen is None:
            session.add(SyncNotification(kind=NotificationKind.SYNC_ERROR, message=message))
            note_change(session, "notification")


# --- text ------------------------------------------------------------------------------------


def first_line(text: str) -> str:
    """The first line of a message, at most 500 characters: one log line, one notification."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= 500 else first[:500] + "…"


def _shown_key(key: str) -> str:
    return repr(key) if not key.isprintable() or len(key) > 40 else key


@overload
def storable(text: str) -> str: ...
@overload
def storable(text: str | None) -> str | None: ...
def storable(text: str | None) -> str | None:
    """Text any database keeps as it is: PostgreSQL refuses NUL and unpaired surrogates."""
    if text is None:
        return None
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


def _plain(record: Any) -> Any:
    from dataclasses import asdict, is_dataclass

    return asdict(record) if is_dataclass(record) and not isinstance(record, type) else record
