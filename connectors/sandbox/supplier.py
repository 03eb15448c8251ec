"""A simulated supplier B2B system speaking the contract in ``connectors/supplier.py``.

Tests and the demo script it: a supplier receives a buyer's PO or has an order created directly
with it, changes quantities, costs and dates, adds a line (perhaps with an item nobody knows),
cancels a line. Every change appends to the change feed with the time the supplier notified.
It can also stop answering, fail or throttle (``faults``), fail one order fetch
(``fail_next_fetch``), serve any body for an order (``break_order``: a 10 MB text, 50,000
nested brackets), date a notification at any time (``notify(at=...)``), and take order numbers
no URL may carry (``create_order(order_no=...)``) to show what bad input does.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from connectors.sandbox.control import control_route
from connectors.sandbox.faults import Faults

LINE_FIELDS = ("quantity_ordered", "quantity_confirmed", "unit_cost", "expected_date")
ORDER_FIELDS = ("expected_date", "currency", "buyer_po_number")
_UNSET = object()


def _wire(value: Any) -> Any:
    """A scripted value as the wire carries it: decimals as text, dates ISO."""
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return str(Decimal(str(value)))
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


class SupplierSandbox:
    name = "supplier"

    def __init__(self, *, clock: Callable[[], datetime] | None = None, first_order_no: int = 1001):
        self.faults = Faults()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._orders: dict[str, dict[str, Any]] = {}
        self._broken: dict[str, Any] = {}
        self._fetch_failures: list[int] = []
        self._feed: list[dict[str, Any]] = []
        self._numbers = itertools.count(first_order_no)

    # --- scripting API (thread-safe; each change appends to the feed) ----------------------

    def create_order(
        self,
        supplier_account: str,
        lines: list[dict[str, Any]],
        *,
        buyer_po_number: str | None = None,
        currency: str = "USD",
        expected_date: date | str | None = None,
        order_no: str | None = None,
    ) -> str:
        """An order made from a buyer's PO (``buyer_po_number``) or directly with the supplier."""
        with self._lock:
            order_no = order_no or f"SO-{next(self._numbers)}"
            if order_no in self._orders:
                raise ValueError(f"order {order_no} already exists")
            order = {
                "order_no": order_no,
                "supplier_account": supplier_account,
                "buyer_po_number": buyer_po_number,
                "currency": currency,
                "expected_date": _wire(expected_date),
                "lines": [],
            }
            for i, line in enumerate(lines, 1):
                order["lines"].append(self._new_line(line, line.get("line_no", i), expected_date))
            self._orders[order_no] = order
            self._notify(order, "created")
        return order_no

    def change_line(self, order_no: str, line_no: int, **fields: Any) -> None:
        """Change a line's quantity_ordered/quantity_confirmed/unit_cost/expected_date."""
        unknown = set(fields) - set(LINE_FIELDS)
        if unknown:
            raise ValueError(f"cannot change {sorted(unknown)}; can change {LINE_FIELDS}")
        with self._lock:
            order = self._order(order_no)
            line = self._line(order, line_no)
            line.update({k: _wire(v) for k, v in fields.items()})
            self._notify(order, f"line {line_no}: {', '.join(fields)}")

    def change_order(self, order_no: str, **fields: Any) -> None:
        """Change the order's expected_date, currency or buyer_po_number."""
        unknown = set(fields) - set(ORDER_FIELDS)
        if unknown:
            raise ValueError(f"cannot change {sorted(unknown)}; can change {ORDER_FIELDS}")
        with self._lock:
            order = self._order(order_no)
            order.update({k: _wire(v) for k, v in fields.items()})
            self._notify(order, ", ".join(fields))

    def add_line(
        self,
        order_no: str,
        supplier_part_no: str,
        quantity: Decimal | int | str,
        unit_cost: Decimal | int | str,
        *,
        description: str = "",
        upc: str | None = None,
        expected_date: date | str | None = None,
    ) -> int:
        """Add a line, possibly with an item posync has never heard of. Returns its line_no."""
        with self._lock:
            order = self._order(order_no)
            line_no = max((ln["line_no"] for ln in order["lines"]), default=0) + 1
            spec = {
                "supplier_part_no": supplier_part_no,
                "upc": upc,
                "description": description,
                "quantity": quantity,
                "unit_cost": unit_cost,
                "expected_date": expected_date,
            }
            order["lines"].append(self._new_line(spec, line_no, order["expected_date"]))
            self._notify(order, f"line {line_no} added")
        return line_no

    def cancel_line(self, order_no: str, line_no: int) -> None:
        with self._lock:
            order = self._order(order_no)
            self._line(order, line_no)["status"] = "cancelled"
            self._notify(order, f"line {line_no} cancelled")

    def break_order(self, order_no: str, body: Any) -> None:
        """Serve ``body`` (any JSON value, or a str sent as plain text) for this order from now
        on, and notify a change; ``repair_order`` serves the real order again."""
        with self._lock:
            order = self._order(order_no)
            self._broken[order_no] = copy.deepcopy(body)
            self._notify(order, "broken body")

    def repair_order(self, order_no: str) -> None:
        with self._lock:
            self._broken.pop(order_no, None)
            self._notify(self._order(order_no), "repaired")

    def fail_next_fetch(self, n: int = 1, status: int = 503) -> None:
        """Fail the next ``n`` order fetches while the feed still answers (``faults`` fail
        every call): the supplier notified, but its order could not be read."""
        with self._lock:
            self._fetch_failures.extend([status] * n)

    def notify(self, order_no: str, what: str = "resent", *, at: str | None = None) -> None:
        """Send a change notification for an order without changing it; ``at``: the time it is
        dated, as the supplier's (perhaps wrong) clock writes it."""
        with self._lock:
            self._notify(self._order(order_no), what, at)

    def notify_unknown(self, supplier_account: str, order_no: str) -> None:
        """A notification for an order the supplier cannot produce (its fetch answers 404)."""
        with self._lock:
            self._notify({"supplier_account": supplier_account, "order_no": order_no}, "ghost")

    def order(self, order_no: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._order(order_no))

    def feed_length(self) -> int:
        with self._lock:
            return len(self._feed)

    def ops(self) -> dict[str, Callable[..., Any]]:
        """The scripting methods ``/_control`` may call."""
        names = (
            "create_order",
            "change_line",
            "change_order",
            "add_line",
            "cancel_line",
            "break_order",
            "repair_order",
            "notify",
            "notify_unknown",
            "order",
            "feed_length",
        )
        return {n: getattr(self, n) for n in names}

    # --- state helpers (called with the lock held) -----------------------------------------

    def _order(self, order_no: str) -> dict[str, Any]:
        try:
            return self._orders[order_no]
        except KeyError:
            raise KeyError(f"the supplier has no order {order_no}") from None

    @staticmethod
    def _line(order: dict[str, Any], line_no: int) -> dict[str, Any]:
        for line in order["lines"]:
            if line["line_no"] == line_no:
                return line
        raise KeyError(f"order {order['order_no']} has no line {line_no}")

    @staticmethod
    def _new_line(spec: dict[str, Any], line_no: int, expected: Any) -> dict[str, Any]:
        quantity = spec.get("quantity_ordered", spec.get("quantity"))
        return {
            "line_no": line_no,
            "supplier_part_no": spec["supplier_part_no"],
            "upc": spec.get("upc"),
            "description": spec.get("description", ""),
            "quantity_ordered": _wire(quantity),
            "quantity_confirmed": _wire(spec.get("quantity_confirmed")),
            "unit_cost": _wire(spec["unit_cost"]),
            "expected_date": _wire(spec.get("expected_date") or expected),
            "status": "active",
        }

    def _notify(self, order: dict[str, Any], what: str, at: str | None = None) -> None:
        self._feed.append(
            {
                "seq": len(self._feed) + 1,
                "supplier_account": order["supplier_account"],
                "order_no": order["order_no"],
                "notified_at": at or self._clock().isoformat(),
                "what": what,
            }
        )

    # --- HTTP ------------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/feed", self._get_feed),
            Route("/orders", self._search_orders),
            Route("/orders/{order_no}", self._get_order),
            control_route(self.ops(), self.faults),
        ]

    async def _get_feed(self, request: Request) -> Response:
        cursor = request.query_params.get("cursor") or "0"
        limit = request.query_params.get("limit") or "100"
        if not (cursor.isdigit() and limit.isdigit() and 1 <= int(limit) <= 500):
            return JSONResponse({"error": "cursor must be a seq, limit 1..500"}, status_code=400)
        after = int(cursor)
        with self._lock:
            changes = copy.deepcopy(self._feed[after : after + int(limit)])
        next_cursor = str(changes[-1]["seq"]) if changes else str(after)
        return JSONResponse({"changes": changes, "next_cursor": next_cursor})

    async def _get_order(self, request: Request) -> Response:
        order_no = request.path_params["order_no"]
        with self._lock:
            if self._fetch_failures:
                status = self._fetch_failures.pop(0)
                return JSONResponse({"error": f"injected failure {status}"}, status_code=status)
            if order_no in self._broken:
                body = self._broken[order_no]
                if isinstance(body, str):
                    return PlainTextResponse(body)
                return JSONResponse(body)
            order = copy.deepcopy(self._orders.get(order_no))
        if order is None:
            return JSONResponse({"error": f"no order {order_no}"}, status_code=404)
        return JSONResponse(order)

    async def _search_orders(self, request: Request) -> Response:
        account = request.query_params.get("supplier_account")
        po = request.query_params.get("buyer_po_number")
        with self._lock:
            found = [
                copy.deepcopy(o)
                for o in self._orders.values()
                if o["supplier_account"] == account and o["buyer_po_number"] == po
            ]
        return JSONResponse({"orders": found})
