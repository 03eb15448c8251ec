"""The demo's warehouse (Ovotrack) data: customer orders whose lines meet or fail each staging
rule, the locations and items already sent to Ovotrack, and stock to allocate against.

``seed_warehouse`` runs once, on the customers ``demo_data`` made; ``populate_ovotrack`` gives
each run's simulated Ovotrack what the demo database says it already holds.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlmodel import Session, col, select

from posync_tui import links
from posync_tui.models import (
    Customer,
    CustomerLocation,
    Division,
    Item,
    ItemStock,
    PartnerLink,
    SalesOrder,
    SalesOrderLine,
    saved_id,
)
from posync_tui.services.warehouse_rules import CONNECTOR, ITEM, LOCATION, SEND, location_code

# Customers (by code) whose Ship To location Ovotrack holds. C004 Greenfield Grocers has the
# interface off; C007 Alpine Rentals and C011 Harborview Clinic are on but not sent yet.
SENT_LOCATIONS = ("C001", "C002", "C003", "C005", "C006", "C009", "C010")
# Items Ovotrack holds: eggs, liquid egg and packing material (variant 1 of each).
SENT_ITEMS = ("SKU-0250", "SKU-0260", "SKU-0300", "SKU-0310", "SKU-0320")
UNSENT_ITEM = "SKU-0321"  # Liquid egg, variant 2: ordered, never sent
BILL_ONLY = "C005"  # Lakeside Bakery's accounts address has the interface on: Bill To only
# On hand per item: Eggs medium is short, so a commit allocates less than ordered.
STOCK = {"SKU-0250": 400, "SKU-0260": 150, "SKU-0300": 90, "SKU-0310": 10, "SKU-0320": 60}
STOCK_UNSENT = 25

# number, customer, location ("SHIP" / "BILL"), division, hours since its lines changed,
# lines (sku, quantity, Warehouse Interface Status). The comment names the rule each shows.
ORDERS = [
    # Eligible: every rule met, status Send.
    ("SO-90001", "C005", "SHIP", "MAIN", 50, [("SKU-0300", 12, SEND), ("SKU-0310", 6, SEND)]),
    ("SO-90002", "C009", "SHIP", "MAIN", 26, [("SKU-0300", 24, SEND), ("SKU-0320", 4, SEND),
                                              ("SKU-0250", 10, SEND)]),
    ("SO-90003", "C003", "SHIP", "MAIN", 6, [("SKU-0250", 20, SEND), ("SKU-0260", 12, SEND)]),
    # Status not Send (empty, and "Hold"), beside an eligible line.
    ("SO-90004", "C010", "SHIP", "MAIN", 3, [("SKU-0310", 8, SEND), ("SKU-0300", 6, ""),
                                             ("SKU-0260", 3, "Hold")]),
    # Division WEST has Enable Warehouse Interface off.
    ("SO-90005", "C009", "SHIP", "WEST", 20, [("SKU-0300", 18, SEND)]),
    # Greenfield Grocers' ship-to has Enable Warehouse Interface off.
    ("SO-90006", "C004", "SHIP", "MAIN", 20, [("SKU-0300", 30, SEND)]),
    # Shipped to a Bill To only location.
    ("SO-90007", "C005", "BILL", "MAIN", 20, [("SKU-0310", 5, SEND)]),
    # Harborview Clinic's ship-to was never sent to Ovotrack.
    ("SO-90008", "C011", "SHIP", "MAIN", 8, [("SKU-0300", 2, SEND)]),
    # An item never sent to Ovotrack, beside an eligible line; a line of quantity 0 (eligible
    # to stage, refused by Send).
    ("SO-90009", "C006", "SHIP", "MAIN", 4, [("SKU-0320", 3, SEND), (UNSENT_ITEM, 2, SEND),
                                             ("SKU-0250", 0, SEND)]),
]  # fmt: skip


def seed_warehouse(s: Session, now: datetime) -> None:
    """Add the warehouse demo data to the customers, divisions and items already seeded."""
    divisions = {d.code: d for d in s.exec(select(Division))}
    customers = {c.code: c for c in s.exec(select(Customer))}
    locations = {(loc.customer_id, loc.code): loc for loc in s.exec(select(CustomerLocation))}
    wanted = [*SENT_ITEMS, UNSENT_ITEM]
    items = {i.sku: i for i in s.exec(select(Item).where(col(Item.sku).in_(wanted)))}

    def location(customer: str, code: str) -> CustomerLocation:
        return locations[(saved_id(customers[customer]), code)]

    location(BILL_ONLY, "BILL").warehouse_interface = True
    # Sent as ``warehouse_master`` records it: Ovotrack's id, and the code it knows it by.
    sent_locations = [location(code, "SHIP") for code in SENT_LOCATIONS]
    links.link(
        s,
        CONNECTOR,
        LOCATION,
        [
            links.Made(
                saved_id(loc),
                "Location",
                f"LOC-{n}",
                location_code(code, loc.code),
            )
            for n, (code, loc) in enumerate(zip(SENT_LOCATIONS, sent_locations, strict=True), 1)
        ],
        at=now - timedelta(days=3),
    )
    links.link(
        s,
        CONNECTOR,
        ITEM,
        [
            links.Made(saved_id(items[sku]), "Item", f"ITE-{n}", sku)
            for n, sku in enumerate(SENT_ITEMS, len(SENT_LOCATIONS) + 1)
        ],
        at=now - timedelta(days=3),
    )
    for sku, item in items.items():
        s.add(ItemStock(item_id=saved_id(item), on_hand=Decimal(STOCK.get(sku, STOCK_UNSENT))))

    for number, customer, loc_code, division, hours, lines in ORDERS:
        changed = now - timedelta(hours=hours)
        order = SalesOrder(
            number=number,
            customer_id=saved_id(customers[customer]),
            ship_to_id=location(customer, loc_code).id,
            division_id=divisions[division].id,
            order_date=changed.date(),
            created_at=changed,
            updated_at=changed,
        )
        s.add(order)
        s.flush()
        for line_no, (sku, quantity, status) in enumerate(lines, 1):
            item = items[sku]
            s.add(
                SalesOrderLine(
                    sales_order_id=saved_id(order),
                    line_no=line_no,
                    item_id=saved_id(item),
                    quantity=Decimal(quantity),
                    unit_price=(item.unit_cost * Decimal("1.35")).quantize(Decimal("0.01")),
                    warehouse_interface_status=status,
                    created_at=changed,
                    updated_at=changed,
                )
            )


def populate_ovotrack(s: Session, ovotrack) -> None:
    """Give this run's simulated Ovotrack the locations and items the demo database says it
    holds (seeded, or sent by an operator in an earlier run), under the same ids."""
    held = s.exec(
        select(PartnerLink).where(
            PartnerLink.connector == CONNECTOR, col(PartnerLink.record_kind).in_([LOCATION, ITEM])
        )
    ).all()
    location_ids = [link.record_id for link in held if link.record_kind == LOCATION]
    places = {
        loc.id: (loc, code)
        for loc, code in s.exec(
            select(CustomerLocation, Customer.code)
            .join(Customer, col(Customer.id) == col(CustomerLocation.customer_id))
            .where(col(CustomerLocation.id).in_(location_ids))
        )
    }
    item_ids = [link.record_id for link in held if link.record_kind == ITEM]
    items = {i.id: i for i in s.exec(select(Item).where(col(Item.id).in_(item_ids)))}
    for link in held:
        if link.record_kind == LOCATION and link.record_id in places:
            loc, customer = places[link.record_id]
            ovotrack.add_location(
                location_code(customer, loc.code),
                customer,
                loc.name,
                ovo_id=link.partner_id,
                address=loc.address,
                city=loc.city,
            )
        elif link.record_kind == ITEM and link.record_id in items:
            item = items[link.record_id]
            ovotrack.add_item(item.sku, item.description, ovo_id=link.partner_id)
