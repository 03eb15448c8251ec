"""Fuzzing every partner's JSON answers (issue 20, "Bad input"): supplier, catalog, warehouse,
Prophet 21, EDI hub and QuickBooks.

Each call is made by the connector's own client through its HTTP base (``connectors.base``,
``connectors.bodies``), answered with a generated body: the contract's valid answer mutated
(fields dropped, duplicated, of the wrong type, huge, NaN, unicode, control characters), then
perhaps cut short or garbled as text; any JSON; any text. Property: the call returns its
records, or raises the connector's typed error (``connectors.errors``); a MalformedResponse
names where (a JSON path such as ``$.lines[0].quantity``, or ``body`` for a body that is not
JSON at all) and keeps the text received. Never another exception. The valid answers parse.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from connectors.base import ConnectorError, MalformedResponse, PartnerClient
from connectors.catalog import CatalogClient
from connectors.edi_hub import EdiHubClient
from connectors.p21 import P21Client, P21Line, P21PurchaseOrder
from connectors.quickbooks import QuickBooksClient
from connectors.quickbooks.limits import Limits, RateLimiter
from connectors.quickbooks.records import BatchItem
from connectors.supplier import SupplierClient
from connectors.warehouse import ItemOut, LineOut, WarehouseClient
from tests.reliability.answers import (
    ACCOUNT,
    BACKORDERS,
    BILL,
    DRAFT,
    FAULT,
    INBOX,
    OVO_LINE,
    OVO_RESULTS,
    P21_LINKS,
    P21_ORDER,
    PRODUCTS,
    RECEIPT,
    SO,
    SUPPLIER_FEED,
    SUPPLIER_ORDER,
    VENDOR,
)
from tests.reliability.fuzz import TEXT, TIMEOUT, dumps, fuzz_settings, json_bodies, report, tally

UNLIMITED = Limits(10**9, 10**9, 10**9)

pytestmark = TIMEOUT


class _Auth:
    """A signed-in company: the answers under test are the API's, not the sign-in's."""

    async def access_token(self) -> str:
        return "token"

    async def refresh(self, *, rejected: str | None = None) -> str:
        return "token"


async def _no_wait(seconds: float) -> None:
    pass


def _client(cls: type[PartnerClient], transport: httpx.MockTransport) -> Any:
    if cls is QuickBooksClient:
        return QuickBooksClient(
            "http://qbo",
            "9130",
            _Auth(),  # type: ignore[arg-type]
            limits=UNLIMITED,
            limiter=RateLimiter(UNLIMITED),
            transport=transport,
            attempts=1,
            throttle_attempts=0,
            sleep=_no_wait,
        )
    return cls(
        "http://partner", transport=transport, attempts=1, throttle_attempts=1, sleep=_no_wait
    )


@dataclass(frozen=True)
class Call:
    """A connector call and the valid answer of its contract."""

    client: type[PartnerClient]
    valid: Any
    call: Callable[[Any], Awaitable[Any]]


CALLS: dict[str, Call] = {
    "supplier order": Call(SupplierClient, SUPPLIER_ORDER, lambda c: c.order(SO)),
    "supplier feed": Call(SupplierClient, SUPPLIER_FEED, lambda c: c.feed("40")),
    "supplier order search": Call(
        SupplierClient, {"orders": [SUPPLIER_ORDER]}, lambda c: c.orders_for_po("ACME-001", "PO-1")
    ),
    "catalog lookup": Call(CatalogClient, PRODUCTS, lambda c: c.lookup(supplier_part_no="AC-100")),
    "warehouse send": Call(
        WarehouseClient,
        OVO_RESULTS,
        lambda c: c.send_lines([LineOut("k-1", "CO-1", 1, "C1-L1", "W-1", Decimal(3))]),
    ),
    "warehouse look-up": Call(WarehouseClient, {"lines": [OVO_LINE]}, lambda c: c.look_up(["k-1"])),
    "warehouse status": Call(
        WarehouseClient, {"lines": [OVO_LINE]}, lambda c: c.line_status([("CO-1", 1)])
    ),
    "warehouse items": Call(
        WarehouseClient,
        {"items": [{"code": "W-1", "id": "I-1"}]},
        lambda c: c.push_items([ItemOut("W-1", "Widget")]),
    ),
    "P21 purchase order": Call(P21Client, P21_ORDER, lambda c: c.purchase_order("PO-1")),
    "P21 export": Call(
        P21Client,
        P21_ORDER,
        lambda c: c.export_po(
            P21PurchaseOrder("PO-1", "V-1", None, [P21Line(1, "W-1", Decimal(4), Decimal(1))]),
            key="k",
        ),
    ),
    "P21 links": Call(P21Client, P21_LINKS, lambda c: c.links("PO-1")),
    "P21 backorders": Call(P21Client, BACKORDERS, lambda c: c.backorders("W-1")),
    "EDI hub inbox": Call(EdiHubClient, INBOX, lambda c: _inbox_texts(c)),
    "EDI hub receipt": Call(
        EdiHubClient, RECEIPT, lambda c: c.send("UNB+UNOC:3+A:14+B:14+260303:1405+1001'")
    ),
    "QuickBooks read": Call(QuickBooksClient, {"Bill": BILL}, lambda c: c.read("Bill", "145")),
    "QuickBooks create": Call(
        QuickBooksClient, {"Bill": BILL}, lambda c: c.create(DRAFT, requestid="k-1")
    ),
    "QuickBooks vendors": Call(
        QuickBooksClient,
        {"QueryResponse": {"Vendor": [VENDOR], "maxResults": 1}},
        lambda c: c.find_vendors_by_name("Acme"),
    ),
    "QuickBooks list": Call(
        QuickBooksClient,
        {"QueryResponse": {"Account": [ACCOUNT]}},
        lambda c: c.list_entries("Account"),
    ),
    "QuickBooks batch": Call(
        QuickBooksClient,
        {"BatchItemResponse": [{"bId": "1", "Bill": BILL}, {"bId": "2", **FAULT}]},
        lambda c: c.batch_create([BatchItem("1", DRAFT, "k-1"), BatchItem("2", DRAFT, "k-2")]),
    ),
    "QuickBooks fault": Call(QuickBooksClient, FAULT, lambda c: c.read("Bill", "145")),
}


async def _inbox_texts(client: EdiHubClient) -> list[str]:
    page = await client.inbox(content=True)
    return [await client.text(d) for d in page.documents if d.content is not None]


class Partners:
    """One client per call, kept on one event loop for the module: each example costs its
    call, not a client's making. ``answered`` sets the answer the partner gives next."""

    def __init__(self) -> None:
        self.runner = asyncio.Runner()
        self.clients: dict[str, Any] = {}
        self.answer: tuple[int, dict[str, str], bytes] = (204, {}, b"")

    def answered(
        self, name: str, status: int, content: bytes, headers: dict[str, str] | None = None
    ) -> Any:
        """The call ``name`` answered so (afresh for each request: a call may send again, as
        QuickBooks does after a 401): its result, or the ConnectorError it raised (checked: a
        MalformedResponse says where and keeps the body)."""
        self.answer = (status, headers or {}, content)
        spec = CALLS[name]
        if name not in self.clients:
            transport = httpx.MockTransport(lambda _: self._response())
            self.clients[name] = _client(spec.client, transport)

        async def run() -> Any:
            try:
                return await spec.call(self.clients[name])
            except ConnectorError as exc:
                return exc

        result = self.runner.run(run())
        if isinstance(result, MalformedResponse):
            assert result.where == "body" or result.where.startswith(("$", "content"))
            assert result.message
            # What a feed reads is quarantined with its text; QuickBooks is only written to
            # (its errors show on the accounting screens, by record). A body whose
            # Content-Encoding cannot be undone has no text to keep.
            assert (
                result.raw is not None
                or spec.client is QuickBooksClient
                or "cannot be decoded" in result.message
            )
        return result

    def _response(self) -> httpx.Response:
        status, headers, content = self.answer
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(content))

    def close(self) -> None:
        for client in self.clients.values():
            self.runner.run(client.aclose())
        self.runner.close()


