"""Customer (sales) orders as the ERP keeps them: the list, and create / edit with their lines.

posync plays the ERP for the Ovotrack flow: an operator creates an order for a ship-to customer
location, in a division, with lines (item, quantity, Warehouse Interface Status); an order line is
staged for Ovotrack only when its status is "Send" (the seed: "the Warehouse Interface Status
needs to be set to Send"). A line's Last Modified (``updated_at``) moves when the operator
changes it: it is what a batch imports by.

``save_order`` writes the order and its lines in ONE transaction with an audit entry for every
field changed (source "operator"), or refuses with ``OrderInvalid`` naming every value at fault
(so a form shows each at its field). A saved line is never deleted — a batch may have staged it;
as the seed says, its quantity "can be updated to 0 if the item is no longer needed".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import ColumnElement, FromClause
from sqlmodel import col

from posync_tui import numbers, timefmt
from posync_tui.audit import OPERATOR, Change, edit, record
from posync_tui.db import Database
from posync_tui.events import note_change
from posync_tui.models import (
    Customer,
    CustomerLocation,
    Division,
    Item,
    SalesOrder,
    SalesOrderLine,
    saved_id,
    utcnow,
)
from posync_tui.paging import Column, PagedSource, View, contains
from posync_tui.refused import Problem, Refused
from posync_tui.services.warehouse_rules import SEND

# The Warehouse Interface Status an operator may give a line; "" is "not set" (never staged).
# A commit sets its own status on the line, which an edit keeps.
WAREHOUSE_INTERFACE_STATUSES = ("", SEND, "Hold")
MAX_LINES = 999
PLACES = 4  # a quantity's decimals (Decimal4 keeps ten-thousandths)
NUMBER_ATTEMPTS = 3  # another console may take the same next order number first
NUMBER = re.compile(r"SO-(\d+)")
_STATUS_WORDS = " or ".join(repr(s) for s in WAREHOUSE_INTERFACE_STATUSES)

ORDER = SalesOrder.__table__.c
CUSTOMER = Customer.__table__.c
LOCATION = CustomerLocation.__table__.c
DIVISION = Division.__table__.c
LINE = SalesOrderLine.__table__.c

LINE_COUNT: ColumnElement = (
    select(func.count()).where(LINE.sales_order_id == ORDER.id).scalar_subquery()
)
TO_SEND: ColumnElement = (
    select(func.count())
    .where(LINE.sales_order_id == ORDER.id, LINE.warehouse_interface_status == SEND)
    .scalar_subquery()
)


# The customer order form's fields, top to bottom (a line's: item, quantity, status).
FIELDS = ("ship_to", "division", "lines", "item", "quantity", "status")


class OrderInvalid(Refused):
    """The order is refused: every value at fault, in the form's order."""

    def __init__(self, problems: Sequence[Problem]):
        super().__init__(problems, FIELDS)


# --- the list -------------------------------------------------------------------------------


COLUMNS = (
    Column("number", "Order", 9, ORDER.number, sort=(ORDER.number,)),
    Column("customer", "Customer", 12, CUSTOMER.name, sort=(CUSTOMER.name,), flex=True),
    Column("ship_to", "Ship to", 10, LOCATION.code, sort=(LOCATION.code,), nullable=True),
    Column("division", "Div.", 5, DIVISION.code, sort=(DIVISION.code,), nullable=True),
    Column("lines", "Lines", 5, LINE_COUNT, sort=(LINE_COUNT,), align="right"),
    Column("to_send", "Send", 4, TO_SEND, sort=(TO_SEND,), align="right"),
    Column(
        "updated",
        "Last modified",
        16,
        ORDER.updated_at,
        sort=(ORDER.updated_at,),
        format=timefmt.local,
    ),
)


class CustomerOrderSource(PagedSource):
    """Customer orders; row key = sales_order.id. The filter matches number, customer, ship-to."""

    columns = COLUMNS
    key = ORDER.id

    def from_clause(self, view: View) -> FromClause:
        return (
            SalesOrder.__table__.join(Customer.__table__, CUSTOMER.id == ORDER.customer_id)
            .outerjoin(CustomerLocation.__table__, LOCATION.id == ORDER.ship_to_id)
            .outerjoin(Division.__table__, DIVISION.id == ORDER.division_id)
        )

    def conditions(self, view: View) -> list[ColumnElement]:
        text = view.text.strip()
        if not text:
            return []
        return [contains(text, ORDER.number, CUSTOMER.name, CUSTOMER.code, LOCATION.name)]


def default_view() -> View:
    return View(sort="updated", descending=True)


# --- look-ups for the form -----------------------------------------------------------------


