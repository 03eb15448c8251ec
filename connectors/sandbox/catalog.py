"""A simulated cloud product catalog speaking the contract in ``connectors/catalog.py``.

Its product list is scriptable (``add_product``, ``remove_product``) so that a supplier's unknown
item can be one the catalog knows, or one nobody knows.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from connectors.sandbox.control import control_route
from connectors.sandbox.faults import Faults


class CatalogSandbox:
    name = "catalog"

    def __init__(self, products: list[dict[str, Any]] | None = None):
        self.faults = Faults()
        self._lock = threading.Lock()
        self._products: list[dict[str, Any]] = []
        for product in products or []:
            self.add_product(**product)

    def add_product(
        self,
        sku: str,
        description: str,
        *,
        supplier_part_no: str | None = None,
        upc: str | None = None,
        mpn: str | None = None,
        brand: str | None = None,
        unit_cost: Decimal | int | str | None = None,
    ) -> None:
        if not supplier_part_no and not upc:
            raise ValueError("a catalog product needs a supplier part number or a UPC")
        product = {
            "sku": sku,
            "description": description,
            "supplier_part_no": supplier_part_no,
            "upc": upc,
            "mpn": mpn,
            "brand": brand,
            "unit_cost": None if unit_cost is None else str(Decimal(str(unit_cost))),
        }
        with self._lock:
            self._products = [p for p in self._products if p["sku"] != sku] + [product]

    def remove_product(self, sku: str) -> bool:
        with self._lock:
            before = len(self._products)
            self._products = [p for p in self._products if p["sku"] != sku]
            return len(self._products) < before

    def products(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._products)

    def ops(self) -> dict[str, Callable[..., Any]]:
        return {n: getattr(self, n) for n in ("add_product", "remove_product", "products")}

    def routes(self) -> list[BaseRoute]:
        return [Route("/products", self._search), control_route(self.ops(), self.faults)]

    async def _search(self, request: Request) -> Response:
        part = request.query_params.get("supplier_part_no")
        upc = request.query_params.get("upc")
        if not part and not upc:
            return JSONResponse({"error": "give supplier_part_no or upc"}, status_code=400)
        with self._lock:
            found = [
                copy.deepcopy(p)
                for p in self._products
                if (part and p["supplier_part_no"] == part) or (upc and p["upc"] == upc)
            ]
        return JSONResponse({"products": found})
