"""Which customer order lines may be staged for Ovotrack, and which rule a line fails.

A line is eligible when its division and its customer location have Enable Warehouse Interface
set, the location is a Ship To location, the location and the item have been sent to Ovotrack,
and its Warehouse Interface Status is "Send" (Ovotrack seed, "Prerequisites"). Sending checks
the same again, and a quantity above 0 for a line Ovotrack does not hold yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from posync_tui.db import Database
from posync_tui.models import (
    Customer,
    CustomerLocation,
    Division,
    Item,
    PartnerLink,
    SalesOrder,
    SalesOrderLine,
)

CONNECTOR = "warehouse"
LOCATION = "customer_location"  # record kinds of the "exists in Ovotrack" links
ITEM = "item"
SEND = "Send"  # the Warehouse Interface Status that makes a line eligible
COMMITTED = "Committed"  # set on the line when its batch line is committed

# Each rule's name, in the order they are checked.
RULES = ("division", "location", "ship_to", "location_sent", "item_sent", "status")


@dataclass(frozen=True)
class LineFacts:
    """What the rules need to know of one customer order line."""

    line_id: int
    order_id: int
    order_no: str
    line_no: int
    quantity: Decimal
    status: str
    updated_at: datetime
    division: str | None
    division_on: bool
    location_id: int | None
    location: str | None  # its Ovotrack code, "<customer>-<location>"
    location_on: bool
    ship_to: bool
    location_sent: bool
    item_id: int
    item: str  # the SKU: its Ovotrack code
    item_sent: bool


@dataclass(frozen=True)
class Failure:
    rule: str  # one of RULES, or "quantity"
    message: str


def failure(facts: LineFacts) -> Failure | None:
    """The first rule the line fails, in plain words; None when it is eligible."""
    if facts.division is None:
        return Failure("division", "The order has no division")
    if not facts.division_on:
        return Failure(
            "division", f"Division {facts.division} does not have Enable Warehouse Interface set"
        )
    if facts.location is None:
        return Failure("location", "The order has no customer location")
    if not facts.location_on:
        return Failure(
            "location",
            f"Customer location {facts.location} does not have Enable Warehouse Interface set",
        )
    if not facts.ship_to:
        return Failure(
            "ship_to",
            f"Customer location {facts.location} is a Bill To location only: "
            "Ovotrack syncs Ship To locations",
        )
    if not facts.location_sent:
        return Failure(
            "location_sent", f"Customer location {facts.location} has not been sent to Ovotrack"
        )
    if not facts.item_sent:
        return Failure("item_sent", f"Item {facts.item} has not been sent to Ovotrack")
    if facts.status != SEND:
        shown = f'"{facts.status}"' if facts.status else "empty"
        return Failure("status", f"Warehouse Interface Status is {shown}, not Send")
    return None


def send_failure(
    facts: LineFacts, *, held_by_ovotrack: bool, quantity: Decimal | None = None
) -> Failure | None:
    """What stops a staged line from being sent: the rules, then its quantity (``quantity``,
    the batch line's, if given). A line Ovotrack holds may go to 0 (the item is no longer
    needed); a new one must be above 0."""
    found = failure(facts)
    quantity = facts.quantity if quantity is None else quantity
    if found is None and quantity <= 0 and not held_by_ovotrack:
        return Failure("quantity", "Quantity must be above 0 to send a new line to Ovotrack")
    return found


def location_code(customer_code: str, location_code: str) -> str:
    return f"{customer_code}-{location_code}"


def facts_query() -> Select:
    """Every customer order line with what the rules need (filter it further)."""
    loc_link = aliased(PartnerLink)
    item_link = aliased(PartnerLink)
    line, order, division = SalesOrderLine, SalesOrder, Division
    location, customer = CustomerLocation, Customer
    return (
        select(
            col(line.id),
            col(order.id),
            col(order.number),
            col(line.line_no),
            col(line.quantity),
            col(line.warehouse_interface_status),
            col(line.updated_at),
            col(division.code),
            col(division.warehouse_interface),
            col(location.id),
            col(customer.code),
            col(location.code),
            col(location.warehouse_interface),
            col(location.is_ship_to),
            col(loc_link.id),
            col(line.item_id),
            col(Item.sku),
            col(item_link.id),
        )
        .select_from(line)
        .join(order, col(order.id) == col(line.sales_order_id))
        .join(Item, col(Item.id) == col(line.item_id))
        .outerjoin(division, col(division.id) == col(order.division_id))
        .outerjoin(location, col(location.id) == col(order.ship_to_id))
        .outerjoin(customer, col(customer.id) == col(location.customer_id))
        .outerjoin(
            loc_link,
            and_(
                col(loc_link.connector) == CONNECTOR,
                col(loc_link.record_kind) == LOCATION,
                col(loc_link.record_id) == col(location.id),
            ),
        )
        .outerjoin(
            item_link,
            and_(
                col(item_link.connector) == CONNECTOR,
                col(item_link.record_kind) == ITEM,
                col(item_link.record_id) == col(line.item_id),
            ),
        )
    )


def to_facts(row: Sequence) -> LineFacts:
    (
        line_id, order_id, order_no, line_no, quantity, status, updated_at, division,
        division_on, location_id, customer_code, loc_code, location_on, ship_to, loc_link,
        item_id, sku, item_link,
    ) = row  # fmt: skip
    return LineFacts(
        line_id=line_id,
        order_id=order_id,
        order_no=order_no,
        line_no=line_no,
        quantity=quantity,
        status=status or "",
        updated_at=updated_at,
        division=division,
        division_on=bool(division_on),
        location_id=location_id,
        location=location_code(customer_code, loc_code) if location_id is not None else None,
        location_on=bool(location_on),
        ship_to=bool(ship_to),
        location_sent=loc_link is not None,
        item_id=item_id,
        item=sku,
        item_sent=item_link is not None,
    )


def facts_of(session: Session, line_ids: Sequence[int]) -> dict[int, LineFacts]:
    """The facts of these order lines, by line id (a query per 500 ids)."""
    found: dict[int, LineFacts] = {}
    ids = list(dict.fromkeys(line_ids))
    for at in range(0, len(ids), 500):
        query = facts_query().where(col(SalesOrderLine.id).in_(ids[at : at + 500]))
        found.update((f.line_id, f) for f in map(to_facts, session.execute(query)))
    return found


@dataclass(frozen=True)
class LineEligibility:
    line_id: int
    line_no: int
    item: str
    quantity: Decimal
    failure: Failure | None

    @property
    def eligible(self) -> bool:
        return self.failure is None


def eligibility(db: Database, sales_order_id: int) -> list[LineEligibility]:
    """Each line of a customer order: eligible for staging, or the rule it fails."""
    query = (
        facts_query()
        .where(col(SalesOrderLine.sales_order_id) == sales_order_id)
        .order_by(col(SalesOrderLine.line_no))
    )
    with db.reader() as s:
        facts = [to_facts(row) for row in s.execute(query)]
    return [LineEligibility(f.line_id, f.line_no, f.item, f.quantity, failure(f)) for f in facts]