@dataclass(frozen=True)
class LocationChoice:
    id: int
    code: str
    name: str
    customer_code: str
    customer_name: str

    @property
    def label(self) -> str:
        return f"{self.customer_code} {self.code} · {self.name}"


@dataclass(frozen=True)
class DivisionChoice:
    id: int
    code: str
    name: str


def find_ship_to(db: Database, text: str, limit: int = 6) -> list[LocationChoice]:
    """Ship-to locations whose customer code or name, or own code or name, hold ``text``."""
    text = text.strip()
    if not text:
        return []
    query = (
        select(CustomerLocation, Customer)
        .join(Customer, col(Customer.id) == col(CustomerLocation.customer_id))
        .where(
            col(CustomerLocation.is_ship_to).is_(True),
            contains(
                text,
                col(Customer.code),
                col(Customer.name),
                col(CustomerLocation.code),
                col(CustomerLocation.name),
            ),
        )
        .order_by(col(Customer.code), col(CustomerLocation.code))
        .limit(limit)
    )
    with db.reader() as s:
        return [_location(loc, cust) for loc, cust in s.execute(query).all()]


def divisions(db: Database) -> list[DivisionChoice]:
    with db.reader() as s:
        rows = s.scalars(select(Division).order_by(col(Division.code))).all()
        return [DivisionChoice(saved_id(d), d.code, d.name) for d in rows]


def _location(loc: CustomerLocation, customer: Customer) -> LocationChoice:
    return LocationChoice(saved_id(loc), loc.code, loc.name, customer.code, customer.name)


# --- reading one order -----------------------------------------------------------------------


@dataclass(frozen=True)
class OrderLine:
    id: int | None  # None: a line not saved yet
    item_id: int | None
    quantity: Decimal | str
    status: str = ""  # the line's Warehouse Interface Status
    item_label: str = ""  # SKU · description, for the form


@dataclass(frozen=True)
class OrderEdit:
    """What the customer order form shows and edits."""

    id: int
    number: str
    ship_to: LocationChoice | None
    division_id: int | None
    updated_at: datetime
    lines: list[OrderLine] = field(default_factory=list)


def read_order(db: Database, order_id: int) -> OrderEdit:
    with db.reader() as s:
        order = s.get(SalesOrder, order_id)
        if order is None:
            raise LookupError(f"No customer order with id {order_id}")
        ship_to = None
        if order.ship_to_id is not None:
            loc = s.get(CustomerLocation, order.ship_to_id)
            customer = s.get(Customer, order.customer_id)
            if loc is not None and customer is not None:
                ship_to = _location(loc, customer)
        rows = s.execute(
            select(SalesOrderLine, Item)
            .join(Item, col(Item.id) == col(SalesOrderLine.item_id))
            .where(col(SalesOrderLine.sales_order_id) == order_id)
            .order_by(col(SalesOrderLine.line_no))
        ).all()
        lines = [
            OrderLine(
                line.id,
                item.id,
                line.quantity,
                line.warehouse_interface_status,
                f"{item.sku} · {item.description}",
            )
            for line, item in rows
        ]
        return OrderEdit(
            id=saved_id(order),
            number=order.number,
            ship_to=ship_to,
            division_id=order.division_id,
            updated_at=order.updated_at,
            lines=lines,
        )


# --- saving ----------------------------------------------------------------------------------


def save_order(
    db: Database,
    order_id: int | None,
    ship_to_id: int | None,
    division_id: int | None,
    lines: Sequence[OrderLine],
) -> int:
    """Create (``order_id`` None) or edit a customer order with these lines; its id.

    Quantities may be text, as typed. Saved lines (with an id) are changed in place; lines
    without an id are added. Refused values raise ``OrderInvalid``; nothing is written.
    """
    problems: list[Problem] = []
    quantities = _quantities(lines, problems)
    if ship_to_id is None:
        problems.append(Problem("ship_to", "Ship-to location is required: type part of its name"))
    if division_id is None:
        problems.append(Problem("division", "Choose a division"))
    for _ in range(NUMBER_ATTEMPTS):
        try:
            with db.session() as s:
                return _write(s, order_id, ship_to_id, division_id, lines, quantities, problems)
        except IntegrityError:
            if order_id is None:
                continue  # another console took this number meanwhile: take the next one
            raise
    raise RuntimeError("could not find a free order number; try again")


def _quantities(lines: Sequence[OrderLine], problems: list[Problem]) -> list[Decimal | None]:
    if not lines:
        problems.append(Problem("lines", "A customer order needs at least one line"))
    elif len(lines) > MAX_LINES:
        problems.append(Problem("lines", f"At most {MAX_LINES} lines on one customer order"))
    parsed = []
    for n, line in enumerate(lines, 1):
        if line.item_id is None:
            problems.append(Problem("item", "Item is required: type part of its SKU", n))
        # A saved line may go to 0 (the item is no longer needed); a new one orders something.
        parsed.append(_quantity(line.quantity, n, problems, positive=line.id is None))
        if line.status not in WAREHOUSE_INTERFACE_STATUSES and line.id is None:
            problems.append(Problem("status", f"Choose {_STATUS_WORDS}", n))
    return parsed


