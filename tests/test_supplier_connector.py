"""The supplier B2B client against the simulated supplier, over real loopback HTTP."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx
import pytest

from connectors.base import MalformedResponse, PartnerUnavailable, Rejected
from connectors.sandbox.server import Sandbox
from connectors.sandbox.supplier import SupplierSandbox
from connectors.supplier import SupplierClient, parse_order

WIDGET = {
    "supplier_part_no": "AC-100",
    "upc": "012345678905",
    "description": "Widget",
    "quantity": 12,
    "unit_cost": "4.25",
}


@pytest.fixture
def supplier():
    return SupplierSandbox()


@pytest.fixture
def server(supplier):
    with Sandbox([supplier]).serve() as running:
        yield running
        supplier.faults.clear()


def client(server, **kw) -> SupplierClient:
    kw.setdefault("timeout", 2.0)
    return SupplierClient(f"{server.url}/supplier", **kw)


async def test_the_feed_lists_changes_since_the_cursor_in_order(supplier, server):
    first = supplier.create_order("ACC-1", [WIDGET], buyer_po_number="PO-0000001")
    supplier.change_line(first, 1, quantity_confirmed=10)
    second = supplier.create_order("ACC-1", [WIDGET])
    async with client(server) as c:
        page = await c.feed(None, limit=2)
        assert [(ch.seq, ch.order_no) for ch in page.changes] == [(1, first), (2, first)]
        assert page.next_cursor == "2"
        assert page.changes[0].notified_at.tzinfo is not None
        rest = await c.feed(page.next_cursor, limit=10)
        assert [(ch.seq, ch.order_no) for ch in rest.changes] == [(3, second)]
        empty = await c.feed(rest.next_cursor)
        assert empty.changes == [] and empty.next_cursor == "3"


async def test_an_order_is_fetched_as_typed_records(supplier, server):
    order_no = supplier.create_order(
        "ACC-1", [WIDGET], buyer_po_number="PO-0000001", expected_date=date(2026, 12, 1)
    )
    supplier.change_line(order_no, 1, quantity_confirmed=10, unit_cost=Decimal("4.10"))
    supplier.cancel_line(order_no, 1)
    async with client(server) as c:
        order = await c.order(order_no)
    assert order.buyer_po_number == "PO-0000001" and order.currency == "USD"
    (line,) = order.lines
    assert line.quantity_ordered == 12 and line.quantity_confirmed == 10
    assert line.unit_cost == Decimal("4.10") and line.expected_date == date(2026, 12, 1)
    assert line.cancelled


async def test_an_order_created_directly_with_the_supplier_has_no_buyer_po(supplier, server):
    order_no = supplier.create_order("ACC-1", [WIDGET])
    async with client(server) as c:
        assert (await c.order(order_no)).buyer_po_number is None


async def test_orders_are_found_by_buyer_po_number(supplier, server):
    order_no = supplier.create_order("ACC-1", [WIDGET], buyer_po_number="PO-0000007")
    async with client(server) as c:
        found = await c.orders_for_po("ACC-1", "PO-0000007")
        assert [o.order_no for o in found] == [order_no]
        assert await c.orders_for_po("ACC-2", "PO-0000007") == []


async def test_an_unknown_order_is_refused_with_its_status(server):
    async with client(server) as c:
        with pytest.raises(Rejected) as caught:
            await c.order("SO-404")
    assert caught.value.status == 404


@pytest.mark.parametrize(
    ("broken", "words"),
    [
        ("<html>oops</html>", "not JSON"),
        ([1, 2], "not a JSON object"),
        ({"order_no": "SO-1001"}, "supplier_account: missing"),
        ("negative", r"lines\[0\].quantity_confirmed: negative"),
        ("currency", "unknown currency 'ZZZ'"),
        ("no lines", "lines: missing"),
    ],
)
async def test_a_malformed_order_is_refused_in_plain_words(supplier, server, broken, words):
    order_no = supplier.create_order("ACC-1", [WIDGET], buyer_po_number="PO-0000001")
    if broken == "negative":
        supplier.change_line(order_no, 1, quantity_confirmed=-3)
    elif broken == "currency":
        supplier.change_order(order_no, currency="ZZZ")
    elif broken == "no lines":
        body = supplier.order(order_no)
        del body["lines"]
        supplier.break_order(order_no, body)
    else:
        supplier.break_order(order_no, broken)
    async with client(server) as c:
        with pytest.raises(MalformedResponse, match=words) as caught:
            await c.order(order_no)
    if broken in ("negative", "currency"):
        assert caught.value.detail == {
            "order_no": order_no,
            "supplier_account": "ACC-1",
            "buyer_po_number": "PO-0000001",
        }


def test_every_contract_breach_names_what_is_wrong():
    good = {
        "order_no": "SO-1",
        "supplier_account": "A",
        "buyer_po_number": None,
        "currency": "EUR",
        "expected_date": None,
        "lines": [
            {
                "line_no": 1,
                "supplier_part_no": "P",
                "quantity_ordered": "1",
                "unit_cost": "2",
                "status": "active",
            }
        ],
    }
    assert parse_order(good).lines[0].quantity_confirmed is None
    cases = {
        ("line_no", 0): "below 1",
        ("line_no", "1"): "'1' is not a whole number",
        ("status", "gone"): "'gone' is not one of 'active' or 'cancelled'",
        ("unit_cost", "abc"): "'abc' is not a number",
        ("expected_date", "31/12"): "'31/12' is not a date",
        ("upc", "1" * 20): "longer than 14",
    }
    for (key, value), words in cases.items():
        line = {**good["lines"][0], key: value}
        with pytest.raises(MalformedResponse, match=words):
            parse_order({**good, "lines": [line]})
    with pytest.raises(MalformedResponse, match="same line number"):
        parse_order({**good, "lines": [good["lines"][0]] * 2})


async def test_a_malformed_feed_is_refused(supplier, server):
    supplier.create_order("ACC-1", [WIDGET])
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, json={"changes": [{"seq": "x"}]})
    )
    async with SupplierClient("http://supplier", transport=transport) as c:
        with pytest.raises(MalformedResponse, match=r"change feed is malformed: changes\[0\]"):
            await c.feed()


async def test_a_supplier_that_does_not_answer_in_time_is_unavailable(supplier, server):
    supplier.create_order("ACC-1", [WIDGET])
    supplier.faults.delay = 1.0
    async with client(server, timeout=0.2, attempts=2) as c:
        with pytest.raises(PartnerUnavailable, match="did not answer in time"):
            await c.feed()


async def test_a_failed_call_is_retried(supplier, server):
    order_no = supplier.create_order("ACC-1", [WIDGET])
    supplier.faults.fail_next(1, status=503)
    async with client(server) as c:
        assert (await c.order(order_no)).order_no == order_no


async def test_a_throttled_call_waits_for_retry_after_then_succeeds(supplier, server):
    supplier.create_order("ACC-1", [WIDGET])
    supplier.faults.throttle_next(2, retry_after=0.05)
    calls_before = supplier.faults.calls
    async with client(server) as c:
        page = await c.feed()
    assert len(page.changes) == 1
    assert supplier.faults.calls - calls_before == 3


async def test_the_sandbox_is_scriptable_over_http(supplier, server):
    async with httpx.AsyncClient(base_url=f"{server.url}/supplier") as http:
        made = await http.post(
            "/_control",
            json={"op": "create_order", "args": {"supplier_account": "ACC-9", "lines": [WIDGET]}},
        )
        order_no = made.json()["result"]
        await http.post("/_control", json={"op": "faults", "args": {"fail_next": 1, "status": 500}})
        assert (await http.get(f"/orders/{order_no}")).status_code == 500
        assert (await http.get(f"/orders/{order_no}")).status_code == 200
        bad = await http.post("/_control", json={"op": "drop_tables"})
        assert bad.status_code == 400 and "unknown op" in bad.json()["error"]
    assert supplier.feed_length() == 1
