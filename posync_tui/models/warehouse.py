"""Warehouse batch staging with Ovotrack (Ovotrack seed): batches, their lines, commit messages,
and the stock that committed lines are allocated against.

Which customer locations and items exist in Ovotrack is remembered in ``partner_link``
(connector "warehouse"), as every partner's "this record is that partner record" is.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Index, String
from sqlmodel import Field

from posync_tui.models.core import TableModel, money, timestamp


class LineStage(StrEnum):
    STAGED = "staged"  # imported from the ERP: waits to be sent (again, after a change)
    SENT = "sent"  # Ovotrack holds it
    RECEIVED = "received"  # Ovotrack's changes read back: Received Quantity is set
    COMMITTED = "committed"  # written back to the customer order and allocated: final
    FAILED = "failed"  # refused (a rule, or Ovotrack's own checks): see its commit message


STAGES = tuple(LineStage)


class WarehouseBatch(TableModel, table=True):
    __tablename__ = "warehouse_batch"

    id: int | None = Field(default=None, primary_key=True)
    # Import/Create staged the eligible order lines modified after this time.
    last_modified: datetime = timestamp(default_now=True)
    created_at: datetime = timestamp(default_now=True)
    updated_at: datetime = timestamp(default_now=True)


class WarehouseBatchLine(TableModel, table=True):
    """One customer order line staged in a batch, and where it stands with Ovotrack."""

    __tablename__ = "warehouse_batch_line"
    __table_args__ = (
        # The batch list counts lines per stage; the batch screen pages its lines in order.
        Index("ix_wh_line_batch_stage", "batch_id", "stage", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="warehouse_batch.id")
    sales_order_line_id: int = Field(foreign_key="sales_order_line.id", index=True)
    # The order line while this batch line is open (not committed): one open batch line per
    # order line, held by the database even when two consoles import at once.
    open_line_id: int | None = Field(default=None, unique=True)
    stage: LineStage = Field(default=LineStage.STAGED, sa_type=String(10))
    quantity: Decimal = money()
    received_quantity: Decimal | None = money(default=None)
    send_date: datetime | None = timestamp()
    received_date: datetime | None = timestamp()
    commit_date: datetime | None = timestamp()
    picked: bool = False
    completed: bool = False
    # Counts the versions sent: part of the idempotency key, raised after a refusal or a change
    # from the source, so that each version reaches Ovotrack once and a retry never twice.
    send_no: int = 1
    ovotrack_id: str | None = Field(default=None, max_length=60)
    updated_at: datetime = timestamp(default_now=True)


class WarehouseCommitMessage(TableModel, table=True):
    """Why a line did not go through a stage, in plain words (the Commit Messages tab)."""

    __tablename__ = "warehouse_commit_message"
    __table_args__ = (Index("ix_wh_message_batch", "batch_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="warehouse_batch.id")
    batch_line_id: int | None = Field(default=None, foreign_key="warehouse_batch_line.id")
    at: datetime = timestamp(default_now=True)
    stage: str = Field(max_length=10)  # "send", "receive", "commit", "update"
    message: str


class ItemStock(TableModel, table=True):
    """What is on hand of an item, and how much of it committed order lines have allocated."""

    __tablename__ = "item_stock"

    item_id: int = Field(foreign_key="item.id", primary_key=True)
    on_hand: Decimal = money()
    allocated: Decimal = money()

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.allocated
