"""Supplier B2B client: a change feed and a fetch of one supplier order.

Suppliers' B2B systems have no common public API, so posync defines this small JSON-over-HTTP
contract; a real supplier's adapter implements the same three calls and nothing else changes.

Authentication: ``Authorization: Bearer <api_key>`` when an API key is configured.

``GET /feed?cursor=<cursor>&limit=<1..500>`` — what changed since ``cursor``::

    200 {"changes": [{"seq": 41, "supplier_account": "ACME-001", "order_no": "SO-1001",
                      "notified_at": "2026-11-23T09:30:00Z", "what": "line 2 quantity"}],
         "next_cursor": "41"}

  Changes come in increasing ``seq``. A cursor is the ``seq`` (as text) of the last change the
  client has consumed; no cursor means from the start. ``next_cursor`` is the seq of the last
  change in the page, or the given cursor when the page is empty. A client that stops part-way
  through a page resumes from the seq of the last change it applied. ``what`` is optional text.

``GET /orders/{order_no}`` — the supplier's order as it is now (404 if unknown)::

    200 {"order_no": "SO-1001", "supplier_account": "ACME-001",
         "buyer_po_number": "PO-000123",    # null: created directly with the supplier
         "currency": "USD",                  # ISO 4217
         "expected_date": "2026-12-01",      # or null
         "lines": [{"line_no": 1, "supplier_part_no": "AC-100", "upc": "012345678905",
                    "description": "Widget", "quantity_ordered": "12",
                    "quantity_confirmed": "10",  # or null: not confirmed yet
                    "unit_cost": "4.2500", "expected_date": "2026-12-01",
                    "status": "active"}]}    # or "cancelled"

  ``line_no`` is the buyer's PO line number for lines that came from the buyer's PO; lines the
  supplier adds get numbers above them. Quantities and money are decimal strings (JSON numbers
  are accepted too) and are never negative.

``GET /orders?supplier_account=<account>&buyer_po_number=<po>`` — the supplier's orders made
from one buyer PO: ``200 {"orders": [order, ...]}`` (usually none or one).

Every answer that breaks this contract raises ``MalformedResponse`` saying what was wrong and
where (``where``: the field's path), with the body received (``raw``). The records are validated
by pydantic from their annotations below.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, TypeAdapter
from pydantic_core import PydanticCustomError

from connectors.base import MalformedResponse, PartnerClient, path
from connectors.currencies import is_currency
from connectors.validation import (
    WHOLE_LIMIT,
    Amount,
    Day,
    LongText,
    OptionalText,
    Text,
    Timestamp,
    Upc,
    validate,
)

PARTNER = "The supplier"
LINE_STATUSES = ("active", "cancelled")


def _defaults(**values: Any) -> BeforeValidator:
    """Keys the contract lets a partner leave out, filled in before validation."""
    return BeforeValidator(lambda raw: {**values, **raw} if isinstance(raw, dict) else raw)


def _cursor(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _description(value: Any) -> Any:
    return "" if value is None else value


def _currency(value: str) -> str:
    if not is_currency(value):
        raise PydanticCustomError(
            "currency", "unknown currency {value} (not an ISO 4217 code)", {"value": repr(value)}
        )
    return value


def _distinct_line_numbers(lines: tuple[SupplierLine, ...]) -> tuple[SupplierLine, ...]:
    numbers = [line.line_no for line in lines]
    if len(set(numbers)) != len(numbers):
        raise PydanticCustomError("line_numbers", "two lines have the same line number")
    return lines


# A long description is cut rather than refused: it is only shown.
Description = Annotated[
    str,
    Field(strict=True),
    AfterValidator(lambda s: s.strip()[:200]),
    BeforeValidator(_description),
]
LineNo = Annotated[int, Field(strict=True, ge=1, le=WHOLE_LIMIT)]
Seq = Annotated[int, Field(strict=True, ge=0, le=2**63 - 1)]


@dataclass(frozen=True)
class FeedChange:
    seq: Seq
    supplier_account: Text
    order_no: Text
    notified_at: Timestamp
    what: LongText = None


@dataclass(frozen=True)
class FeedPage:
    changes: list[FeedChange]
    next_cursor: Annotated[str | None, Field(strict=True), BeforeValidator(_cursor)]


@dataclass(frozen=True)
class SupplierLine:
    line_no: LineNo
    supplier_part_no: Text
    upc: Upc
    description: Description
    quantity_ordered: Amount
    quantity_confirmed: Amount | None
    unit_cost: Amount
    expected_date: Day | None
    status: Literal["active", "cancelled"]

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"

    def as_json(self) -> dict[str, Any]:
        """The line as plain JSON values (for a notification's prefill payload)."""
        return {k: _plain(v) for k, v in asdict(self).items()}


WireLine = Annotated[
    SupplierLine,
    _defaults(
        upc=None, description="", quantity_confirmed=None, expected_date=None, status="active"
    ),
]


@dataclass(frozen=True)
class SupplierOrder:
    order_no: Text
    supplier_account: Text
    buyer_po_number: OptionalText
    currency: Annotated[str, Field(strict=True), AfterValidator(_currency)]
    expected_date: Day | None
    lines: Annotated[tuple[WireLine, ...], AfterValidator(_distinct_line_numbers)]


WireOrder = Annotated[SupplierOrder, _defaults(buyer_po_number=None, expected_date=None)]


@dataclass(frozen=True)
class _OrderSearch:
    orders: list[WireOrder]


_FEED = TypeAdapter(Annotated[FeedPage, _defaults(next_cursor=None)])
_ORDER = TypeAdapter(WireOrder)
_SEARCH = TypeAdapter(_OrderSearch)


class SupplierClient(PartnerClient):
    """Async client of the supplier B2B contract above. Use as ``async with``."""

    partner = PARTNER

    async def feed(self, cursor: str | None = None, limit: int = 200) -> FeedPage:
        reply = await self.get("/feed", params={"cursor": cursor or None, "limit": limit})
        return reply.json_as(parse_feed)

    async def order(self, order_no: str) -> SupplierOrder:
        reply = await self.get(path("orders", order_no))
        order = reply.json_as(parse_order)
        if order.order_no != order_no:
            raise MalformedResponse(
                f"Asked the supplier for order {order_no} but got order {order.order_no}",
                where="$.order_no",
                raw=reply.raw,
                detail={"order_no": order_no},
            )
        return order

    async def orders_for_po(
        self, supplier_account: str, buyer_po_number: str
    ) -> list[SupplierOrder]:
        params = {"supplier_account": supplier_account, "buyer_po_number": buyer_po_number}
        reply = await self.get("/orders", params=params)
        return reply.json_as(parse_search)


def parse_feed(body: Any) -> FeedPage:
    return validate(_FEED, body, "The supplier's change feed")


def parse_search(body: Any) -> list[SupplierOrder]:
    return validate(_SEARCH, body, "The supplier's order search").orders


def parse_order(body: Any) -> SupplierOrder:
    """A supplier order from its JSON body, or MalformedResponse naming the order and the fault."""
    known = {}
    if isinstance(body, dict):
        for key in ("order_no", "supplier_account", "buyer_po_number"):
            if isinstance(body.get(key), str):
                known[key] = body[key]
    name = f"Supplier order {known['order_no']}" if "order_no" in known else "A supplier order"
    return validate(_ORDER, body, name, detail=known)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value
