"""The columns the PO list and its filter read, as SQLAlchemy Core tables without the ORM.

The console shows its first page of POs before the ORM models are imported (building them
costs about 0.2 s of start-up), so the PO list and the filter read these. They name the same
tables and columns, with the same types, as the models do; a test holds them equal.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, String, column, table

from posync_tui.sqltypes import Decimal4, UTCDateTime

PURCHASE_ORDER = table(
    "purchase_order",
    column("id", Integer),
    column("number", String),
    column("vendor_id", Integer),
    column("status", String),
    column("currency", String),
    column("total", Decimal4()),
    column("line_count", Integer),
    column("auto_sync", Boolean),
    column("supplier_order_no", String),
    column("last_synced_at", UTCDateTime()),
    column("supplier_notified_at", UTCDateTime()),
    column("last_sync_error", String),
)
PURCHASE_ORDER_LINE = table(
    "purchase_order_line",
    column("po_id", Integer),
    column("item_id", Integer),
    column("supplier_part_no", String),
    column("description", String),
)
ITEM = table("item", column("id", Integer), column("sku", String))
VENDOR = table(
    "vendor",
    column("id", Integer),
    column("code", String),
    column("name", String),
    column("integration", String),
)
