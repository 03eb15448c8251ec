"""Cloud product catalog client: look up a product by supplier part number or UPC.

posync's contract for a cloud catalog (a real catalog's adapter implements the same call):

``GET /products?supplier_part_no=<part>`` or ``GET /products?upc=<upc>``::

    200 {"products": [{"sku": "AC-100", "supplier_part_no": "AC-100", "upc": "012345678905",
                       "mpn": "W-1", "description": "Widget", "brand": "Acme",
                       "unit_cost": "4.2500"}]}

``sku``, ``description`` and one of ``supplier_part_no``/``upc`` are required; the others may be
null. An empty list means the catalog does not know the product. Authentication:
``Authorization: Bearer <api_key>`` when an API key is configured. An answer that breaks this
contract raises ``MalformedResponse`` naming the field (``where``) and keeping the body (``raw``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, TypeAdapter
from pydantic_core import PydanticCustomError

from connectors.base import PartnerClient
from connectors.validation import (
    Amount,
    LongText,
    OptionalText,
    RequiredLongText,
    Text,
    Upc,
    validate,
)

PARTNER = "The cloud catalog"


@dataclass(frozen=True)
class CatalogProduct:
    sku: Text
    description: RequiredLongText
    supplier_part_no: OptionalText = None
    upc: Upc = None
    mpn: OptionalText = None
    brand: LongText = None
    unit_cost: Amount | None = None

    def as_json(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(self).items()}


def _findable(product: CatalogProduct) -> CatalogProduct:
    if not product.supplier_part_no and not product.upc:
        raise PydanticCustomError("unfindable", "it has neither a supplier part number nor a UPC")
    return product


@dataclass(frozen=True)
class _Products:
    products: list[Annotated[CatalogProduct, AfterValidator(_findable)]]


_PRODUCTS = TypeAdapter(_Products)


class CatalogClient(PartnerClient):
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
        return (await self.get("/products", params=params)).json_as(parse_products)


def parse_products(body: Any) -> list[CatalogProduct]:
    return validate(_PRODUCTS, body, "The cloud catalog's answer").products