def _quantity(
    value: Decimal | str, n: int, problems: list[Problem], *, positive: bool
) -> Decimal | None:
    text = str(value).strip()
    if not text:
        problems.append(Problem("quantity", "Quantity is required", n))
        return None
    try:  # the one rule for typed numbers (not "1_000", "1e3", "NaN" or "²")
        return numbers.parse(text, "Quantity", PLACES, positive=positive)
    except ValueError as exc:
        problems.append(Problem("quantity", str(exc), n))
        return None


def _write(
    s,
    order_id: int | None,
    ship_to_id: int | None,
    division_id: int | None,
    lines: Sequence[OrderLine],
    quantities: list[Decimal | None],
    problems: list[Problem],
) -> int:
    problems = list(problems)
    location = s.get(CustomerLocation, ship_to_id) if ship_to_id is not None else None
    if ship_to_id is not None and (location is None or not location.is_ship_to):
        problems.append(Problem("ship_to", "Choose a ship-to location (Bill To only is not one)"))
    if division_id is not None and s.get(Division, division_id) is None:
        problems.append(Problem("division", f"No division with id {division_id}"))
    for n, line in enumerate(lines, 1):
        if line.item_id is not None and s.get(Item, line.item_id) is None:
            problems.append(Problem("item", f"No item with id {line.item_id}", n))
    order = s.get(SalesOrder, order_id) if order_id is not None else None
    if order_id is not None and order is None:
        raise LookupError(f"No customer order with id {order_id}")
    saved = _saved_lines(s, order_id)
    for n, line in enumerate(lines, 1):
        if line.id is not None and line.id not in saved:
            problems.append(Problem("lines", f"Line {n} is not a line of this order"))
        elif (
            line.id is not None
            and line.status not in WAREHOUSE_INTERFACE_STATUSES
            # A status the operator cannot choose (a commit's) may only stay as it is.
            and line.status != saved[line.id].warehouse_interface_status
        ):
            problems.append(Problem("status", f"Choose {_STATUS_WORDS}", n))
    if problems:
        raise OrderInvalid(problems)
    assert location is not None
    now = utcnow()
    header = {
        "customer_id": location.customer_id,
        "ship_to_id": location.id,
        "division_id": division_id,
    }
    if order is None:
        order = SalesOrder(number=_next_number(s), order_date=now.date(), created_at=now, **header)
        s.add(order)
        s.flush()  # the order's id, for its lines; a taken number fails here
        record(
            s,
            [Change("sales_order", saved_id(order), "created", None, order.number)],
            source=OPERATOR,
        )
        changed = True
    else:
        changed = bool(edit(s, order, header, record_kind="sales_order", po_id=None))
    next_no = max((ln.line_no for ln in saved.values()), default=0) + 1
    for line, quantity in zip(lines, quantities, strict=True):
        values: dict[str, Any] = {
            "item_id": line.item_id,
            "quantity": quantity,
            "warehouse_interface_status": line.status,
        }
        if line.id is not None:
            target = saved[line.id]
            if edit(s, target, values, record_kind="sales_order_line", po_id=None):
                target.updated_at = now
                changed = True
            continue
        added = SalesOrderLine(
            sales_order_id=saved_id(order),
            line_no=next_no,
            created_at=now,
            updated_at=now,
            **values,
        )
        next_no += 1
        s.add(added)
        s.flush()
        record(
            s,
            [Change("sales_order_line", saved_id(added), "created", None, quantity)],
            source=OPERATOR,
        )
        changed = True
    if changed:
        # The Last Modified a batch imports after (the seed: "BEFORE the day/time you created
        # the order").
        order.updated_at = now
        note_change(s, "sales_order", [saved_id(order)])
    return saved_id(order)


def _saved_lines(s, order_id: int | None) -> dict[int, SalesOrderLine]:
    if order_id is None:
        return {}
    rows = s.scalars(select(SalesOrderLine).where(col(SalesOrderLine.sales_order_id) == order_id))
    return {saved_id(line): line for line in rows}


def _next_number(s) -> str:
    numbers = s.scalars(select(col(SalesOrder.number)).where(col(SalesOrder.number).like("SO-%")))
    highest = max((int(m.group(1)) for n in numbers if (m := NUMBER.fullmatch(n))), default=0)
    return f"SO-{highest + 1}"
