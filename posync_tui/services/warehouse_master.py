"""Customer locations and items sent to Ovotrack (customer data sync, item sync), and
posync's memory of which exist there (a ``partner_link`` each, connector "warehouse").

Only Ship To locations with Enable Warehouse Interface set are sent (Bill To only: never).
Ovotrack creates or updates by code, so sending again is harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import col

from connectors.warehouse import ItemOut, Location, WarehouseClient
from posync_tui import links
from posync_tui.db import Database
from posync_tui.events import note_change
from posync_tui.models import Customer, CustomerLocation, Item, SalesOrderLine, saved_id
from posync_tui.runtime import Runtime
from posync_tui.services.warehouse_rules import CONNECTOR, ITEM, LOCATION, location_code

Progress = Callable[[int, int], None]
CHUNK = 500


@dataclass(frozen=True)
class Unsent:
    """A location or item Ovotrack does not have yet."""

    id: int
    code: str  # its Ovotrack code
    name: str


def unsent_locations(db: Database) -> list[Unsent]:
    """Ship To locations with the interface enabled that were never sent to Ovotrack."""
    query = (
        select(CustomerLocation, col(Customer.code))
        .join(Customer, col(Customer.id) == col(CustomerLocation.customer_id))
        .where(
            col(CustomerLocation.is_ship_to).is_(True),
            col(CustomerLocation.warehouse_interface).is_(True),
            col(CustomerLocation.id).not_in(links.linked(CONNECTOR, LOCATION)),
        )
        .order_by(col(Customer.code), col(CustomerLocation.code))
    )
    with db.reader() as s:
        return [
            Unsent(loc.id, location_code(customer, loc.code), loc.name)
            for loc, customer in s.execute(query)
        ]


def unsent_items(db: Database) -> list[Unsent]:
    """Items customers order (on customer order lines) that were never sent to Ovotrack."""
    wanted = select(col(SalesOrderLine.item_id))
    query = (
        select(Item)
        .where(
            col(Item.id).in_(wanted),
            col(Item.id).not_in(links.linked(CONNECTOR, ITEM)),
        )
        .order_by(col(Item.sku))
    )
    with db.reader() as s:
        return [Unsent(saved_id(item), item.sku, item.description) for item in s.scalars(query)]


@dataclass(frozen=True)
class MasterDataSent:
    locations: int
    items: int

    @property
    def summary(self) -> str:
        return f"{self.locations:,} location(s) and {self.items:,} item(s) sent to Ovotrack"


async def send_master_data(
    rt: Runtime,
    *,
    location_ids: list[int] | None = None,
    item_ids: list[int] | None = None,
    progress: Progress | None = None,
    client: WarehouseClient | None = None,
) -> MasterDataSent:
    """Send the unsent locations and items (or these) to Ovotrack and remember each."""
    import asyncio

    from posync_tui.services.warehouse_partner import warehouse_client

    locations = await asyncio.to_thread(unsent_locations, rt.db)
    items = await asyncio.to_thread(unsent_items, rt.db)
    if location_ids is not None:
        locations = [u for u in locations if u.id in set(location_ids)]
    if item_ids is not None:
        items = [u for u in items if u.id in set(item_ids)]
    details = await asyncio.to_thread(_location_details, rt.db, [u.id for u in locations])
    total, done = len(locations) + len(items), 0
    if client is None:  # made in a thread: its TLS context takes tens of ms to read
        client = await asyncio.to_thread(warehouse_client, rt)
    async with client as ovotrack:
        for at in range(0, len(locations), CHUNK):
            chunk = locations[at : at + CHUNK]
            made = await ovotrack.push_locations([details[u.id] for u in chunk])
            await asyncio.to_thread(_remember, rt.db, LOCATION, "Location", chunk, made)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
        for at in range(0, len(items), CHUNK):
            chunk = items[at : at + CHUNK]
            made = await ovotrack.push_items([ItemOut(u.code, u.name) for u in chunk])
            await asyncio.to_thread(_remember, rt.db, ITEM, "Item", chunk, made)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
    return MasterDataSent(len(locations), len(items))


def _location_details(db: Database, ids: list[int]) -> dict[int, Location]:
    query = (
        select(CustomerLocation, col(Customer.code))
        .join(Customer, col(Customer.id) == col(CustomerLocation.customer_id))
        .where(col(CustomerLocation.id).in_(ids))
    )
    with db.reader() as s:
        return {
            loc.id: Location(
                code=location_code(customer, loc.code),
                customer_code=customer,
                name=loc.name,
                address=loc.address,
                city=loc.city,
            )
            for loc, customer in s.execute(query)
        }


def _remember(
    db: Database, record_kind: str, partner_kind: str, sent: list[Unsent], made: dict[str, str]
) -> None:
    with db.session() as s:
        links.link(
            s,
            CONNECTOR,
            record_kind,
            [links.Made(u.id, partner_kind, made[u.code], u.code) for u in sent],
        )
        note_change(s, record_kind, [u.id for u in sent])
