"""Re-processing a quarantined feed entry: fetch the partner's record again and apply it.

After the partner fixed its data, the operator takes the entry again (the "bad partner data"
notification's key), through the ``reprocess`` of the partner whose feed it came from; the
cursor does not move. Still bad, the quarantined row says what failed
this time. Not done under the poll's lease: like a refresh, it is the operator's own action.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from connectors.base import ConnectorError
from posync_tui import partners
from posync_tui.db import Database
from posync_tui.events import note_change
from posync_tui.feed import SYSTEMIC, Bad, Entry, Source, Taken, first_line, stage_of, storable
from posync_tui.models import NotificationKind, QuarantinedEntry, SyncNotification, utcnow

if TYPE_CHECKING:
    from posync_tui.runtime import Runtime


def quarantined(db: Database, quarantine_id: int) -> QuarantinedEntry:
    with db.reader() as session:
        row = session.get(QuarantinedEntry, quarantine_id)
        if row is None:
            raise LookupError(f"No quarantined entry with id {quarantine_id}")
        return row


async def reprocess_entry(rt: Runtime, quarantine_id: int) -> str:
    """Re-process a quarantined entry through its partner's declaration (the operator's ``t``).

    What it did in plain words; ValueError says why not, e.g. a partner that cannot re-process."""
    row = await asyncio.to_thread(quarantined, rt.db, quarantine_id)
    try:
        owner = partners.partner(row.connector)
    except KeyError:
        raise ValueError(
            f"Entry {row.entry_key} came from {row.connector}, which is no longer set up: "
            "it cannot be re-processed"
        ) from None
    if owner.reprocess is None:
        raise ValueError(
            f"The {owner.name} connector cannot re-process its entries: entry {row.entry_key} "
            "stays set aside"
        )
    return await owner.reprocess(rt, quarantine_id)


async def reprocess(source: Source, db: Database, quarantine_id: int) -> Any:
    """Fetch a quarantined entry's record again and apply it (the cursor does not move).

    Returns ``write``'s result; raises ValueError, saying why in plain words, when it is still
    bad (the quarantined row then says what failed this time) or was re-processed already."""
    row = await asyncio.to_thread(quarantined, db, quarantine_id)
    if row.reprocessed_at is not None:
        raise ValueError(f"{source.noun.capitalize()} {row.entry_key} was re-processed already")
    entry = Entry(row.seq, row.entry_key, row.notified_at)
    try:
        record = await source.fetch(entry.key)
    except ConnectorError as exc:
        if exc.retryable:
            raise ValueError(f"{source.partner} could not be reached: {exc.message}") from None
        await asyncio.to_thread(_still_bad, db, quarantine_id, Bad.of(entry, stage_of(exc), exc))
        raise ValueError(f"Still bad: {first_line(exc.message)}") from None
    except Exception as exc:  # the partner's data, however it breaks
        await asyncio.to_thread(_still_bad, db, quarantine_id, Bad.of(entry, stage_of(exc), exc))
        raise ValueError(f"Still bad: {type(exc).__name__}: {first_line(str(exc))}") from None
    fetched_at = utcnow()
    work = source.work(Taken(entry, entry.notified_at, record, fetched_at))
    await source.prepare([work])
    return await asyncio.to_thread(_apply_again, db, source, quarantine_id, work, fetched_at)


def _apply_again(db: Database, source: Source, quarantine_id: int, work, now) -> Any:
    try:
        with db.session() as session:
            result = source.write(session, [work], now)
            _resolve(session, quarantine_id, now)
            return result
    except SYSTEMIC:
        raise
    except Exception as exc:
        taken = source.taken(work)
        assert taken is not None  # the work was made from the quarantined feed entry
        _still_bad(db, quarantine_id, Bad.of(taken.entry, "apply", exc))
        raise ValueError(f"Still bad: {type(exc).__name__}: {first_line(str(exc))}") from None


def _resolve(session: Session, quarantine_id: int, now: datetime) -> None:
    row = session.get_one(QuarantinedEntry, quarantine_id)
    row.reprocessed_at = now
    payload = json.dumps({"quarantine_id": quarantine_id})
    for note in session.scalars(
        select(SyncNotification).where(
            col(SyncNotification.kind) == NotificationKind.BAD_DATA.value,
            col(SyncNotification.payload) == payload,
        )
    ):
        note.resolved, note.reviewed, note.reviewed_at = True, True, note.reviewed_at or now
    note_change(session, "notification")


def _still_bad(db: Database, quarantine_id: int, bad: Bad) -> None:
    with db.session() as session:
        row = session.get_one(QuarantinedEntry, quarantine_id)
        row.stage, row.error, row.field_path = bad.stage, bad.error[:80], bad.field_path
        row.message = storable(bad.message)
        if bad.raw is not None:
            row.raw = storable(bad.raw)
