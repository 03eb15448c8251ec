"""A small world for supplier auto-sync tests: a database, a simulated supplier and catalog."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import select

from connectors.sandbox.catalog import CatalogSandbox
from connectors.sandbox.server import Sandbox
from connectors.sandbox.supplier import SupplierSandbox
from posync_tui import leases
from posync_tui.config import load_settings
from posync_tui.models import (
    Integration,
    Item,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    SyncNotification,
    Vendor,
)
from posync_tui.runtime import Runtime

ACCOUNT = "ACC-1001"


def lease(db, connector: str = "supplier") -> leases.Fence:
    """Take the connector's lease as the scheduler does (or keep it); its fence for a poll."""
    return leases.acquire(db, connector, "tests", ttl=600).fence()


class World:
    def __init__(self, db, supplier: SupplierSandbox, catalog: CatalogSandbox, rt: Runtime):
        self.db, self.supplier, self.catalog, self.rt = db, supplier, catalog, rt
        with db.session() as s:
            vendor = Vendor(
                code="ACME",
                name="Acme Supply",
                integration=Integration.B2B,
                supplier_account=ACCOUNT,
                auto_sync=True,
            )
            s.add(vendor)
            s.flush()
            self.vendor_id = vendor.id
            widget = Item(
                sku="W-1",
                description="Widget",
                supplier_part_no="AC-100",
                upc="012345678905",
                vendor_id=vendor.id,
                unit_cost=Decimal("4.25"),
            )
            gadget = Item(
                sku="G-1",
                description="Gadget",
                supplier_part_no="AC-200",
                vendor_id=vendor.id,
                unit_cost=Decimal("10"),
            )
            s.add_all([widget, gadget])
            s.flush()
            self.widget_id, self.gadget_id = widget.id, gadget.id

    def make_po(self, number="PO-0000001", *, auto_sync=True, sent=True, status=POStatus.OPEN):
        """A PO with two lines; ``sent``: the supplier has received it as an order."""
        with self.db.session() as s:
            po = PurchaseOrder(
                number=number,
                vendor_id=self.vendor_id,
                auto_sync=auto_sync,
                status=status,
                total=Decimal("101"),
                line_count=2,
            )
            s.add(po)
            s.flush()
            s.add_all(
                [
                    PurchaseOrderLine(
                        po_id=po.id,
                        line_no=1,
                        item_id=self.widget_id,
                        supplier_part_no="AC-100",
                        upc="012345678905",
                        description="Widget",
                        quantity_ordered=Decimal(12),
                        unit_cost=Decimal("4.25"),
                    ),
                    PurchaseOrderLine(
                        po_id=po.id,
                        line_no=2,
                        item_id=self.gadget_id,
                        supplier_part_no="AC-200",
                        description="Gadget",
                        quantity_ordered=Decimal(5),
                        unit_cost=Decimal("10"),
                    ),
                ]
            )
            po_id = po.id
        order_no = None
        if sent:
            order_no = self.supplier.create_order(
                ACCOUNT,
                [
                    {
                        "supplier_part_no": "AC-100",
                        "upc": "012345678905",
                        "description": "Widget",
                        "quantity": 12,
                        "unit_cost": "4.25",
                    },
                    {
                        "supplier_part_no": "AC-200",
                        "description": "Gadget",
                        "quantity": 5,
                        "unit_cost": "10",
                    },
                ],
                buyer_po_number=number,
            )
        return po_id, order_no

    def po(self, po_id) -> PurchaseOrder:
        with self.db.reader() as s:
            return s.get(PurchaseOrder, po_id)

    def lines(self, po_id) -> dict[int, PurchaseOrderLine]:
        with self.db.reader() as s:
            rows = s.exec(select(PurchaseOrderLine).where(PurchaseOrderLine.po_id == po_id))
            return {ln.line_no: ln for ln in rows}

    def notes(self, kind=None) -> list[SyncNotification]:
        with self.db.reader() as s:
            query = select(SyncNotification).order_by(SyncNotification.id)
            if kind is not None:
                query = query.where(SyncNotification.kind == kind)
            return list(s.exec(query))


def make_world(db):
    """Yields a World; use as ``yield from make_world(db)`` in a fixture."""
    supplier, catalog = SupplierSandbox(), CatalogSandbox()
    sandbox = Sandbox([supplier, catalog])
    with sandbox.serve() as server:
        settings = load_settings(supplier={"timeout": 2.0}, catalog={"timeout": 2.0})
        rt = Runtime(settings=settings, db=db, sandbox=sandbox, sandbox_server=server)
        yield World(db, supplier, catalog, rt)
        supplier.faults.clear()
        catalog.faults.clear()
