"""The "Enable Warehouse Interface" flags (Ovotrack seed, "Prerequisites"): on each division
("Master>Administration>Division") and each customer location ("Master>Sales>Customer>Profile>
Locations"), and the customer locations as the console pages them.

"Ovotrack will sync Customer Location that has the Ship To Location flag checked. If it is marked
as Bill To Location only, it will not sync": the list says which a location is. Setting a flag
writes an audit entry per record changed (source "operator") and a change note, so the batch
screens and other consoles re-read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.sql import ColumnElement, FromClause
from sqlmodel import col

from posync_tui import links
from posync_tui.audit import edit
from posync_tui.db import Database
from posync_tui.events import note_change
from posync_tui.models import Customer, CustomerLocation, Division, saved_id
from posync_tui.paging import Column, PagedSource, View, contains
from posync_tui.services import warehouse_rules as rules

LOCATION = CustomerLocation.__table__.c
CUSTOMER = Customer.__table__.c
# Sent to Ovotrack: posync remembers it exists there (a partner link).
IN_OVOTRACK: ColumnElement = LOCATION.id.in_(links.linked(rules.CONNECTOR, rules.LOCATION))


def _tick(value) -> str:
    return "✓" if value else "–"


COLUMNS = (
    Column("customer", "Customer", 12, CUSTOMER.name, sort=(CUSTOMER.name,), flex=True),
    Column("location", "Location", 16, LOCATION.name, sort=(LOCATION.name,)),
    Column("role", "Ship/Bill", 12, LOCATION.is_ship_to, sort=(LOCATION.is_ship_to,),
           format=lambda v: "Ship To" if v else "Bill To only"),
    Column("interface", "Interface", 9, LOCATION.warehouse_interface,
           sort=(LOCATION.warehouse_interface,), format=_tick),
    Column("in_ovotrack", "Ovotrack", 8, IN_OVOTRACK, format=_tick),
)  # fmt: skip


class LocationSource(PagedSource):
    """Customer locations; row key = customer_location.id. The filter matches the customer's
    code or name and the location's code or name."""

    columns = COLUMNS
    key = LOCATION.id

    def from_clause(self, view: View) -> FromClause:
        return CustomerLocation.__table__.join(
            Customer.__table__, CUSTOMER.id == LOCATION.customer_id
        )

    def conditions(self, view: View) -> list[ColumnElement]:
        text = view.text.strip()
        if not text:
            return []
        return [contains(text, CUSTOMER.code, CUSTOMER.name, LOCATION.code, LOCATION.name)]


def location_view() -> View:
    return View(sort="customer")


@dataclass(frozen=True)
class DivisionFlag:
    id: int
    code: str
    name: str
    warehouse_interface: bool


def division_flags(db: Database) -> list[DivisionFlag]:
    with db.reader() as s:
        rows = s.scalars(select(Division).order_by(col(Division.code))).all()
        return [DivisionFlag(saved_id(d), d.code, d.name, d.warehouse_interface) for d in rows]


def set_division_flags(db: Database, flags: dict[int, bool]) -> int:
    """Set Enable Warehouse Interface on these divisions (id → on); how many changed."""
    return _set(db, Division, "division", flags)


def set_location_flags(db: Database, location_ids: Sequence[int], on: bool) -> int:
    """Set Enable Warehouse Interface on these customer locations; how many changed."""
    return _set(db, CustomerLocation, "customer_location", dict.fromkeys(location_ids, on))


def _set(db: Database, table, kind: str, flags: dict[int, bool]) -> int:
    changed: list[int] = []
    with db.session() as s:
        for record in s.scalars(select(table).where(col(table.id).in_(list(flags)))):
            made = edit(
                s,
                record,
                {"warehouse_interface": flags[record.id]},
                record_kind=kind,
                po_id=None,
            )
            if made:
                changed.append(saved_id(record))
        if changed:
            note_change(s, kind, changed)
    return len(changed)
