"""`posync demo`: its own database, the simulated partners in-process, a supplier that lives.

A new user sees live syncing within seconds: the simulated supplier holds an order for every
open PO of the B2B vendors, and a background thread keeps changing them the way suppliers do
(confirming less, changing costs and dates, adding lines with new items, cancelling lines,
taking orders directly), while the scheduler polls every few seconds.
"""

from __future__ import annotations

import random
import threading
from datetime import timedelta
from decimal import Decimal

from sqlmodel import col, select

from posync_tui.config import Settings
from posync_tui.db import Database
from posync_tui.demo_data import seed_demo
from posync_tui.demo_warehouse import populate_ovotrack
from posync_tui.models import (
    ConnectorState,
    Integration,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    Vendor,
)
from posync_tui.paths import data_dir
from posync_tui.runtime import Runtime

POLL_SECONDS = {
    "supplier": 5.0,
    "catalog": 3600.0,
    "quickbooks": 15.0,
    "warehouse": 5.0,
    "p21": 10.0,
}


def demo_database_path():
    return data_dir() / "demo.db"


def open_demo(settings: Settings, *, reset: bool = False) -> Runtime:
    from connectors.sandbox.partners import default_sandbox

    path = demo_database_path()
    if reset:
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    with db.reader() as s:
        empty = s.exec(select(Vendor).limit(1)).first() is None
    if empty:
        seed_demo(db)
    demo_settings = settings.model_copy(
        update={
            name: getattr(settings, name).model_copy(
                update={"base_url": None, "enabled": True, "poll_interval": seconds}
            )
            for name, seconds in POLL_SECONDS.items()
        }
        | {
            "quickbooks": settings.quickbooks.model_copy(
                update={
                    "base_url": None,
                    "enabled": True,
                    "poll_interval": POLL_SECONDS["quickbooks"],
                    "upload_pos_as_purchase_orders": True,
                }
            )
        }
    )
    if not demo_settings.admins:  # the operator running the demo may change its settings
        from posync_tui.services.app_settings import current_user

        demo_settings = demo_settings.model_copy(update={"admins": [current_user()]})
    sandbox = default_sandbox()
    orders = _populate(db, sandbox)
    server = sandbox.serve()
    runtime = Runtime(settings=demo_settings, db=db, sandbox=sandbox, sandbox_server=server)
    activity = SupplierActivity(sandbox, orders)
    activity.start()
    runtime.closers.append(activity.stop)
    return runtime


def _populate(db: Database, sandbox) -> list[tuple[str, str]]:
    """Give this run's simulated partners the demo database's orders, products and vendors."""
    supplier, catalog, qbo = sandbox["supplier"], sandbox["catalog"], sandbox["quickbooks"]
    orders: list[tuple[str, str]] = []
    with db.session() as s:
        # The supplier's feed starts again with every run of the sandbox.
        state = s.get(ConnectorState, "supplier")
        if state is not None:
            state.cursor = None
        vendors = {v.id: v for v in s.exec(select(Vendor))}
        for vendor in vendors.values():
            if vendor.qbo_vendor_id:
                vendor.qbo_vendor_id = qbo.add_vendor(vendor.name, qbo_id=vendor.qbo_vendor_id)
        open_pos = s.exec(
            select(PurchaseOrder).where(
                col(PurchaseOrder.status).in_([POStatus.OPEN, POStatus.PARTIAL])
            )
        ).all()
        for po in open_pos:
            vendor = vendors[po.vendor_id]
            order_no = po.supplier_order_no
            if not order_no or vendor.integration != Integration.B2B or not vendor.supplier_account:
                continue
            lines = s.exec(
                select(PurchaseOrderLine).where(
                    PurchaseOrderLine.po_id == po.id, ~col(PurchaseOrderLine.hidden)
                )
            ).all()
            if not lines or any(ln.supplier_part_no is None for ln in lines):
                continue
            supplier.create_order(
                vendor.supplier_account,
                [
                    {
                        "line_no": ln.line_no,
                        "supplier_part_no": ln.supplier_part_no,
                        "upc": ln.upc,
                        "description": ln.description,
                        "quantity": ln.quantity_ordered,
                        "quantity_confirmed": ln.quantity_confirmed or ln.quantity_ordered,
                        "unit_cost": ln.unit_cost,
                    }
                    for ln in lines
                ],
                buyer_po_number=po.number,
                order_no=order_no,
                currency=po.currency,
                expected_date=po.expected_date,
            )
            orders.append((order_no, vendor.supplier_account))
        populate_ovotrack(s, sandbox["warehouse"])
    from posync_tui.demo_data import P21_UNKNOWN_SKU
    from posync_tui.services.p21_demo import populate

    populate(db, sandbox["p21"], unknown=[P21_UNKNOWN_SKU])
    for n in range(40):
        catalog.add_product(
            f"CAT-{n:04d}",
            f"Catalog product {n:04d}",
            supplier_part_no=f"CAT-{n:04d}",
            upc=None,
            unit_cost=Decimal(5 + n),
        )
    return orders


