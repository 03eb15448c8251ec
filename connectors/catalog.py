"""Cloud product catalog client: look up a product by supplier part number or UPC.

posync's contract for a cloud catalog (a real catalog's adapter implements the same call):

``GET /products?supplier_part_no=<part>`` or ``GET /products?upc=<upc>``::

    200 {"products": [{"sku": "AC-100", "supplier_part_no": "AC-100", "upc": "012345678905",
                       "mpn": "W-1", "description": "Widget", "brand": "Acme",
                       "unit_cost": "4.2500"}]}

``sku``, ``description`` and one of ``supplier_part_no``/``upc`` are required; the others may be
null. An empty list means the catalog does not know the product. Authentication:
``Authorization: Bearer <api_key>`` when an API key is configured.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.base import JsonClient, MalformedResponse

PARTNER = "The cloud catalog"


@dataclass(frozen=True)
class CatalogProduct:
    sku: str
    description: str
    supplier_part_no: str | None = None
    upc: str | None = None
    mpn: str | None = None
    brand: str | None = None
    unit_cost: Decimal | None = None

    def as_json(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(self).items()}


class CatalogClient(JsonClient):
    """Async client of the cloud catalog contract above. Use as ``async with``."""

    partner = PARTNER

    async def lookup(
        self, *, supplier_part_no: str | None = None, upc: str | None = None
    ) -> CatalogProduct | None:
        """The product with this supplier part number, else with this UPC, else None."""
        if not supplier_part_no and not upc:
            raise ValueError("look up a product by supplier part number or UPC")
        if supplier_part_no:
            found = await self._search(supplier_part_no=supplier_part_no)
            if found:
                return found[0]
        if upc:
            found = await self._search(upc=upc)
            if found:
                return found[0]
        return None

    async def _search(self, **params: str) -> list[CatalogProduct]:
        return parse_products(await self.get_json("/products", **params))


def parse_products(body: Any) -> list[CatalogProduct]:
    if not isinstance(body, dict) or not isinstance(body.get("products"), list):
        raise MalformedResponse("The cloud catalog's answer has no list of products")
    return [_product(raw, i) for i, raw in enumerate(body["products"], 1)]


def _product(raw: Any, i: int) -> CatalogProduct:
    def bad(what: str) -> MalformedResponse:
        return MalformedResponse(f"The cloud catalog's product {i} is malformed: {what}")

    if not isinstance(raw, dict):
        raise bad("it is not an object")
    text = {}
    limits = {"sku": 40, "description": None, "supplier_part_no": 40, "upc": 14, "mpn": 40}
    for key in ("sku", "description", "supplier_part_no", "upc", "mpn", "brand"):
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            raise bad(f"{key.replace('_', ' ')} is not text")
        text[key] = value.strip() if value else None
        limit = limits.get(key)
        if limit and text[key] and len(text[key]) > limit:
            raise bad(f"{key.replace('_', ' ')} is longer than {limit} characters")
    if not text["sku"] or not text["description"]:
        raise bad("it has no sku or no description")
    if not text["supplier_part_no"] and not text["upc"]:
        raise bad("it has neither a supplier part number nor a UPC")
    cost = raw.get("unit_cost")
    if cost is not None:
        try:
            cost = Decimal(str(cost))
        except InvalidOperation:
            raise bad(f"unit cost {cost!r} is not a number") from None
        if not cost.is_finite() or cost < 0:
            raise bad(f"unit cost {raw['unit_cost']!r} is not a price")
    return CatalogProduct(unit_cost=cost, **text)
