"""The console's areas, one mode each, each with its own screen stack."""

from __future__ import annotations

from screens.shell import AreaScreen


class PurchaseOrdersScreen(AreaScreen):
    AREA = "Purchase orders"
    BODY = "screens.purchase_orders:PurchaseOrders"


class VendorsScreen(AreaScreen):
    AREA = "Vendors"
    BODY = "screens.vendors:Vendors"


class NotificationsScreen(AreaScreen):
    AREA = "Syncing notifications"
    BODY = "screens.notifications:Notifications"


class BatchesScreen(AreaScreen):
    AREA = "Warehouse batches"
    BODY = "screens.batches:Batches"


class AccountingScreen(AreaScreen):
    AREA = "Accounting › QuickBooks Online"
    BODY = "screens.accounting:AccountingQueues"


class EdiDocumentsScreen(AreaScreen):
    AREA = "EDI documents"
    BODY = "screens.edi_documents:EdiDocuments"


class PurchaseTargetsScreen(AreaScreen):
    AREA = "Purchase target lines"
    BODY = "screens.purchase_targets:PurchaseTargets"


class SettingsScreen(AreaScreen):
    AREA = "Settings"
    BODY = "screens.settings:SettingsBody"


AREAS = {
    "purchase_orders": PurchaseOrdersScreen,
    "vendors": VendorsScreen,
    "notifications": NotificationsScreen,
    "batches": BatchesScreen,
    "accounting": AccountingScreen,
    "edi_documents": EdiDocumentsScreen,
    "purchase_targets": PurchaseTargetsScreen,
    "settings": SettingsScreen,
}