class SupplierActivity:
    """Changes the simulated supplier's orders every few seconds, as a real supplier would."""

    def __init__(self, sandbox, orders: list[tuple[str, str]], *, seed: int | None = None):
        self.supplier = sandbox["supplier"]
        self.orders = orders
        self.rnd = random.Random(seed)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo supplier", daemon=True)
        self._made = 0

    def start(self) -> None:
        if self.orders:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.rnd.uniform(3.0, 8.0)):
            try:
                self.step()
            except (KeyError, ValueError):
                continue  # an order or line gone meanwhile: pick another next time

    def step(self) -> str:
        order_no, account = self.rnd.choice(self.orders)
        order = self.supplier.order(order_no)
        active = [ln for ln in order["lines"] if ln["status"] == "active"]
        roll = self.rnd.random()
        if roll < 0.30 and active:
            line = self.rnd.choice(active)
            ordered = Decimal(str(line["quantity_ordered"]))
            confirmed = max(Decimal(0), ordered - self.rnd.choice([0, 1, 2, 5]))
            self.supplier.change_line(order_no, line["line_no"], quantity_confirmed=confirmed)
            return f"{order_no}: line {line['line_no']} confirmed {confirmed}"
        if roll < 0.50 and active:
            line = self.rnd.choice(active)
            cost = Decimal(str(line["unit_cost"])) * Decimal(self.rnd.choice(["1.03", "0.97"]))
            self.supplier.change_line(
                order_no, line["line_no"], unit_cost=cost.quantize(Decimal("0.01"))
            )
            return f"{order_no}: line {line['line_no']} cost {cost:.2f}"
        if roll < 0.65:
            expected = order["expected_date"]
            from datetime import date

            base = date.fromisoformat(expected) if expected else date.today()
            new = base + timedelta(days=self.rnd.choice([-2, 3, 7]))
            self.supplier.change_order(order_no, expected_date=new)
            return f"{order_no}: expected {new}"
        if roll < 0.75:
            self._made += 1
            in_catalog = self.rnd.random() < 0.6
            part = f"CAT-{self.rnd.randrange(40):04d}" if in_catalog else f"ZZ-{self._made:04d}"
            self.supplier.add_line(
                order_no,
                part,
                self.rnd.choice([1, 2, 6]),
                "12.50",
                description="New product from supplier",
            )
            return f"{order_no}: added {part}"
        if roll < 0.83 and len(active) > 1:
            line = self.rnd.choice(active)
            self.supplier.cancel_line(order_no, line["line_no"])
            return f"{order_no}: cancelled line {line['line_no']}"
        if roll < 0.90:
            line = self.rnd.choice(order["lines"])
            direct = self.supplier.create_order(
                account,
                [
                    {
                        "supplier_part_no": line["supplier_part_no"],
                        "upc": line.get("upc"),
                        "description": line["description"],
                        "quantity": 10,
                        "unit_cost": line["unit_cost"],
                    }
                ],
            )
            self.orders.append((direct, account))
            return f"direct order {direct}"
        # The supplier notifies, but its order cannot be read this time: the PO turns red
        # until the next successful sync.
        self.supplier.fail_next_fetch(1)
        self.supplier.notify(order_no, "changed")
        return f"{order_no}: notified, fetch will fail"
