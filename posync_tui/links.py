"""Which partner record each posync record is: one ``PartnerLink`` per record and connector.

A partner's delivery adapter calls ``link`` from its success path (``Recorder.record`` for a
SENT outcome, inside the engine's transaction, and for an operator's "mark done"), so that a
record is linked exactly when its message is sent. Screens and rules read it with ``link_of`` /
``links_of``, and the paged queues join or filter on it in SQL (``linked``), walking its indexes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import inspect
from sqlmodel import Session, col, select

from posync_tui.models import PartnerLink, utcnow

LINK = inspect(PartnerLink).local_table.c
_CHUNK = 500  # ids per IN (...) list


def link(
    session: Session,
    connector: str,
    record_kind: str,
    record_id: int,
    *,
    partner_kind: str,
    partner_id: str,
    doc_number: str | None,
    at: datetime | None = None,
) -> PartnerLink:
    """Link a record to what the partner made of it (a new link, or the one it had, updated)."""
    at, doc_number = at or utcnow(), doc_number or None
    found = link_of(session, connector, record_kind, record_id)
    if found is None:
        found = PartnerLink(
            connector=connector,
            record_kind=record_kind,
            record_id=record_id,
            partner_kind=partner_kind,
            partner_id=partner_id,
            doc_number=doc_number,
            synced_at=at,
        )
        session.add(found)
    else:
        found.partner_kind, found.partner_id = partner_kind, partner_id
        found.doc_number, found.synced_at = doc_number, at
    return found


def link_of(
    session: Session, connector: str, record_kind: str, record_id: int
) -> PartnerLink | None:
    return session.exec(
        select(PartnerLink).where(
            PartnerLink.connector == connector,
            PartnerLink.record_kind == record_kind,
            PartnerLink.record_id == record_id,
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
            PartnerLink.connector == connector,
            PartnerLink.record_kind == record_kind,
            col(PartnerLink.record_id).in_(ids[start : start + _CHUNK]),
        )
        found.update((row.record_id, row) for row in session.exec(query))
    return found


def linked(connector: str, record_kind: str, partner_kind: str | None = None):
    """The ids of the records linked at ``connector`` (made as ``partner_kind``, if given), as
    a subquery for a queue's SQL condition."""
    query = select(LINK.record_id).where(
        LINK.connector == connector, LINK.record_kind == record_kind
    )
    return query.where(LINK.partner_kind == partner_kind) if partner_kind is not None else query
