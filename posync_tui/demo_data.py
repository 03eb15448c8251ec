"""Demo data for every flow: vendors with and without auto-sync and EDI, a few hundred POs,
customers with ship-to and bill-to locations, sales orders and backorders.

Deterministic for a given seed and clock, so tests and snapshots can use it too.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlmodel import col, select

from posync_tui.db import Database
from posync_tui.demo_edi import seed_edi
from posync_tui.demo_warehouse import seed_warehouse
from posync_tui.events import note_change
from posync_tui.models import (
    AccountingMapping,
    Customer,
    CustomerLocation,
    Division,
    Integration,
    Item,
    MappingKind,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    SalesOrder,
    SalesOrderLine,
    Vendor,
    saved_id,
    utcnow,
)
from posync_tui.money import line_total

# code, name, integration, auto-sync, linked to QuickBooks
VENDORS = [
    ("ATLAS", "Atlas Bicycle Parts", Integration.B2B, True, True),
    ("CASC", "Cascade Components", Integration.B2B, True, True),
    ("NWIND", "Northwind Cycle Supply", Integration.B2B, True, False),
    ("PEAK", "Peak Outdoor Wholesale", Integration.B2B, False, True),
    ("RIVR", "Riverside Sports Dist.", Integration.B2B, False, False),
    ("EURO", "EuroTech Distribution BV", Integration.EDI, False, True),
    ("INGR", "Ingram-Style Micro EU", Integration.EDI, False, True),
    ("TDSY", "TechData Systems NL", Integration.EDI, False, False),
    ("HARB", "Harbor Packaging Co.", Integration.NONE, False, True),
    ("SUMM", "Summit Tools & Hardware", Integration.NONE, False, False),
    ("GLDN", "Golden Egg Farms", Integration.NONE, False, True),
    ("MRDN", "Meridian Office Supply", Integration.NONE, False, False),
]

PRODUCTS = [
    "Chain 11-speed",
    "Brake pads (pair)",
    "Inner tube 29x2.4",
    "Tire 700x28c",
    "Cassette 11-34",
    "Saddle comfort",
    "Handlebar tape",
    "Pedals flat alloy",
    "Derailleur rear",
    "Shifter right",
    "Bottom bracket BSA",
    "Crankset 170mm",
    "Headset 1-1/8",
    "Spoke 292mm",
    "Rim 622x19",
    "LED headlight 800lm",
    "Tail light USB",
    "Floor pump",
    "Multi-tool 14",
    "Bottle cage",
    "Laptop 14in i5",
    "USB-C dock",
    "27in monitor",
    "Keyboard US",
    "Wireless mouse",
    "Shipping box 40x30x20",
    "Packing tape 48mm",
    "Bubble wrap roll",
    "Pallet wrap",
    "Label roll",
    "Eggs large (30 doz)",
    "Eggs medium (30 doz)",
    "Liquid egg 10kg",
    "Copy paper A4",
    "Toner black",
]

CUSTOMERS = [
    "Bayside Bikes",
    "Trailhead Cycles",
    "Metro Office Group",
    "Greenfield Grocers",
    "Lakeside Bakery",
    "Northside Schools",
    "Copper Kettle Cafe",
    "Alpine Rentals",
    "Crescent Hotels",
    "Union Street Deli",
    "Harborview Clinic",
    "Pinecrest Market",
]
CITIES = ["Portland", "Seattle", "Boise", "Spokane", "Eugene", "Tacoma"]


def upc_check(digits11: str) -> str:
    odd = sum(int(d) for d in digits11[0::2])
    even = sum(int(d) for d in digits11[1::2])
    return digits11 + str((10 - (odd * 3 + even) % 10) % 10)


def seed_demo(db: Database, *, now: datetime | None = None, seed: int = 7) -> None:
    """Fill an empty database with the demo data set."""
    rnd = random.Random(seed)
    now = now or utcnow()
    today = now.date()
    with db.session() as s:
        divisions = [
            Division(code="MAIN", name="Main warehouse", warehouse_interface=True),
            Division(code="WEST", name="West branch", warehouse_interface=False),
        ]
        s.add_all(divisions)
        vendors = []
        for i, (code, name, integration, auto, linked) in enumerate(VENDORS):
            vendors.append(
                Vendor(
                    code=code,
                    name=name,
                    integration=integration,
                    supplier_account=f"ACC-{1000 + i}" if integration == Integration.B2B else None,
                    auto_sync=auto,
                    gln=_gln(i) if integration == Integration.EDI else None,
                    currency="EUR" if integration == Integration.EDI else "USD",
                    email=f"orders@{code.lower()}.example",
                    qbo_vendor_id=str(100 + i) if linked else None,
                    qbo_display_name=name if linked else None,
                )
            )
        s.add_all(vendors)
        s.flush()
        items = []
        for i, product in enumerate(PRODUCTS):
            for variant in range(4):
                vendor = vendors[(i + variant) % len(vendors)]
                items.append(
                    Item(
                        sku=f"SKU-{i:03d}{variant}",
                        description=f"{product} v{variant + 1}",
                        upc=upc_check(f"0{rnd.randrange(10**9, 10**10)}"),
                        mpn=f"MPN-{rnd.randrange(10000, 99999)}",
                        supplier_part_no=f"{vendor.code}-{i:03d}{variant}",
                        vendor_id=vendor.id,
                        unit_cost=Decimal(rnd.randrange(150, 25000)) / 100,
                    )
                )
        s.add_all(items)
        s.flush()
        by_vendor: dict[int | None, list[Item]] = {}
        for item in items:
            by_vendor.setdefault(item.vendor_id, []).append(item)

        statuses = [POStatus.OPEN] * 6 + [
            POStatus.PARTIAL,
            POStatus.DRAFT,
            POStatus.RECEIVED,
            POStatus.CLOSED,
        ]
        for n in range(320):
            vendor = vendors[rnd.randrange(len(vendors))]
            ordered = today - timedelta(days=rnd.randrange(0, 120))
            status = statuses[rnd.randrange(len(statuses))]
            po = PurchaseOrder(
                number=f"PO-{n + 1:07d}",
                vendor_id=saved_id(vendor),
                status=status,
                order_date=ordered,
                expected_date=ordered + timedelta(days=rnd.randrange(5, 30)),
                currency=vendor.currency,
                reference=f"Stock {ordered:%b} #{n % 17 + 1}",
                auto_sync=vendor.auto_sync,
            )
            if vendor.integration == Integration.B2B:
                po.supplier_order_no = f"SO-{vendor.code}-{50000 + n}"
                if po.auto_sync:
                    po.last_synced_at = now - timedelta(minutes=rnd.randrange(5, 600))
                    po.supplier_notified_at = po.last_synced_at - timedelta(minutes=2)
            if status in (POStatus.RECEIVED, POStatus.CLOSED) or rnd.random() < 0.1:
                po.invoice_date = ordered + timedelta(days=rnd.randrange(7, 20))
                po.supplier_invoice_no = f"INV-{rnd.randrange(100000, 999999)}"
                po.dispatch_date = ordered + timedelta(days=rnd.randrange(2, 7))
            s.add(po)
            s.flush()
            total = Decimal(0)
            catalogue = by_vendor[vendor.id]
            for line_no in range(1, rnd.randrange(2, 9)):
                item = catalogue[rnd.randrange(len(catalogue))]
                qty = Decimal(rnd.choice([1, 2, 5, 10, 12, 24, 50, 100]))
                line = PurchaseOrderLine(
                    po_id=saved_id(po),
                    line_no=line_no,
                    item_id=item.id,
                    supplier_part_no=item.supplier_part_no,
                    upc=item.upc,
                    description=item.description,
                    quantity_ordered=qty,
                    quantity_confirmed=qty if po.last_synced_at else None,
                    quantity_received=qty
                    if status in (POStatus.RECEIVED, POStatus.CLOSED)
                    else Decimal(0),
                    unit_cost=item.unit_cost,
                    expected_date=po.expected_date,
                )
                s.add(line)
                total += line_total(qty, item.unit_cost, po.currency)
                po.line_count += 1
            po.total = total
        # Two POs whose last sync failed after the supplier notified: shown red.
        stale = s.exec(select(PurchaseOrder).where(PurchaseOrder.auto_sync).limit(2)).all()
        for po in stale:
            po.supplier_notified_at = now - timedelta(minutes=3)
            po.last_synced_at = now - timedelta(hours=5)
            po.last_sync_error = "supplier did not answer in time"

        _seed_customers(s, rnd, divisions, items, today)
        seed_warehouse(s, now)
        seed_edi(s, now)
        _seed_p21_backorders(s, vendors[0], items[:3], today)
        _seed_accounting_books(s)
        note_change(s, "purchase_order")
        note_change(s, "vendor")


def _seed_customers(s, rnd, divisions, items, today: date) -> None:
    for i, name in enumerate(CUSTOMERS):
        customer = Customer(code=f"C{i + 1:03d}", name=name)
        s.add(customer)
        s.flush()
        city = CITIES[i % len(CITIES)]
        ship = CustomerLocation(
            customer_id=saved_id(customer),
            code="SHIP",
            name=f"{name} – {city}",
            address=f"{100 + i} Main St",
            city=city,
            is_ship_to=True,
            is_bill_to=i % 3 == 0,
            warehouse_interface=i % 4 != 3,
        )
        bill = CustomerLocation(
            customer_id=saved_id(customer),
            code="BILL",
            name=f"{name} – accounts",
            address=f"PO Box {2000 + i}",
            city=city,
            is_ship_to=False,
            is_bill_to=True,
        )
        s.add_all([ship, bill])
        s.flush()
        for k in range(rnd.randrange(3, 10)):
            ordered = today - timedelta(days=rnd.randrange(0, 60))
            so = SalesOrder(
                number=f"SO-{70000 + i * 20 + k}",
                customer_id=saved_id(customer),
                ship_to_id=ship.id,
                division_id=divisions[k % 2].id,
                order_date=ordered,
            )
            s.add(so)
            s.flush()
            for line_no in range(1, rnd.randrange(2, 6)):
                item = items[rnd.randrange(len(items))]
                qty = Decimal(rnd.choice([1, 2, 3, 6, 12]))
                backordered = qty if rnd.random() < 0.2 else Decimal(0)
                s.add(
                    SalesOrderLine(
                        sales_order_id=saved_id(so),
                        line_no=line_no,
                        item_id=item.id,
                        quantity=qty,
                        quantity_backordered=backordered,
                        special_order=backordered > 0 and rnd.random() < 0.5,
                        unit_price=(item.unit_cost * Decimal("1.35")).quantize(Decimal("0.01")),
                    )
                )


# An item posync has and the demo's P21 does not: exporting a PO for it shows P21's refusal.
P21_UNKNOWN_SKU = "SKU-NEW-01"


def _seed_p21_backorders(s, vendor: Vendor, items: list[Item], today: date) -> None:
    """Recurrency seed: backordered sales-order lines of a few items across customers and order
    dates (one customer with hostile text in its name), and one item P21 does not know."""
    new = Item(
        sku=P21_UNKNOWN_SKU,
        description="Bracket, new (not in P21 yet)",
        vendor_id=vendor.id,
        unit_cost=Decimal("7.50"),
    )
    s.add(new)
    hostile = Customer(code="C-HOSTILE", name="Ruiz [b]Söhne[/b]\x1b[31m \u202eGmbH")
    s.add(hostile)
    s.flush()
    customers = [c.id for c in s.exec(select(Customer).order_by(col(Customer.id)).limit(4))]
    customers.append(hostile.id)
    for n in range(10):
        so = SalesOrder(
            number=f"SO-8{n:04d}",
            customer_id=customers[n % len(customers)],
            order_date=today - timedelta(days=40 - 3 * n),
        )
        s.add(so)
        s.flush()
        for line_no, item in enumerate([items[n % len(items)], *([new] if n == 7 else [])], 1):
            quantity = Decimal(2 + n % 4)
            s.add(
                SalesOrderLine(
                    sales_order_id=saved_id(so),
                    line_no=line_no,
                    item_id=saved_id(item),
                    quantity=quantity + 1,
                    quantity_backordered=quantity,
                    unit_price=(item.unit_cost * Decimal("1.35")).quantize(Decimal("0.01")),
                )
            )


def _seed_accounting_books(s) -> None:
    """Accounting › Settings as an accountant set it up: the demo QuickBooks company's Cost of
    Goods Sold, A/P account and Net 30 terms (the sandbox's fixed ids)."""
    for kind, qbo_id, name, due_days in (
        (MappingKind.EXPENSE_ACCOUNT, "80", "Cost of Goods Sold", None),
        (MappingKind.AP_ACCOUNT, "84", "Accounts Payable (A/P)", None),
        (MappingKind.TERMS, "51", "Net 30", 30),
    ):
        s.add(AccountingMapping(kind=kind, qbo_id=qbo_id, qbo_name=name, due_days=due_days))


def _gln(i: int) -> str:
    """A GS1 GLN with a valid mod-10 check digit."""
    body = f"541234500{i + 1:03d}"
    total = sum(int(d) * (3 if k % 2 == 0 else 1) for k, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)
