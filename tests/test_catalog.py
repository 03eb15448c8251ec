"""The cloud catalog client against the simulated catalog, over real loopback HTTP."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from connectors.base import MalformedResponse, PartnerUnavailable
from connectors.catalog import CatalogClient, parse_products
from connectors.sandbox.catalog import CatalogSandbox
from connectors.sandbox.server import Sandbox


@pytest.fixture
def catalog():
    return CatalogSandbox(
        [
            {
                "sku": "W-1",
                "description": "Widget",
                "supplier_part_no": "AC-100",
                "upc": "012345678905",
                "unit_cost": "4.25",
                "brand": "Acme",
            },
            {"sku": "S-1", "description": "Sprocket", "upc": "098765432109"},
        ]
    )


@pytest.fixture
def server(catalog):
    with Sandbox([catalog]).serve() as running:
        yield running
        catalog.faults.clear()


def client(server, **kw) -> CatalogClient:
    return CatalogClient(f"{server.url}/catalog", timeout=kw.pop("timeout", 2.0), **kw)


async def test_a_product_is_found_by_supplier_part_number(server):
    async with client(server) as c:
        product = await c.lookup(supplier_part_no="AC-100")
    assert product.sku == "W-1" and product.unit_cost == Decimal("4.25")
    assert product.brand == "Acme" and product.upc == "012345678905"


async def test_a_product_is_found_by_upc_when_the_part_number_is_unknown(server):
    async with client(server) as c:
        product = await c.lookup(supplier_part_no="NOPE", upc="098765432109")
    assert product.sku == "S-1" and product.unit_cost is None


async def test_an_unknown_product_is_none(server):
    async with client(server) as c:
        assert await c.lookup(supplier_part_no="AC-999", upc="000000000000") is None
        with pytest.raises(ValueError):
            await c.lookup()


async def test_the_product_list_is_scriptable(catalog, server):
    async with client(server) as c:
        assert await c.lookup(supplier_part_no="AC-300") is None
        catalog.add_product("N-1", "New thing", supplier_part_no="AC-300")
        assert (await c.lookup(supplier_part_no="AC-300")).sku == "N-1"
        assert catalog.remove_product("N-1")
        assert await c.lookup(supplier_part_no="AC-300") is None
    async with httpx.AsyncClient(base_url=f"{server.url}/catalog") as http:
        answer = await http.post(
            "/_control",
            json={
                "op": "add_product",
                "args": {"sku": "N-2", "description": "Over HTTP", "upc": "011111111116"},
            },
        )
        assert answer.status_code == 200
    assert [p["sku"] for p in catalog.products()][-1] == "N-2"


async def test_a_catalog_that_does_not_answer_is_unavailable(catalog, server):
    catalog.faults.delay = 1.0
    async with client(server, timeout=0.2, attempts=1) as c:
        with pytest.raises(PartnerUnavailable):
            await c.lookup(supplier_part_no="AC-100")


async def test_a_throttled_lookup_is_retried(catalog, server):
    catalog.faults.throttle_next(1, retry_after=0.05)
    async with client(server) as c:
        assert (await c.lookup(supplier_part_no="AC-100")).sku == "W-1"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"items": []}, "products: missing"),
        ({"products": [{"description": "x", "upc": "1"}]}, "sku: missing"),
        ({"products": [{"sku": "A", "description": "x"}]}, "neither a supplier part number"),
        (
            {"products": [{"sku": "A", "description": "x", "upc": "1", "unit_cost": "-1"}]},
            r"products\[0\].unit_cost: negative",
        ),
        ({"products": [{"sku": 5, "description": "x", "upc": "1"}]}, "sku: not text"),
    ],
)
def test_a_malformed_catalog_answer_is_refused_in_plain_words(body, words):
    with pytest.raises(MalformedResponse, match=words):
        parse_products(body)
