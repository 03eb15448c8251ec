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

Every answer that breaks this contract raises ``MalformedResponse`` saying what was wrong.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.base import JsonClient, MalformedResponse
from connectors.currencies import is_currency

PARTNER = "The supplier"
LINE_STATUSES = ("active", "cancelled")


@dataclass(frozen=True)
class FeedChange:
    seq: int
    supplier_account: str
    order_no: str
    notified_at: datetime
    what: str | None = None


@dataclass(frozen=True)
class FeedPage:
    changes: list[FeedChange]
    next_cursor: str | None


@dataclass(frozen=True)
class SupplierLine:
    line_no: int
    supplier_part_no: str
    upc: str | None
    description: str
    quantity_ordered: Decimal
    quantity_confirmed: Decimal | None
    unit_cost: Decimal
    expected_date: date | None
    status: str  # "active" | "cancelled"

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"

    def as_json(self) -> dict[str, Any]:
        """The line as plain JSON values (for a notification's prefill payload)."""
        return {k: _plain(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class SupplierOrder:
    order_no: str
    supplier_account: str
    buyer_po_number: str | None
    currency: str
    expected_date: date | None
    lines: tuple[SupplierLine, ...]


class SupplierClient(JsonClient):
    """Async client of the supplier B2B contract above. Use as ``async with``."""

    partner = PARTNER

    async def feed(self, cursor: str | None = None, limit: int = 200) -> FeedPage:
        body = await self.get_json("/feed", cursor=cursor or None, limit=limit)
        return parse_feed(body)

    async def order(self, order_no: str) -> SupplierOrder:
        body = await self.get_json(f"/orders/{order_no}")
        order = parse_order(body)
        if order.order_no != order_no:
            raise MalformedResponse(
                f"Asked the supplier for order {order_no} but got order {order.order_no}",
                detail={"order_no": order_no},
            )
        return order

    async def orders_for_po(
        self, supplier_account: str, buyer_po_number: str
    ) -> list[SupplierOrder]:
        body = await self.get_json(
            "/orders", supplier_account=supplier_account, buyer_po_number=buyer_po_number
        )
        if not isinstance(body, dict) or not isinstance(body.get("orders"), list):
            raise MalformedResponse("The supplier's order search has no list of orders")
        return [parse_order(o) for o in body["orders"]]


# --- parsing -------------------------------------------------------------------------------


class _Bad(Exception):
    """One thing wrong with a body, in plain words."""


def parse_feed(body: Any) -> FeedPage:
    try:
        if not isinstance(body, dict) or not isinstance(body.get("changes"), list):
            raise _Bad("it has no list of changes")
        changes = []
        for i, raw in enumerate(body["changes"], 1):
            if not isinstance(raw, dict):
                raise _Bad(f"change {i} is not an object")
            changes.append(
                FeedChange(
                    seq=_int(raw, "seq", f"change {i}", minimum=0),
                    supplier_account=_text(raw, "supplier_account", f"change {i}"),
                    order_no=_text(raw, "order_no", f"change {i}"),
                    notified_at=_timestamp(raw, "notified_at", f"change {i}"),
                    what=_opt_text(raw, "what", f"change {i}", max_len=None),
                )
            )
        next_cursor = body.get("next_cursor")
        if next_cursor is not None and not isinstance(next_cursor, str | int):
            raise _Bad("next_cursor is not text")
    except _Bad as exc:
        raise MalformedResponse(f"The supplier's change feed is malformed: {exc}") from None
    return FeedPage(changes, None if next_cursor is None else str(next_cursor))


def parse_order(body: Any) -> SupplierOrder:
    """A supplier order from its JSON body, or MalformedResponse naming the order and the fault."""
    order_no = body.get("order_no") if isinstance(body, dict) else None
    known = {"order_no": order_no} if isinstance(order_no, str) else {}
    if isinstance(body, dict):
        for key in ("supplier_account", "buyer_po_number"):
            if isinstance(body.get(key), str):
                known[key] = body[key]
    try:
        if not isinstance(body, dict):
            raise _Bad("the body is not a JSON object")
        currency = body.get("currency")
        if not is_currency(currency):
            raise _Bad(f"unknown currency {currency!r} (not an ISO 4217 code)")
        lines = body.get("lines")
        if not isinstance(lines, list):
            raise _Bad("it has no list of lines")
        parsed = tuple(_line(raw, i) for i, raw in enumerate(lines, 1))
        numbers = [line.line_no for line in parsed]
        if len(set(numbers)) != len(numbers):
            raise _Bad("two lines have the same line number")
        order = SupplierOrder(
            order_no=_text(body, "order_no", "the order"),
            supplier_account=_text(body, "supplier_account", "the order"),
            buyer_po_number=_opt_text(body, "buyer_po_number", "the order"),
            currency=currency,
            expected_date=_date(body, "expected_date", "the order"),
            lines=parsed,
        )
    except _Bad as exc:
        name = f"Supplier order {order_no}" if known.get("order_no") else "A supplier order"
        raise MalformedResponse(f"{name} is malformed: {exc}", detail=known) from None
    return order


def _line(raw: Any, i: int) -> SupplierLine:
    if not isinstance(raw, dict):
        raise _Bad(f"line {i} is not an object")
    where = f"line {raw.get('line_no', i)}"
    status = raw.get("status", "active")
    if status not in LINE_STATUSES:
        raise _Bad(f"{where} has an unknown status {status!r}")
    return SupplierLine(
        line_no=_int(raw, "line_no", where, minimum=1),
        supplier_part_no=_text(raw, "supplier_part_no", where),
        upc=_opt_text(raw, "upc", where, max_len=14),
        # A long description is cut rather than refused: it is only shown.
        description=(_opt_text(raw, "description", where, max_len=None) or "")[:200],
        quantity_ordered=_decimal(raw, "quantity_ordered", where),
        quantity_confirmed=_decimal(raw, "quantity_confirmed", where, optional=True),
        unit_cost=_decimal(raw, "unit_cost", where),
        expected_date=_date(raw, "expected_date", where),
        status=status,
    )


def _text(raw: dict, key: str, where: str, max_len: int = 40) -> str:
    value = _opt_text(raw, key, where, max_len)
    if not value:
        raise _Bad(f"{where} has no {key.replace('_', ' ')}")
    return value


def _opt_text(raw: dict, key: str, where: str, max_len: int | None = 40) -> str | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _Bad(f"{where}: {key.replace('_', ' ')} is not text")
    value = value.strip()
    if max_len is not None and len(value) > max_len:
        raise _Bad(f"{where}: {key.replace('_', ' ')} is longer than {max_len} characters")
    return value


def _int(raw: dict, key: str, where: str, *, minimum: int) -> int:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _Bad(f"{where}: {key.replace('_', ' ')} is not a whole number ≥ {minimum}")
    return value


def _decimal(raw: dict, key: str, where: str, *, optional: bool = False) -> Decimal | None:
    value = raw.get(key)
    name = key.replace("_", " ")
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _Bad(f"{where} has no {name}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise _Bad(f"{where}: {name} {value!r} is not a number") from None
    if not number.is_finite():
        raise _Bad(f"{where}: {name} {value!r} is not a number")
    if number < 0:
        raise _Bad(f"{where} has a negative {name} ({value})")
    return number


def _date(raw: dict, key: str, where: str) -> date | None:
    value = raw.get(key)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise _Bad(f"{where}: {key.replace('_', ' ')} {value!r} is not a date") from None


def _timestamp(raw: dict, key: str, where: str) -> datetime:
    value = raw.get(key)
    try:
        stamp = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise _Bad(f"{where}: {key.replace('_', ' ')} {value!r} is not a timestamp") from None
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
