"""A small world for warehouse (Ovotrack) tests: customer orders in posync, a simulated
Ovotrack on a loopback port, and a runtime whose warehouse client reaches it."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from connectors.sandbox.server import Sandbox
from connectors.sandbox.warehouse import WarehouseSandbox
from posync_tui import leases
from posync_tui.config import load_settings
from posync_tui.models import (
    Customer,
    CustomerLocation,
    Division,
    Item,
    ItemStock,
    SalesOrder,
    SalesOrderLine,
    WarehouseBatchLine,
    utcnow,
)
from posync_tui.runtime import Runtime
from posync_tui.services import warehouse_master

LONG_AGO = datetime(2020, 1, 1).astimezone()


def fence(db) -> leases.Fence:
    return leases.acquire(db, "warehouse", "tests", ttl=600).fence()


class World:
    """Division MAIN (interface on) and WEST (off); customer C1 with a ship-to (on), a
    bill-to-only location (on) and a ship-to with the interface off; items EGG-L and EGG-M."""

    def __init__(self, db, ovotrack: WarehouseSandbox, rt: Runtime):
        self.db, self.ovotrack, self.rt = db, ovotrack, rt
        with db.session() as s:
            self.main = Division(code="MAIN", name="Main", warehouse_interface=True)
            self.west = Division(code="WEST", name="West", warehouse_interface=False)
            customer = Customer(code="C1", name="Greenfield Grocers")
            s.add_all([self.main, self.west, customer])
            s.flush()
            self.ship = CustomerLocation(
                customer_id=customer.id, code="SHIP", name="Dock", warehouse_interface=True
            )
            self.bill = CustomerLocation(
                customer_id=customer.id,
                code="BILL",
                name="Accounts",
                is_ship_to=False,
                is_bill_to=True,
                warehouse_interface=True,
            )
            self.off = CustomerLocation(
                customer_id=customer.id, code="BACK", name="Back door", warehouse_interface=False
            )
            self.large = Item(sku="EGG-L", description="Eggs large")
            self.medium = Item(sku="EGG-M", description="Eggs medium")
            s.add_all([self.ship, self.bill, self.off, self.large, self.medium])
            s.flush()
            s.add_all(
                [
                    ItemStock(item_id=self.large.id, on_hand=Decimal(100)),
                    ItemStock(item_id=self.medium.id, on_hand=Decimal(100)),
                ]
            )
            self.customer_id = customer.id
        self._orders = 0

    def order(
        self,
        lines: list[tuple[Item, int] | tuple[Item, int, str]],
        *,
        location: CustomerLocation | None = None,
        division: Division | None = None,
        modified: datetime | None = None,
    ) -> list[int]:
        """A customer order; its line ids. Each line (item, quantity[, status]), status Send."""
        self._orders += 1
        location, division = location or self.ship, division or self.main
        with self.db.session() as s:
            order = SalesOrder(
                number=f"SO-{self._orders}",
                customer_id=self.customer_id,
                ship_to_id=location.id,
                division_id=division.id,
            )
            s.add(order)
            s.flush()
            made = []
            for n, (item, quantity, *status) in enumerate(lines, 1):
                line = SalesOrderLine(
                    sales_order_id=order.id,
                    line_no=n,
                    item_id=item.id,
                    quantity=Decimal(quantity),
                    warehouse_interface_status=status[0] if status else "Send",
                    updated_at=modified or utcnow(),
                )
                s.add(line)
                made.append(line)
            s.flush()
            return [line.id for line in made]

    async def send_master_data(self):
        return await warehouse_master.send_master_data(self.rt)

    def batch_lines(self, batch_id: int) -> list[WarehouseBatchLine]:
        from sqlmodel import select

        with self.db.reader() as s:
            query = select(WarehouseBatchLine).where(WarehouseBatchLine.batch_id == batch_id)
            return list(s.exec(query.order_by(WarehouseBatchLine.id)).all())

    def line(self, line_id: int) -> SalesOrderLine:
        with self.db.reader() as s:
            found = s.get(SalesOrderLine, line_id)
            assert found is not None
            return found


def open_world(db, *, attempts: int = 1):
    """A world served on a loopback port; use as a context manager (it stops the server)."""
    ovotrack = WarehouseSandbox()
    server = Sandbox([ovotrack]).serve()
    settings = load_settings(warehouse={"base_url": f"{server.url}/warehouse", "timeout": 5.0})
    rt = Runtime(settings=settings, db=db)
    return _Served(World(db, ovotrack, rt), server)


class _Served:
    def __init__(self, world: World, server):
        self.world, self.server = world, server

    def __enter__(self) -> World:
        return self.world

    def __exit__(self, *exc) -> None:
        self.server.stop()


def a_day_ago() -> datetime:
    return utcnow() - timedelta(days=1)
