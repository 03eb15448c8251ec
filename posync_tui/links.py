"""Which partner record each posync record is: one ``PartnerLink`` per record and connector.

A partner's delivery adapter calls ``link`` from its success path, inside the transaction that
settles the messages (``Recorder.changed``, called once for the messages the engine or an
operator's "mark done" settled), so that a record is linked exactly when its message is sent.
Screens and rules read it with ``link_of`` / ``links_of``, and the paged queues join or filter
on it in SQL (``linked``), walking its indexes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy.orm import Session
from sqlmodel import col, select

from posync_tui.models import PartnerLink, utcnow

LINK = PartnerLink.__table__.c
_CHUNK = 500  # ids per IN (...) list


class Made(NamedTuple):
    """What the partner made of one record."""

    record_id: int
    partner_kind: str  # the partner's own word, e.g. "Bill"
    partner_id: str
    doc_number: str | None = None


def link(
    session: Session,
    connector: str,
    record_kind: str,
    made: Iterable[Made],
    *,
    at: datetime | None = None,
) -> None:
    """Link each record to what the partner made of it: a new link, or the one it had, updated.

    One query for all of them; the new links join the session's unit of work, so that a batch
    of deliveries writes them in one statement with the rest at its commit.
    """
    made = list(made)
    at = at or utcnow()
    found = links_of(session, connector, record_kind, [m.record_id for m in made])
    for m in made:
        row = found.get(m.record_id)
        if row is None:
            row = PartnerLink(
                connector=connector,
                record_kind=record_kind,
                record_id=m.record_id,
                partner_kind=m.partner_kind,
                partner_id=m.partner_id,
                synced_at=at,
            )
            session.add(row)
            found[m.record_id] = row
        row.partner_kind, row.partner_id = m.partner_kind, m.partner_id
        row.doc_number, row.synced_at = m.doc_number or None, at


def link_of(
    session: Session, connector: str, record_kind: str, record_id: int
) -> PartnerLink | None:
    return session.scalars(
        select(PartnerLink).where(
            col(PartnerLink.connector) == connector,
            col(PartnerLink.record_kind) == record_kind,
            col(PartnerLink.record_id) == record_id,
        )
    ).first()


def links_of(
    session: Session, connector: str, record_kind: str, record_ids: Iterable[int]
) -> dict[int, PartnerLink]:
    """The links of these records, by record id (a query per 500 ids)."""
    ids = list(dict.fromkeys(record_ids))
    found: dict[int, PartnerLink] = {}
    for start in range(0, len(ids), _CHUNK):
        query = select(PartnerLink).where(
            col(PartnerLink.connector) == connector,
            col(PartnerLink.record_kind) == record_kind,
            col(PartnerLink.record_id).in_(ids[start : start + _CHUNK]),
        )
        found.update((row.record_id, row) for row in session.scalars(query))
    return found


def linked(connector: str, record_kind: str, partner_kind: str | None = None):
    """The ids of the records linked at ``connector`` (made as ``partner_kind``, if given), as
    a subquery for a queue's SQL condition."""
    query = select(LINK.record_id).where(
        LINK.connector == connector, LINK.record_kind == record_kind
    )
    return query.where(LINK.partner_kind == partner_kind) if partner_kind is not None else query
