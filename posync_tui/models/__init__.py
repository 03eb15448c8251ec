"""All tables. Importing this module registers every table on SQLModel.metadata."""

from posync_tui.models.core import (
    OPEN_PO_STATUSES,
    AccountingStatus,
    Customer,
    CustomerLocation,
    Division,
    Integration,
    Item,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    SalesOrder,
    SalesOrderLine,
    TableModel,
    Vendor,
    saved_id,
)
from posync_tui.models.feed import QuarantinedEntry
from posync_tui.models.p21 import BackorderLink
from posync_tui.models.settings import AppSetting
from posync_tui.models.sync import (
    OPEN_OUTBOX_STATUSES,
    AuditEntry,
    ChangeLogEntry,
    ConnectorState,
    Installation,
    NotificationKind,
    OutboxMessage,
    OutboxStatus,
    PartnerLink,
    SyncNotification,
)
from posync_tui.sqltypes import Decimal4, UTCDateTime, utcnow

__all__ = [
    "OPEN_OUTBOX_STATUSES",
    "OPEN_PO_STATUSES",
    "AccountingStatus",
    "AppSetting",
    "AuditEntry",
    "BackorderLink",
    "ChangeLogEntry",
    "ConnectorState",
    "Customer",
    "CustomerLocation",
    "Decimal4",
    "Division",
    "Integration",
    "Installation",
    "Item",
    "NotificationKind",
    "OutboxMessage",
    "OutboxStatus",
    "PartnerLink",
    "POStatus",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "QuarantinedEntry",
    "SalesOrder",
    "SalesOrderLine",
    "SyncNotification",
    "TableModel",
    "UTCDateTime",
    "Vendor",
    "saved_id",
    "utcnow",
]
