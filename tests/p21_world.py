"""A small world for Prophet 21 tests: posync's records, the simulated P21 over HTTP."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import col, select

from connectors.sandbox.p21 import P21Sandbox
from posync_tui.config import ConnectorSettings, Settings
from posync_tui.models import (
    Customer,
    Item,
    PurchaseOrder,
    PurchaseOrderLine,
    SalesOrder,
    SalesOrderLine,
    Vendor,
)
from posync_tui.runtime import Runtime
from posync_tui.services import app_settings, p21_demo, p21_export
from posync_tui.services.p21_partner import p21_client
from tests.supplier_world import lease

ADMIN = "ana"
# Backordered sales-order lines, oldest order first: (order, date, customer, [(line, sku, qty)])
ORDERS = [
    ("SO-1", date(2026, 10, 1), "Cobalt Bikes", [(1, "BOLT-8", 4)]),
    ("SO-2", date(2026, 10, 2), "Delta Marine", [(1, "BOLT-8", 3), (2, "NUT-8", 2)]),
    ("SO-3", date(2026, 10, 3), "Cobalt Bikes", [(1, "BOLT-8", 5)]),
]


class P21World:
    def __init__(self, db, p21: P21Sandbox, server):
        self.db, self.p21 = db, p21
        settings = Settings(
            p21=ConnectorSettings(base_url=f"{server.url}/p21", timeout=2.0), admins=[ADMIN]
        )
        self.rt = Runtime(settings=settings, db=db)
        with db.session() as s:
            vendor = Vendor(code="ACME", name="Acme Supply")
            s.add(vendor)
            s.flush()
            self.vendor_id = vendor.id
            self.items = {}
            for sku in ("BOLT-8", "NUT-8", "WASHER-8"):
                item = Item(sku=sku, description=sku, vendor_id=vendor.id, unit_cost=Decimal(1))
                s.add(item)
                s.flush()
                self.items[sku] = item.id
            customers: dict[str, int] = {}
            for number, day, name, lines in ORDERS:
                if name not in customers:
                    customer = Customer(code=f"C{len(customers) + 1}", name=name)
                    s.add(customer)
                    s.flush()
                    customers[name] = customer.id
                order = SalesOrder(number=number, customer_id=customers[name], order_date=day)
                s.add(order)
                s.flush()
                for line_no, sku, qty in lines:
                    s.add(
                        SalesOrderLine(
                            sales_order_id=order.id,
                            line_no=line_no,
                            item_id=self.items[sku],
                            quantity=Decimal(qty),
                            quantity_backordered=Decimal(qty),
                        )
                    )
        p21_demo.populate(db, p21, unknown=["WASHER-8"])

    def link_backorders(self, on: bool = True) -> None:
        key = app_settings.LINK_BACKORDERS.key
        app_settings.change(self.db, self.rt.settings, key, on, user=ADMIN)

    def po(self, number: str, *lines: tuple[str, int]) -> int:
        with self.db.session() as s:
            po = PurchaseOrder(number=number, vendor_id=self.vendor_id, line_count=len(lines))
            s.add(po)
            s.flush()
            for n, (sku, qty) in enumerate(lines, 1):
                s.add(
                    PurchaseOrderLine(
                        po_id=po.id,
                        line_no=n,
                        item_id=self.items[sku],
                        quantity_ordered=Decimal(qty),
                        unit_cost=Decimal(1),
                    )
                )
            return po.id

    def change_line(self, po_id: int, line_no: int, **fields) -> None:
        with self.db.session() as s:
            line = s.exec(
                select(PurchaseOrderLine).where(
                    PurchaseOrderLine.po_id == po_id, PurchaseOrderLine.line_no == line_no
                )
            ).one()
            for name, value in fields.items():
                setattr(line, name, value)

    async def export(self, po_id: int, *, attempts: int = 4) -> str:
        """Queue the PO and run the "p21" job once."""
        p21_export.export_po(self.db, po_id)
        return await self.deliver(attempts=attempts)

    async def deliver(self, *, attempts: int = 4) -> str:
        client = p21_client(self.rt, attempts=attempts)
        return await p21_export.deliver(self.rt, fence=lease(self.db, "p21"), client=client)

    def links(self, po_id: int) -> list[tuple[str, int, int, Decimal]]:
        """The PO's links as posync mirrors them: (order, line, PO line, quantity)."""
        from posync_tui.services.p21_links import po_links

        return [
            (k.order_number, k.line_number, k.po_line_number, k.quantity)
            for k in po_links(self.db, po_id)
        ]

    def in_p21(self, po_no: str) -> list[tuple[str, int, int, Decimal]]:
        """The PO's active oe_line_po rows at P21, in the same shape."""
        return sorted(
            (r["order_number"], r["line_number"], r["po_line_number"], Decimal(r["quantity_on_po"]))
            for r in self.p21.oe_line_po(po_no)
            if r["delete_flag"] == r["cancel_flag"] == "N"
        )

    def sales_order_status(self, number: str) -> str:
        with self.db.reader() as s:
            return s.exec(select(SalesOrder.status).where(col(SalesOrder.number) == number)).one()
