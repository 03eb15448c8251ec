"""New Batch: Import/Create stages every eligible customer order line modified after Last
Modified (Ovotrack seed, "Creating a Batch in CONNECT"); the batch list with counts per stage.

A line is staged on one open batch at a time: the database holds it (``open_line_id`` is
unique), so two consoles importing at once stage each line once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import col

from posync_tui.db import Database
from posync_tui.events import note_change
from posync_tui.models import (
    LineStage,
    OutboxMessage,
    OutboxStatus,
    SalesOrderLine,
    WarehouseBatch,
    WarehouseBatchLine,
    WarehouseCommitMessage,
    saved_id,
    utcnow,
)
from posync_tui.services.warehouse_rules import (
    CONNECTOR,
    SEND,
    LineFacts,
    facts_query,
    failure,
    to_facts,
)

Progress = Callable[[int, int], None]
BATCH = "warehouse_batch"  # the change kind of batches and their lines
LINE = WarehouseBatchLine.__table__
MESSAGE = WarehouseCommitMessage.__table__
CHUNK = 2000  # rows per INSERT

_DATE = re.compile(
    r"^\s*(?:(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"|(?P<m2>\d{1,2})/(?P<d2>\d{1,2})(?:/(?P<y2>\d{2}|\d{4}))?)"
    r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2}))?\s*$"
)


def label(batch_id: int) -> str:
    return f"Batch {batch_id}"


def parse_last_modified(text: str, *, now: datetime | None = None) -> datetime:
    """Last Modified as typed (local time: "2026-07-31", "7/31", "7/31/2026 14:00"), in UTC.

    ValueError, in words for the field, when it is not a date or is in the future. A date
    without a year is this year's.
    """
    now = now or utcnow()
    match = _DATE.match(text or "")
    if match is None:
        raise ValueError(
            "Last Modified must be a date, and a time if you like: 2026-07-31, 7/31, "
            "7/31/2026 14:00"
        )
    parts = match.groupdict()
    local_now = now.astimezone()
    year = parts["y"] or parts["y2"]
    year_no = int(year) if year else local_now.year
    if year is not None and len(year) == 2:
        year_no += 2000
    try:  # the local time of year 1 or 9999 may not exist in UTC
        when = datetime(
            year_no,
            int(parts["m"] or parts["m2"]),
            int(parts["d"] or parts["d2"]),
            int(parts["H"] or 0),
            int(parts["M"] or 0),
        ).astimezone()  # the operator's local time zone
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"Last Modified is not a date: {exc}") from None
    if when > now:
        raise ValueError("Last Modified is in the future: no line was modified after it")
    return when.astimezone(now.tzinfo)


@dataclass(frozen=True)
class Missed:
    """Eligible lines last modified at or before Last Modified: Import/Create would miss them."""

    count: int
    earliest: datetime
    suggested: datetime  # the day before the earliest, at midnight local time

    @property
    def message(self) -> str:
        day = self.earliest.astimezone().strftime("%Y-%m-%d %H:%M")
        return (
            f"{self.count:,} eligible order line{'s' if self.count != 1 else ''} last modified "
            f"on or before this date will be missed (the earliest on {day}). Set Last "
            f"Modified before it, e.g. {self.suggested.astimezone():%Y-%m-%d}."
        )


def missed(db: Database, last_modified: datetime) -> Missed | None:
    """The seed's advice (created on 8/1? set 7/31): lines that an import at ``last_modified``
    would leave out although they are eligible and on no open batch."""
    query = _waiting().where(col(SalesOrderLine.updated_at) <= last_modified)
    with db.reader() as s:
        eligible = [f for f in map(to_facts, s.execute(query)) if failure(f) is None]
    if not eligible:
        return None
    earliest = min(f.updated_at for f in eligible)
    local = earliest.astimezone()
    suggested = local.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    return Missed(len(eligible), earliest, suggested.astimezone(earliest.tzinfo))


@dataclass(frozen=True)
class NotStaged:
    """A line marked Send and modified after Last Modified that a rule keeps out."""

    line_id: int
    order_no: str
    line_no: int
    rule: str
    message: str


@dataclass
class ImportResult:
    batch_id: int | None  # None: no line to stage, no batch made
    staged: int = 0
    not_staged: list[NotStaged] = field(default_factory=list)

    @property
    def summary(self) -> str:
        if self.batch_id is None:
            words = "No eligible order line was modified after Last Modified"
        else:
            words = f"{label(self.batch_id)}: {self.staged:,} line(s) staged"
        if self.not_staged:
            words += f"; {len(self.not_staged):,} not eligible (see why on each)"
        return words


def import_batch(
    db: Database, last_modified: datetime, *, progress: Progress | None = None
) -> ImportResult:
    """Import/Create Batch: stage every eligible line modified after ``last_modified``."""
    query = _waiting().where(col(SalesOrderLine.updated_at) > last_modified)
    with db.reader() as s:
        facts = [to_facts(row) for row in s.execute(query)]
    eligible: list[LineFacts] = []
    not_staged = []
    for f in facts:
        why = failure(f)
        if why is None:
            eligible.append(f)
        else:
            not_staged.append(NotStaged(f.line_id, f.order_no, f.line_no, why.rule, why.message))
    if not eligible:
        return ImportResult(None, 0, not_staged)
    with db.session() as s:
        batch = WarehouseBatch(last_modified=last_modified)
        s.add(batch)
        s.flush()
        batch_id = saved_id(batch)
        stage_lines(s, batch_id, eligible, progress=progress)
        staged = _count(s, batch_id)
        if staged == 0:  # another console staged them all meanwhile
            s.delete(batch)
            return ImportResult(None, 0, not_staged)
        note_change(s, BATCH, [batch_id])
    return ImportResult(batch_id, staged, not_staged)


def stage_lines(
    s: Session, batch_id: int, lines: Sequence[LineFacts], *, progress: Progress | None = None
) -> None:
    """Insert a staged batch line for each order line not already on an open batch."""
    insert_ = sqlite.insert if s.get_bind().dialect.name == "sqlite" else postgresql.insert
    now = utcnow()
    statement = (
        insert_(LINE)
        .values(batch_id=batch_id, stage=LineStage.STAGED, updated_at=now)
        .on_conflict_do_nothing(index_elements=["open_line_id"])
    )
    for at in range(0, len(lines), CHUNK):
        rows = [
            {
                "sales_order_line_id": f.line_id,
                "open_line_id": f.line_id,
                "quantity": f.quantity,
                "picked": False,
                "completed": False,
                "send_no": 1,
            }
            for f in lines[at : at + CHUNK]
        ]
        s.execute(statement, rows)
        if progress is not None:
            progress(min(at + CHUNK, len(lines)), len(lines))


def _waiting():
    """Lines marked Send that are on no open batch."""
    return facts_query().where(
        col(SalesOrderLine.warehouse_interface_status) == SEND,
        col(SalesOrderLine.id).not_in(select(LINE.c.open_line_id).where(LINE.c.open_line_id > 0)),
    )


def _count(s: Session, batch_id: int) -> int:
    return s.execute(select(func.count()).where(LINE.c.batch_id == batch_id)).scalar_one()


# --- the batch list ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchSummary:
    id: int
    last_modified: datetime
    created_at: datetime
    counts: dict[LineStage, int]  # lines per stage, every stage present
    messages: int  # commit messages

    @property
    def label(self) -> str:
        return label(self.id)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def batches(db: Database, batch_ids: Sequence[int] | None = None) -> list[BatchSummary]:
    """Every batch (or these), newest first, with its lines counted per stage."""
    table = WarehouseBatch.__table__
    query = select(table.c.id, table.c.last_modified, table.c.created_at).order_by(
        table.c.id.desc()
    )
    if batch_ids is not None:
        query = query.where(table.c.id.in_(list(batch_ids)))
    with db.reader() as s:
        rows = s.execute(query).all()
        ids = [r.id for r in rows]
        counts = _counts(s, ids)
        messages = dict(
            s.execute(
                select(MESSAGE.c.batch_id, func.count())
                .where(MESSAGE.c.batch_id.in_(ids))
                .group_by(MESSAGE.c.batch_id)
            ).all()
        )
    return [
        BatchSummary(r.id, r.last_modified, r.created_at, counts[r.id], messages.get(r.id, 0))
        for r in rows
    ]


def stage_counts(db: Database, batch_id: int) -> dict[LineStage, int]:
    """How many lines of the batch are at each stage (for a confirmation naming them)."""
    with db.reader() as s:
        return _counts(s, [batch_id])[batch_id]


def _counts(s: Session, batch_ids: Sequence[int]) -> dict[int, dict[LineStage, int]]:
    counts = {i: {stage: 0 for stage in LineStage} for i in batch_ids}
    for start in range(0, len(batch_ids), 500):
        chunk = list(batch_ids[start : start + 500])
        query = (
            select(LINE.c.batch_id, LINE.c.stage, func.count())
            .where(LINE.c.batch_id.in_(chunk))
            .group_by(LINE.c.batch_id, LINE.c.stage)
        )
        for batch_id, stage, n in s.execute(query):
            counts[batch_id][LineStage(stage)] = n
    return counts


def add_messages(
    s: Session, batch_id: int, stage: str, messages: Iterable[tuple[int | None, str]]
) -> int:
    """Write commit messages (batch line id, words) for a stage; how many."""
    rows = [{"batch_line_id": line_id, "message": text} for line_id, text in messages]
    if rows:
        s.execute(insert(MESSAGE).values(batch_id=batch_id, stage=stage, at=utcnow()), rows)
    return len(rows)


def lines_at(
    s: Session, batch_id: int, stages: Sequence[LineStage], line_ids: Sequence[int] | None
) -> list[int]:
    """The ids of the batch's lines at these stages (of ``line_ids``, the marked ones, if
    given), in order."""
    query = select(LINE.c.id).where(LINE.c.batch_id == batch_id, LINE.c.stage.in_(stages))
    if line_ids is not None:
        query = query.where(LINE.c.id.in_(list(line_ids)))
    return list(s.execute(query.order_by(LINE.c.id)).scalars())


def queue_counts(db: Database) -> tuple[int, int]:
    """Lines on their way to Ovotrack, and lines that need the operator (failed, or waiting for
    a decision), for the title bar."""
    outbox = OutboxMessage.__table__
    with db.reader() as s:
        by_status = dict(
            s.execute(
                select(outbox.c.status, func.count())
                .where(
                    outbox.c.connector == CONNECTOR,
                    outbox.c.status.in_(
                        [OutboxStatus.PENDING, OutboxStatus.CLAIMED, OutboxStatus.DECISION]
                    ),
                )
                .group_by(outbox.c.status)
            ).all()
        )
        failed = s.execute(
            select(func.count()).where(LINE.c.stage == LineStage.FAILED)
        ).scalar_one()
    waiting = by_status.get(OutboxStatus.PENDING, 0) + by_status.get(OutboxStatus.CLAIMED, 0)
    return waiting, failed + by_status.get(OutboxStatus.DECISION, 0)
