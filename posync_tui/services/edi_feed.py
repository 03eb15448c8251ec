"""The EDI hub's inbox as a ``feed.Source``: each entry is one inbound interchange.

A page of the inbox comes with its interchanges' text (one round trip; a document the hub lists
without it is downloaded on its own), is parsed in a worker process (the console's loop shares
its process with the apply only) and is applied in one transaction, with what its interchanges
refer to read once for the page (``edi_match.Known``); the next page is read meanwhile. Each
interchange is taken on its own all the same: one that cannot be read (bad UNA, missing UNT,
wrong segment count, a non-numeric quantity…) or does not fit posync's records (unknown PO or
line) is set aside by the feed (quarantined with its raw text, error and segment) and kept in
the document log as failed; nothing of it is applied and the next one still processes.

Exactly once: an interchange's log row is written in the same transaction as the cursor past
it, and the hub's id of an inbound one has one row for ever (a unique index): an interchange
the hub lists again is kept as it was, never applied or set aside a second time. Only then is
it acknowledged at the hub, and ``acked_at`` is written once the hub has answered. A row
without it is an interchange stored but not acknowledged (the process killed, the hub refusing
or its answer lost): every poll acknowledges those first, while it lists the inbox, and again
when it ends. Nothing is acknowledged that is not stored.

Re-processing (after a fix in posync, e.g. a PO number corrected) reads the interchange kept in
the document log, not the hub: the hub need not offer an acknowledged one again.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import cast

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlmodel import Session as ModelSession
from sqlmodel import col, select

from connectors.edi_hub import (
    ACKS_AT_ONCE,
    PARTNER,
    EdiHubClient,
    InboundDocument,
    InboxPage,
    UnknownDocuments,
    parse_listed,
)
from connectors.edifact import CONFIRMED, EdifactError, Interchange, parse
from posync_tui.db import Database
from posync_tui.events import note_change
from posync_tui.feed import Entry, Page, Taken
from posync_tui.leases import Fence
from posync_tui.models import Direction, EdiDocument, utcnow
from posync_tui.services.edi_apply import apply_interchange, log_failure, open_documents
from posync_tui.services.edi_match import Known

CONNECTOR = "edi_hub"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fetched:
    raw: str
    interchange: Interchange


@dataclass(frozen=True)
class Work:
    taken: Taken
    error: str | None = None  # set aside: why
    position: str | None = None  # and where, e.g. "segment 7 (QTY)"


@dataclass
class Applied:
    documents: int = 0
    failed: int = 0
    again: int = 0  # listed again, taken before: kept as they were
    po_ids: set[int] = field(default_factory=set)


def _parsed(raw: str, confirmed: tuple[str, ...]) -> Fetched:
    try:
        return Fetched(raw, parse(raw, confirmed))
    except EdifactError as exc:
        exc.raw = exc.raw or raw
        raise


def _parser() -> ProcessPoolExecutor:
    """The process that parses inbox pages (started when first needed, one per console)."""
    global _PARSER
    if _PARSER is None:
        _PARSER = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    return _PARSER


_PARSER: ProcessPoolExecutor | None = None

Ahead = tuple[tuple[str | None, int], "asyncio.Future[tuple[InboxPage, dict[str, Fetched]]]"]


def _drop(ahead: Ahead | None) -> None:
    if ahead is None:
        return
    future = ahead[1]
    if future.done() and not future.cancelled():
        future.exception()  # a failure of a page not asked for: asked for again, it says so
    future.cancel()


class EdiFeed:
    """One poll's (or one re-process's) view of the hub's inbox; ``feed.poll`` drives it."""

    connector = CONNECTOR
    partner = PARTNER
    noun = "interchange"

    def __init__(
        self,
        db: Database,
        hub: EdiHubClient | None,
        confirmed: tuple[str, ...] = CONFIRMED,
        fence: Fence | None = None,
    ):
        self.db, self.hub, self.fence = db, hub, fence  # no hub: a re-process
        self.confirmed = confirmed  # the QTY qualifiers of a confirmed quantity ([edi] settings)
        self.listed: dict[str, InboundDocument] = {}  # what the hub said of each, by hub id
        self.read: dict[str, Fetched] = {}  # the page's text parsed, by hub id
        self.ahead: Ahead | None = None  # the next page, being read while this one applies

    async def page(self, cursor: str | None, limit: int) -> Page:
        assert self.hub is not None  # a re-process reads the document log
        ahead, self.ahead = self.ahead, None
        if ahead is not None and ahead[0] == (cursor, limit):
            reading = ahead[1]
        else:
            _drop(ahead)
            reading = asyncio.ensure_future(self._read(self.hub, cursor, limit))
        # What is stored and not yet acknowledged is acknowledged while the page is listed.
        (page, read), _ = await asyncio.gather(reading, self.acknowledge())
        self.listed.update((d.id, d) for d in page.documents)
        self.read.update(read)
        if len(page.documents) == limit and page.next_cursor is not None:
            # More may follow: the next page is listed and parsed while this one applies.
            after = (page.next_cursor, limit)
            self.ahead = (after, asyncio.ensure_future(self._read(self.hub, *after)))
        return Page([Entry(d.seq, d.id, d.received_at) for d in page.documents], page.next_cursor)

    async def _read(
        self, hub: EdiHubClient, cursor: str | None, limit: int
    ) -> tuple[InboxPage, dict[str, Fetched]]:
        """A page of the inbox with its interchanges' text, parsed in another process: the
        console's loop shares its own process (and its GIL) with the applying only."""
        page = await hub.inbox(cursor, limit, content=True)
        if not any(d.content is not None for d in page.documents):
            return page, {}  # nothing to parse: no process started for an empty inbox
        read = await asyncio.get_running_loop().run_in_executor(
            _parser(), parse_listed, page.documents, self.confirmed
        )
        return page, {key: Fetched(*parsed) for key, parsed in read.items()}

    def close(self) -> None:
        """Drop the page read ahead that the poll did not ask for."""
        _drop(self.ahead)
        self.ahead = None

    async def acknowledge(self) -> None:
        """Tell the hub about every interchange stored and not yet acknowledged (the durable
        mark: ``acked_at`` empty), oldest first; mark each once the hub has answered."""
        if self.hub is None:
            return
        while pending := await asyncio.to_thread(unacknowledged, self.db, ACKS_AT_ONCE):
            try:
                await self.hub.acknowledge(pending)
            except UnknownDocuments as exc:
                # The hub holds them no more: nothing is left to acknowledge of those. The
                # others of the call were not acknowledged: they are, next time round.
                gone = [i for i in pending if i in set(exc.ids)]
                if not gone:
                    raise
                log.warning("%s: %s; not acknowledged again", CONNECTOR, exc.message[:300])
                pending = gone
            await asyncio.to_thread(acknowledged, self.db, self.fence, pending)
            for document_id in pending:
                self.listed.pop(document_id, None)

    async def fetch(self, key: str) -> Fetched:
        read = self.read.pop(key, None)
        if read is not None:
            return read
        raw = await self.hub.text(self.listed[key]) if self.hub is not None else self._kept(key)
        # Parsed in a thread: a kilobyte of EDIFACT takes milliseconds the console needs.
        return await asyncio.to_thread(_parsed, raw, self.confirmed)

    def _kept(self, key: str) -> str:
        with self.db.reader() as s:
            document = s.exec(
                select(EdiDocument).where(
                    EdiDocument.direction == Direction.IN, EdiDocument.hub_id == key
                )
            ).first()
        if document is None:
            raise LookupError(f"Interchange {key} is not in the document log")
        return document.raw

    def owner(self, session: Session, key: str) -> tuple[int | None, int | None]:
        found = session.execute(
            select(EdiDocument.vendor_id, EdiDocument.po_id).where(EdiDocument.hub_id == key)
        ).first()
        return (found[0], found[1]) if found else (None, None)

    def work(self, taken: Taken) -> Work:
        if taken.bad is not None:
            return Work(taken, taken.bad.message, taken.bad.field_path)
        if taken.record is None:
            return Work(taken, taken.error or "not fetched")
        return Work(taken)

    async def prepare(self, works: list[Work]) -> None:
        return None

    def write(self, session: Session, works: list[Work], now: datetime) -> Applied:
        s = cast(ModelSession, session)  # what Database.session() makes
        applied = Applied()
        # What the page's interchanges refer to, read in a few queries for all of them, and
        # their log rows made in one statement (and filled in in another, by ``known.write``).
        kept = [w.taken for w in works if not w.taken.transient]
        known = Known(
            s,
            [t.record.interchange for t in kept if t.record is not None],
            [t.entry.key for t in kept],
        )
        open_documents(s, known, [t.entry.key for t in kept])
        for work in works:
            taken = work.taken
            if work.taken.transient:
                continue  # fetched again by the next poll
            if self.hub is not None and known.documents[taken.entry.key].taken:
                applied.again += 1  # listed again: applied or set aside once, kept so
                continue
            fetched: Fetched | None = taken.record
            if work.error is None and fetched is not None:
                document = apply_interchange(
                    s, fetched.interchange, fetched.raw, taken.entry.key, now, known
                )
                applied.documents += 1
                if document.po_id is not None:
                    applied.po_ids.add(document.po_id)
                continue
            raw = fetched.raw if fetched else (taken.bad.raw if taken.bad else None)
            document = log_failure(
                s,
                raw or "",
                taken.entry.key,
                work.error or "not taken in",
                work.position,
                now,
                fetched.interchange if fetched else None,
                known,
            )
            listed = self.listed.get(taken.entry.key)
            if fetched is None and listed is not None:  # unreadable: as the hub listed it
                document.values |= {
                    "message_type": listed.type[:10],
                    "sender": listed.sender[:35],
                    "control_ref": listed.control_ref[:14],
                }
            applied.failed += 1
        known.write(now)
        if applied.po_ids:
            note_change(session, "purchase_order", sorted(applied.po_ids))
        note_change(session, "edi_document")
        return applied

    def taken(self, work: Work) -> Taken | None:
        return work.taken

    def refused(self, work: Work, message: str) -> Work:
        return replace(work, error=message)


def unacknowledged(db: Database, limit: int) -> list[str]:
    """The hub ids of stored inbound interchanges not yet acknowledged at the hub, oldest
    first (the partial index ``ix_edi_document_unacked`` holds only those)."""
    with db.reader() as s:
        return [
            hub_id
            for hub_id in s.exec(
                select(EdiDocument.hub_id)
                .where(
                    EdiDocument.direction == Direction.IN,
                    col(EdiDocument.hub_id).is_not(None),
                    col(EdiDocument.acked_at).is_(None),
                )
                .order_by(col(EdiDocument.id))
                .limit(limit)
            )
            if hub_id is not None
        ]


def acknowledged(db: Database, fence: Fence | None, hub_ids: list[str]) -> None:
    """Mark these inbound interchanges acknowledged at the hub (under the poll's lease)."""
    with db.session() as s:
        if fence is not None:
            fence.check(s)
        s.execute(
            update(EdiDocument)
            .where(
                col(EdiDocument.direction) == Direction.IN,
                col(EdiDocument.hub_id).in_(hub_ids),
                col(EdiDocument.acked_at).is_(None),
            )
            .values(acked_at=utcnow())
        )