PARTNERS = Partners()
answered = PARTNERS.answered


@pytest.fixture(scope="module", autouse=True)
def _report(request):
    yield from report(request)
    PARTNERS.close()


@pytest.mark.parametrize("name", list(CALLS))
def test_the_valid_answer_of_each_call_is_read(name):
    result = answered(name, 200, dumps(CALLS[name].valid).encode())
    if name == "QuickBooks fault":
        assert isinstance(result, ConnectorError) and "6140" in result.message
    else:
        assert not isinstance(result, ConnectorError), result


def fuzzed(name: str, *found: str) -> Callable[..., None]:
    """The property for the call ``name``: any generated answer is read or refused with a
    typed error saying where. ``found``: answers fuzzing once broke it with (kept as examples)."""

    @fuzz_settings(ci=5, full=100)
    @given(body=json_bodies(CALLS[name].valid))
    def test(body: str) -> None:
        tally(test.__name__)
        answered(name, 200, body.encode("utf-8", "surrogatepass"))

    for body in found:
        test = example(body=body)(test)
    test.__name__ = "test_fuzz_" + name.lower().replace(" ", "_").replace("-", "_")
    return test


test_fuzz_supplier_order = fuzzed("supplier order")
test_fuzz_supplier_feed = fuzzed("supplier feed")
test_fuzz_supplier_order_search = fuzzed("supplier order search")
test_fuzz_catalog_lookup = fuzzed("catalog lookup")
test_fuzz_warehouse_send = fuzzed("warehouse send")
test_fuzz_warehouse_look_up = fuzzed("warehouse look-up")
test_fuzz_warehouse_status = fuzzed("warehouse status")
test_fuzz_warehouse_items = fuzzed("warehouse items")
test_fuzz_p21_purchase_order = fuzzed("P21 purchase order")
test_fuzz_p21_export = fuzzed("P21 export")
test_fuzz_p21_links = fuzzed("P21 links")
test_fuzz_p21_backorders = fuzzed("P21 backorders")
test_fuzz_edi_hub_inbox = fuzzed("EDI hub inbox")
test_fuzz_edi_hub_receipt = fuzzed("EDI hub receipt")
test_fuzz_quickbooks_read = fuzzed("QuickBooks read")
test_fuzz_quickbooks_create = fuzzed("QuickBooks create")
test_fuzz_quickbooks_vendors = fuzzed("QuickBooks vendors")
test_fuzz_quickbooks_list = fuzzed("QuickBooks list")
test_fuzz_quickbooks_batch = fuzzed(
    "QuickBooks batch",
    # An answer in the list that is not an object: AttributeError in _read_batch.
    '{"BatchItemResponse": [null, {"bId": "2", "Fault": {"Error": [{"code": "6140"}]}}]}',
    '{"BatchItemResponse": {"bId": "1"}}',
)
test_fuzz_quickbooks_fault = fuzzed(
    "QuickBooks fault",
    # QuickBooks' own message was used as a format string: KeyError in error_for.
    '{"Fault": {"Error": [{"Message": "{x} of {0}", "code": "6140x"}]}}',
)


