"""The console's areas, one mode each, each with its own screen stack."""

from __future__ import annotations

from screens.accounting import AccountingQueues
from screens.batches import Batches
from screens.notifications import Notifications
from screens.purchase_orders import PurchaseOrders
from screens.shell import AreaScreen
from screens.vendors import Vendors


class PurchaseOrdersScreen(AreaScreen):
    AREA = "Purchase orders"
    BODY = PurchaseOrders


class VendorsScreen(AreaScreen):
    AREA = "Vendors"
    BODY = Vendors


class NotificationsScreen(AreaScreen):
    AREA = "Syncing notifications"
    BODY = Notifications


class BatchesScreen(AreaScreen):
    AREA = "Warehouse batches"
    BODY = Batches


class AccountingScreen(AreaScreen):
    AREA = "Accounting › QuickBooks Online"
    BODY = AccountingQueues


AREAS = {
    "purchase_orders": PurchaseOrdersScreen,
    "vendors": VendorsScreen,
    "notifications": NotificationsScreen,
    "batches": BatchesScreen,
    "accounting": AccountingScreen,
}
