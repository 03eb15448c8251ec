"""Records of the synchronisation itself: audit, notifications, outbox, change log, connectors."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String
from sqlmodel import Field

from posync_tui.models.core import TableModel, timestamp


class AuditEntry(TableModel, table=True):
    """One field a partner changed: what, from what, to what, when, by which sync."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_record", "record_kind", "record_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = timestamp(default_now=True)
    record_kind: str = Field(max_length=30)
    record_id: int
    po_id: int | None = Field(default=None, index=True)
    field: str = Field(max_length=40)
    old_value: str | None = None
    new_value: str | None = None
    source: str = Field(max_length=40)  # e.g. "supplier-sync", "operator"


class NotificationKind(StrEnum):
    MISSING_ITEM = "missing item"
    LINE_CANCELLED = "line cancelled"
    ITEM_ADDED = "item added from catalog"
    SYNC_ERROR = "sync error"
    UPLOAD_ERROR = "upload error"
    BAD_DATA = "bad partner data"  # a feed entry quarantined


class SyncNotification(TableModel, table=True):
    __tablename__ = "sync_notification"
    __table_args__ = (
        Index("ix_notification_reviewed", "reviewed", "id"),
        # The notifications screen pages newest first.
        Index("ix_notification_created", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = timestamp(default_now=True)
    kind: NotificationKind = Field(sa_type=String(30))
    vendor_id: int | None = Field(default=None, foreign_key="vendor.id", index=True)
    po_id: int | None = Field(default=None, foreign_key="purchase_order.id", index=True)
    po_line_id: int | None = Field(default=None, foreign_key="purchase_order_line.id")
    message: str
    # The partner's own data for the record (JSON), e.g. to prefill a missing product.
    payload: str | None = None
    reviewed: bool = False
    reviewed_at: datetime | None = timestamp()
    resolved: bool = False


class OutboxStatus(StrEnum):
    PENDING = "pending"  # waiting for the deliverer
    CLAIMED = "claimed"  # a deliverer works on it until ``claimed_until``
    SENT = "sent"  # the partner holds it: ``partner_id`` and ``doc_number`` say what it became
    FAILED = "failed"  # the partner refused it: fix the record, then send it anew
    DECISION = "decision"  # it may or may not have reached the partner: an operator decides
    CANCELLED = "cancelled"  # an operator (or a newer message for the record) replaced it


# A message in these states may still reach the partner or needs an operator; one per record.
OPEN_OUTBOX_STATUSES = (OutboxStatus.PENDING, OutboxStatus.CLAIMED, OutboxStatus.DECISION)


class OutboxMessage(TableModel, table=True):
    """Outbound work written in the same transaction as the state change it delivers.

    ``attempts`` counts the times it was handed to the partner: above zero, an answer may have
    been lost, so the next try looks the record up first. ``lookups`` counts the look-ups that
    failed since; after a few the message waits for an operator's decision.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_pending", "connector", "status", "id"),
        # The queue screens ask "which records have an open or failed message".
        Index("ix_outbox_record", "connector", "record_kind", "status", "record_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = timestamp(default_now=True)
    updated_at: datetime = timestamp(default_now=True)
    connector: str = Field(max_length=30)
    kind: str = Field(max_length=40)
    record_kind: str = Field(max_length=30)
    record_id: int
    idempotency_key: str = Field(unique=True, max_length=80)
    payload: str | None = None
    status: OutboxStatus = Field(default=OutboxStatus.PENDING, sa_type=String(10))
    # The claim: which lease holder, in which term of its lease (the fence's generation), until.
    claimed_by: str | None = Field(default=None, max_length=80)
    claim_generation: int | None = None
    claimed_until: datetime | None = timestamp()
    attempts: int = 0
    lookups: int = 0
    error_code: str | None = Field(default=None, max_length=20)
    last_error: str | None = None
    # What the partner made of it, once known.
    partner_id: str | None = Field(default=None, max_length=60)
    doc_number: str | None = Field(default=None, max_length=60)
    sent_at: datetime | None = timestamp()


class PartnerLink(TableModel, table=True):
    """This posync record is that partner record: what a delivery made of it at one partner.

    Written with the message's success, in the same transaction; kept when the record is sent
    again (a re-import replaces the partner's record instead of making a second one).
    """

    __tablename__ = "partner_link"
    __table_args__ = (
        Index("ix_partner_link_record", "connector", "record_kind", "record_id", unique=True),
        # The queue screens ask "which records became a partner's <kind>" (e.g. PurchaseOrder).
        Index("ix_partner_link_kind", "connector", "record_kind", "partner_kind", "record_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    connector: str = Field(max_length=30)
    record_kind: str = Field(max_length=30)
    record_id: int
    partner_kind: str = Field(max_length=30)  # the partner's own word, e.g. "Bill"
    partner_id: str = Field(max_length=60)
    doc_number: str | None = Field(default=None, max_length=60)
    synced_at: datetime = timestamp(default_now=True)


class Installation(TableModel, table=True):
    """This database's random id (one row), part of every idempotency key it sends.

    Two posync databases delivering to one partner account must never be answered with each
    other's records.
    """

    __tablename__ = "installation"

    id: int = Field(default=1, primary_key=True)
    installation_id: str = Field(max_length=32)
    created_at: datetime = timestamp(default_now=True)


class ChangeLogEntry(TableModel, table=True):
    """Committed changes, read by the other processes on the same database."""

    __tablename__ = "change_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = timestamp(default_now=True)
    origin: str = Field(max_length=80)
    kind: str = Field(max_length=30)
    ids: str = ""  # comma-separated record ids; empty means "many or unknown"


class ConnectorState(TableModel, table=True):
    """Health, feed cursor and poll leadership of one connector, shared by all processes."""

    __tablename__ = "connector_state"

    name: str = Field(primary_key=True, max_length=30)
    last_success_at: datetime | None = timestamp()
    last_attempt_at: datetime | None = timestamp()
    next_run_at: datetime | None = timestamp()
    last_error: str | None = None
    consecutive_failures: int = 0
    cursor: str | None = Field(default=None, max_length=200)
    leader: str | None = Field(default=None, max_length=80)
    lease_expires_at: datetime | None = timestamp()
    # Raised at each change of leader: the fencing token of writes made under the lease.
    generation: int = 0
    # What the last successful run did, in plain words (e.g. "3 POs updated").
    summary: str | None = None
