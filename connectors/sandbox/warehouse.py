"""A simulated Ovotrack speaking the contract in ``docs/warehouse.md`` (``connectors/warehouse``).

It checks order lines as a warehouse does: a location or item it was never sent, a quantity
that is not a number, a new line of nothing, a change to a line already picked or completed —
each line is rejected on its own, with a message. An idempotency key it has seen is answered as
the first time; a new key for a line it holds updates that line, so it never holds one twice.

Tests and the demo script it: ``set_stock`` (it ships what it has: a line asking for more gets a
smaller ship quantity), ``ship`` (change what it will ship), ``pick`` / ``complete``. Its
``faults`` fail, slow down or hang calls, and ``faults.lose_next`` makes it do the work of a call
and then lose the answer.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from connectors.sandbox.control import control_route
from connectors.sandbox.faults import Faults

Ref = tuple[str, int]


class WarehouseSandbox:
    name = "warehouse"

    def __init__(self) -> None:
        self.faults = Faults()
        self._lock = threading.Lock()
        self._locations: dict[str, dict[str, Any]] = {}
        self._items: dict[str, dict[str, Any]] = {}
        self._lines: dict[Ref, dict[str, Any]] = {}
        self._answered: dict[str, dict[str, Any]] = {}  # idempotency key → its first result
        self._stock: dict[str, Decimal] = {}  # item code → what is left to ship (unset: plenty)
        self._last_id = 0  # the number in the newest id Ovotrack gave ("LOC-7", "OL-12")
        self.line_posts = 0  # POST /order-lines calls that reached the routes

    # --- scripting API (thread-safe) -----------------------------------------------------------

    def add_location(
        self,
        code: str,
        customer_code: str,
        name: str,
        *,
        ovo_id: str,
        address: str = "",
        city: str = "",
    ) -> None:
        """A customer location Ovotrack already holds under ``ovo_id`` (the demo's, sent
        before this run of the sandbox)."""
        record = {"code": code, "customer_code": customer_code, "name": name}
        with self._lock:
            self._locations[code] = record | {"address": address, "city": city, "id": ovo_id}
            self._saw_id(ovo_id)

    def add_item(self, code: str, description: str, *, ovo_id: str) -> None:
        """An item Ovotrack already holds under ``ovo_id``."""
        with self._lock:
            self._items[code] = {"code": code, "description": description, "id": ovo_id}
            self._saw_id(ovo_id)

    def set_stock(self, item: str, quantity: Decimal | int | str) -> None:
        """Ovotrack has ``quantity`` of ``item`` left: lines sent from now on ship at most that."""
        with self._lock:
            self._stock[item] = Decimal(str(quantity))

    def ship(self, order_no: str, line_no: int, quantity: Decimal | int | str) -> None:
        """Ovotrack will ship ``quantity`` of this line (e.g. short of stock)."""
        with self._lock:
            self._line(order_no, line_no)["ship_quantity"] = str(Decimal(str(quantity)))

    def pick(self, order_no: str, line_no: int) -> None:
        with self._lock:
            self._line(order_no, line_no)["picked"] = True

    def complete(self, order_no: str, line_no: int) -> None:
        with self._lock:
            line = self._line(order_no, line_no)
            line["picked"] = line["completed"] = True

    def line(self, order_no: str, line_no: int) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._line(order_no, line_no))

    def line_count(self) -> int:
        """How many order lines Ovotrack holds (a duplicate would show here)."""
        with self._lock:
            return len(self._lines)

    def lines(self) -> list[dict[str, Any]]:
        """Every order line Ovotrack holds, in the order it took them."""
        with self._lock:
            return [copy.deepcopy(line) for line in self._lines.values()]

    def codes(self) -> dict[str, list[str]]:
        """The location and item codes Ovotrack knows."""
        with self._lock:
            return {"locations": sorted(self._locations), "items": sorted(self._items)}

    def ops(self) -> dict[str, Callable[..., Any]]:
        """The scripting methods ``/_control`` may call."""
        names = ("set_stock", "ship", "pick", "complete", "line", "lines", "line_count", "codes")
        return {n: getattr(self, n) for n in names}

    # --- HTTP --------------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/locations", self._put_locations, methods=["PUT"]),
            Route("/items", self._put_items, methods=["PUT"]),
            Route("/order-lines", self._post_lines, methods=["POST"]),
            Route("/order-lines/lookup", self._lookup, methods=["POST"]),
            Route("/order-lines/status", self._status, methods=["POST"]),
            control_route(self.ops(), self.faults),
        ]

    async def _put_locations(self, request: Request) -> Response:
        return await self._put_master(request, "locations", self._locations)

    async def _put_items(self, request: Request) -> Response:
        return await self._put_master(request, "items", self._items)

    async def _put_master(self, request: Request, what: str, into: dict) -> Response:
        body = await _json(request)
        records = body.get(what) if isinstance(body, dict) else None
        if not isinstance(records, list) or not all(
            isinstance(r, dict) and isinstance(r.get("code"), str) and r["code"].strip()
            for r in records
        ):
            return _bad(f"expected {{{what}: [{{code, ...}}]}}")
        made = []
        with self._lock:
            for record in records:
                known = into.get(record["code"])
                ovo_id = known["id"] if known else self._new_id(what[:3].upper())
                into[record["code"]] = {**record, "id": ovo_id}
                made.append({"code": record["code"], "id": ovo_id})
        return self._answer({what: made})

    async def _post_lines(self, request: Request) -> Response:
        body = await _json(request)
        lines = body.get("lines") if isinstance(body, dict) else None
        if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
            return _bad("expected {lines: [{key, order_no, line_no, ...}]}")
        with self._lock:
            self.line_posts += 1
            results = [self._take(line) for line in lines]
        return self._answer({"results": results})

    async def _lookup(self, request: Request) -> Response:
        body = await _json(request)
        keys = body.get("keys") if isinstance(body, dict) else None
        if not isinstance(keys, list):
            return _bad("expected {keys: [...]}")
        with self._lock:
            found = [
                copy.deepcopy(self._answered[k]["line"])
                for k in keys
                if isinstance(k, str) and self._answered.get(k, {}).get("status") == "accepted"
            ]
        return JSONResponse({"lines": found})

    async def _status(self, request: Request) -> Response:
        body = await _json(request)
        refs = body.get("lines") if isinstance(body, dict) else None
        if not isinstance(refs, list) or not all(isinstance(r, dict) for r in refs):
            return _bad("expected {lines: [{order_no, line_no}]}")
        with self._lock:
            found = [
                copy.deepcopy(line)
                for r in refs
                if (line := self._lines.get((r.get("order_no"), r.get("line_no")))) is not None
            ]
        return JSONResponse({"lines": found})

    def _answer(self, body: dict[str, Any]) -> Response:
        """The answer to a call that changed something: the work is done, then it may be lost."""
        if self.faults.lose():
            return JSONResponse({"error": "the answer was lost on its way"}, status_code=503)
        return JSONResponse(body)

    # --- the warehouse's rules (called with the lock held) -------------------------------------

    def _take(self, sent: dict[str, Any]) -> dict[str, Any]:
        key = sent.get("key")
        if not isinstance(key, str) or not key:
            return {"key": str(key), "status": "rejected", "code": "bad_line", "message": "no key"}
        if key in self._answered:
            return copy.deepcopy(self._answered[key])
        result = self._check_and_store(sent, key)
        self._answered[key] = result
        return copy.deepcopy(result)

    def _check_and_store(self, sent: dict[str, Any], key: str) -> dict[str, Any]:
        def rejected(code: str, message: str) -> dict[str, Any]:
            return {"key": key, "status": "rejected", "code": code, "message": message}

        order_no, line_no = sent.get("order_no"), sent.get("line_no")
        if not isinstance(order_no, str) or not order_no or not isinstance(line_no, int):
            return rejected("bad_line", "an order line needs an order_no and a line_no")
        where = f"Order {order_no} line {line_no}"
        try:
            quantity = Decimal(str(sent.get("quantity")))
        except InvalidOperation:
            return rejected("bad_quantity", f"{where}: {sent.get('quantity')!r} is not a quantity")
        if not quantity.is_finite() or quantity < 0:
            return rejected("bad_quantity", f"{where}: {quantity} is not a quantity")
        location, item = sent.get("location"), sent.get("item")
        if location not in self._locations:
            return rejected(
                "unknown_location",
                f"{where}: Ovotrack does not know customer location {location!r}; "
                "send the customer's locations to Ovotrack first",
            )
        if item not in self._items:
            return rejected(
                "unknown_item",
                f"{where}: Ovotrack does not know item {item!r}; send the item to Ovotrack first",
            )
        held = self._lines.get((order_no, line_no))
        if held is None and quantity == 0:
            return rejected("zero_quantity", f"{where}: a new order line needs a quantity above 0")
        if held is not None and (held["picked"] or held["completed"]):
            done = "completed" if held["completed"] else "picked"
            return rejected(done, f"{where} has been {done} in Ovotrack: it cannot be changed")
        if held is None:
            held = {"id": self._new_id("OL"), "order_no": order_no, "line_no": line_no}
            held |= {"picked": False, "completed": False}
            self._lines[(order_no, line_no)] = held
        held |= {"location": location, "item": item, "quantity": str(quantity), "key": key}
        held["ship_quantity"] = str(self._shippable(item, quantity))
        return {"key": key, "status": "accepted", "line": copy.deepcopy(held)}

    def _shippable(self, item: str, quantity: Decimal) -> Decimal:
        left = self._stock.get(item)
        if left is None:
            return quantity
        ships = min(quantity, max(left, Decimal(0)))
        self._stock[item] = left - ships
        return ships

    def _new_id(self, prefix: str) -> str:
        self._last_id += 1
        return f"{prefix}-{self._last_id}"

    def _saw_id(self, ovo_id: str) -> None:
        """Never give out an id held already (one given before this run)."""
        number = ovo_id.rpartition("-")[2]
        if number.isdigit():
            self._last_id = max(self._last_id, int(number))

    def _line(self, order_no: str, line_no: int) -> dict[str, Any]:
        try:
            return self._lines[(order_no, int(line_no))]
        except KeyError:
            raise KeyError(f"Ovotrack holds no line {line_no} of order {order_no}") from None


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        return None


def _bad(words: str) -> Response:
    return JSONResponse({"error": words}, status_code=400)