def test_every_call_is_fuzzed():
    tests = {name for name, value in globals().items() if name.startswith("test_fuzz_")}
    assert len(tests) == len(CALLS)


# --- the HTTP base: any status, headers and bytes -----------------------------------------------

HEADERS = st.dictionaries(
    st.sampled_from(["Content-Type", "Retry-After", "intuit_tid", "Content-Encoding"]),
    st.sampled_from(
        [
            "application/json; charset=utf-16",
            "application/json; charset=bogus",
            "text/plain; charset=iso-8859-1",
            "application/json; charset=",
            "gzip",
            "-1",
            "1e400",
            "nan",
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "Fri, 31 Dec 9999 23:59:59 GMT",
            "Mon, 01 Jan 0001 00:00:00 GMT",
            "",
        ]
    ),
    max_size=3,
)


@fuzz_settings(ci=60, full=1_000)
@given(
    name=st.sampled_from(list(CALLS)),
    status=st.sampled_from([200, 201, 204, 301, 400, 401, 404, 409, 422, 429, 500, 503])
    | st.integers(200, 599),
    headers=HEADERS,
    content=st.binary(max_size=200) | TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")),
)
@example(name="P21 links", status=422, headers={}, content=b'{"error": []}')
@example(name="EDI hub receipt", status=409, headers={}, content=b"[1]")
# A 401 refreshes the token and sends again: the harness once answered with a spent stream.
@example(name="QuickBooks read", status=401, headers={}, content=b"")
def test_any_status_headers_and_bytes_end_in_a_typed_error_or_a_result(
    name, status, headers, content
):
    tally("test_any_status_headers_and_bytes_end_in_a_typed_error_or_a_result")
    answered(name, status, content, headers)
