"""Entries of a partner's inbound feed that could not be taken in: kept whole until re-processed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Text
from sqlmodel import Field

from posync_tui.models.core import TableModel, timestamp


class QuarantinedEntry(TableModel, table=True):
    """One feed entry that could not be fetched, parsed or applied; the feed moved past it."""

    __tablename__ = "feed_quarantine"
    __table_args__ = (Index("ix_quarantine_open", "connector", "reprocessed_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = timestamp(default_now=True)
    connector: str = Field(max_length=30)
    entry_key: str = Field(max_length=200)  # the partner's id of the record, e.g. an order no.
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    notified_at: datetime | None = timestamp()
    # The partner's whole answer, when the connector kept it; as received, however long.
    raw: str | None = Field(default=None, sa_column=Column(Text))
    error: str = Field(max_length=80)  # its type: the exception's class name
    stage: str = Field(max_length=10)  # "fetch", "parse" or "apply"
    field_path: str | None = Field(default=None, max_length=200)  # where in the body, if known
    message: str = Field(sa_column=Column(Text, nullable=False))
    reprocessed_at: datetime | None = timestamp()
