"""Ovotrack (the warehouse) client: master data, customer order lines, and what became of them.

Ovotrack has no public API, so posync defines the JSON-over-HTTP contract in
``docs/warehouse.md``; a real adapter implements the same calls and nothing else changes.
In short:

- ``PUT /locations``, ``PUT /items`` — customer (ship-to) locations and items, created or
  updated by ``code``; answered with Ovotrack's id of each.
- ``POST /order-lines`` — customer order lines, each with its own idempotency ``key``: a key
  Ovotrack has seen is answered as it was the first time; a new key creates or updates the line
  ``(order_no, line_no)``, so no line is ever held twice. Each line is accepted (with Ovotrack's
  line) or rejected (a code and a message) on its own.
- ``POST /order-lines/lookup`` — the lines accepted under these keys (an answer may be lost).
- ``POST /order-lines/status`` — the lines as Ovotrack holds them now: the quantity it will
  ship, picked, completed.

Quantities are decimal strings (JSON numbers are accepted too), never negative.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from connectors.base import MalformedResponse, PartnerClient
from connectors.validation import Amount, LongText, RequiredLongText, Text, validate

PARTNER = "Ovotrack"
LineNo = Annotated[int, Field(strict=True, ge=1, le=2**31 - 1)]
Ref = tuple[str, int]  # (order_no, line_no): how Ovotrack tells its order lines apart


@dataclass(frozen=True)
class Location:
    """A customer ship-to location as Ovotrack keeps it."""

    code: str  # "<customer code>-<location code>"
    customer_code: str
    name: str
    address: str = ""
    city: str = ""


@dataclass(frozen=True)
class ItemOut:
    code: str  # the SKU
    description: str


@dataclass(frozen=True)
class LineOut:
    """A customer order line sent to Ovotrack."""

    key: str  # idempotency key: one per version of the line
    order_no: str
    line_no: int
    location: str
    item: str
    quantity: Decimal


@dataclass(frozen=True)
class OvoLine:
    """An order line as Ovotrack holds it."""

    id: Text
    order_no: Text
    line_no: LineNo
    location: Text
    item: Text
    quantity: Amount
    ship_quantity: Amount  # what Ovotrack will ship: the Received Quantity
    picked: bool
    completed: bool
    key: Annotated[str, Field(strict=True, min_length=1, max_length=120)]

    @property
    def ref(self) -> Ref:
        return (self.order_no, self.line_no)


@dataclass(frozen=True)
class LineResult:
    key: Annotated[str, Field(strict=True, min_length=1, max_length=120)]
    status: Literal["accepted", "rejected"]
    line: OvoLine | None = None
    code: LongText = None
    message: LongText = None


@dataclass(frozen=True)
class _Made:
    code: RequiredLongText
    id: Text


@dataclass(frozen=True)
class _Locations:
    locations: list[_Made]


@dataclass(frozen=True)
class _Items:
    items: list[_Made]


@dataclass(frozen=True)
class _Results:
    results: list[LineResult]


@dataclass(frozen=True)
class _Lines:
    lines: list[OvoLine]


_LOCATIONS = TypeAdapter(_Locations)
_ITEMS = TypeAdapter(_Items)
_RESULTS = TypeAdapter(_Results)
_LINES = TypeAdapter(_Lines)


class WarehouseClient(PartnerClient):
    """Async client of the Ovotrack contract (``docs/warehouse.md``). Use as ``async with``."""

    partner = PARTNER

    async def push_locations(self, locations: list[Location]) -> dict[str, str]:
        """Create or update these locations; Ovotrack's id of each, by code."""
        body = {"locations": [asdict(loc) for loc in locations]}
        reply = await self.put("/locations", json=body)
        made = await self.parsed(reply, parse_locations)
        return _by_code(made, [loc.code for loc in locations], "locations", reply.raw)

    async def push_items(self, items: list[ItemOut]) -> dict[str, str]:
        """Create or update these items; Ovotrack's id of each, by code."""
        reply = await self.put("/items", json={"items": [asdict(item) for item in items]})
        made = await self.parsed(reply, parse_items)
        return _by_code(made, [item.code for item in items], "items", reply.raw)

    async def send_lines(self, lines: list[LineOut]) -> dict[str, LineResult]:
        """Send order lines; each line's result by its key (a key missing: no answer for it)."""
        body = {"lines": [_line_json(line) for line in lines]}
        reply = await self.post("/order-lines", json=body)
        return {r.key: r for r in await self.parsed(reply, parse_results)}

    async def look_up(self, keys: list[str]) -> dict[str, OvoLine]:
        """The lines Ovotrack accepted under these keys, by key (a key missing: not found)."""
        reply = await self.post("/order-lines/lookup", json={"keys": keys})
        found = await self.parsed(reply, lambda body: parse_lines(body, "Ovotrack's line look-up"))
        asked = set(keys)
        return {line.key: line for line in found if line.key in asked}

    async def line_status(self, refs: list[Ref]) -> dict[Ref, OvoLine]:
        """These order lines as Ovotrack holds them now, by (order_no, line_no)."""
        body = {"lines": [{"order_no": o, "line_no": n} for o, n in refs]}
        reply = await self.post("/order-lines/status", json=body)
        found = await self.parsed(reply, lambda body: parse_lines(body, "Ovotrack's line status"))
        asked = set(refs)
        return {line.ref: line for line in found if line.ref in asked}


def parse_locations(body: Any) -> list[_Made]:
    return validate(_LOCATIONS, body, "Ovotrack's locations answer").locations


def parse_items(body: Any) -> list[_Made]:
    return validate(_ITEMS, body, "Ovotrack's items answer").items


def parse_results(body: Any) -> list[LineResult]:
    return validate(_RESULTS, body, "Ovotrack's order lines answer").results


def parse_lines(body: Any, what: str) -> list[OvoLine]:
    """The lines of a look-up or status answer (``what``: which, for the error message)."""
    return validate(_LINES, body, what).lines


def _line_json(line: LineOut) -> dict[str, Any]:
    # Field by field: ``asdict`` deep-copies each line, slower than the rest of the encoding.
    return {
        "key": line.key,
        "order_no": line.order_no,
        "line_no": line.line_no,
        "location": line.location,
        "item": line.item,
        "quantity": str(line.quantity),
    }


def _by_code(made: list[_Made], sent: list[str], what: str, raw: str) -> dict[str, str]:
    found = {m.code: m.id for m in made}
    missing = [code for code in sent if code not in found]
    if missing:
        raise MalformedResponse(
            f"Ovotrack's {what} answer leaves out {', '.join(missing[:5])}",
            where=f"$.{what}",
            raw=raw,
        )
    return found
