"""Fuzzing each partner's parser directly (issue 20, "Bad input"): supplier, catalog, warehouse,
Prophet 21, EDI hub and QuickBooks, 100,000 generated answers each in a full reliability run.

A body is read as the HTTP base reads it (``connectors.bodies.Reply``: charset, size and depth
limits, Decimal numbers) and then by the connector's own parsing functions: the ones its client
calls on each answer. No HTTP, so a full run takes minutes, not hours;
``test_fuzz_partner_json`` sends fewer answers through the clients and the HTTP base end to end.

Bodies: the contract's valid answer mutated (fields dropped, duplicated, of the wrong type,
huge, NaN, unicode, control characters), perhaps cut short or garbled as text; any JSON; any
text. Property: the answer's records, or the connector's typed error; a MalformedResponse names
where (``$.lines[0].quantity``, ``body`` for what is not JSON, the segment of an interchange
carried in a page) and keeps the text received. Never another exception.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from connectors import catalog, edi_hub, p21, supplier, warehouse
from connectors.base import ConnectorError, MalformedResponse
from connectors.bodies import Reply
from connectors.quickbooks import QuickBooksClient
from connectors.quickbooks.client import _entity
from connectors.quickbooks.limits import Limits, RateLimiter
from connectors.quickbooks.records import BatchItem, ListEntry, QboVendor, Txn, query_rows
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
    SUPPLIER_FEED,
    SUPPLIER_ORDER,
    VENDOR,
)
from tests.reliability.fuzz import TIMEOUT, answer, dumps, fuzz_settings, json_bodies, report, tally

pytestmark = TIMEOUT

# Only its answer-reading methods are used: it never sends a request.
UNLIMITED = Limits(10**9, 10**9, 10**9)
QUICKBOOKS = QuickBooksClient(
    "http://qbo",
    "9130",
    None,  # type: ignore[arg-type]
    limits=UNLIMITED,
    limiter=RateLimiter(UNLIMITED),
)
P21 = p21.P21Client("http://p21")
HUB = edi_hub.EdiHubClient("http://hub")


@dataclass(frozen=True)
class Parser:
    """How a connector reads one kind of answer (``read``), and the contract's valid one."""

    valid: Any
    read: Callable[[Reply], Any]
    status: int = 200


def _inbox(reply: Reply) -> list[str | None]:
    page = reply.json_as(edi_hub.parse_inbox)
    return [edi_hub.listed_text(document) for document in page.documents]


def _quickbooks_txn(reply: Reply) -> Txn:
    return Txn.from_qbo("Bill", _entity(QUICKBOOKS._json_object(reply), "Bill"))


def _quickbooks_rows(reply: Reply) -> dict[str, list[dict]]:
    body = QUICKBOOKS._json_object(reply)
    body.pop("_intuit_tid")
    return query_rows(body)


def _quickbooks_batch(reply: Reply) -> dict[str, Any]:
    pending = {bid: BatchItem(bid, DRAFT, f"k-{bid}") for bid in ("1", "2")}
    outcomes: dict[str, Any] = {}
    QUICKBOOKS._read_batch(QUICKBOOKS._json_object(reply), pending, outcomes)
    return outcomes


PARTNERS: dict[str, tuple[str, dict[str, Parser]]] = {
    "supplier": (
        supplier.PARTNER,
        {
            "order": Parser(SUPPLIER_ORDER, lambda r: r.json_as(supplier.parse_order)),
            "feed": Parser(SUPPLIER_FEED, lambda r: r.json_as(supplier.parse_feed)),
            "search": Parser(
                {"orders": [SUPPLIER_ORDER]}, lambda r: r.json_as(supplier.parse_search)
            ),
        },
    ),
    "catalog": (
        catalog.PARTNER,
        {"products": Parser(PRODUCTS, lambda r: r.json_as(catalog.parse_products))},
    ),
    "warehouse": (
        warehouse.PARTNER,
        {
            "results": Parser(OVO_RESULTS, lambda r: r.json_as(warehouse.parse_results)),
            "lines": Parser(
                {"lines": [OVO_LINE]},
                lambda r: r.json_as(lambda body: warehouse.parse_lines(body, "line status")),
            ),
            "items": Parser(
                {"items": [{"code": "W-1", "id": "I-1"}]},
                lambda r: r.json_as(warehouse.parse_items),
            ),
            "locations": Parser(
                {"locations": [{"code": "C1-L1", "id": "L-1"}]},
                lambda r: r.json_as(warehouse.parse_locations),
            ),
        },
    ),
    "P21": (
        p21.PARTNER,
        {
            "purchase order": Parser(P21_ORDER, lambda r: r.json_as(p21.parse_order)),
            "links": Parser(P21_LINKS, lambda r: r.json_as(p21.parse_links)),
            "backorders": Parser(BACKORDERS, lambda r: r.json_as(p21.parse_backorders)),
            "refusal": Parser(
                {"error": {"code": "PO_CLOSED", "message": "closed", "subject": "PO-1"}},
                P21.classify,
                status=422,
            ),
        },
    ),
    "EDI hub": (
        edi_hub.PARTNER,
        {
            "inbox": Parser(INBOX, _inbox),
            "receipt": Parser(RECEIPT, lambda r: r.json_as(edi_hub.parse_receipt)),
            "duplicate": Parser(RECEIPT, HUB.classify, status=409),
        },
    ),
    "QuickBooks": (
        "QuickBooks",
        {
            "Bill": Parser({"Bill": BILL}, _quickbooks_txn),
            "vendors": Parser(
                {"QueryResponse": {"Vendor": [VENDOR], "maxResults": 1}},
                lambda r: [
                    QboVendor.from_qbo(row) for row in _quickbooks_rows(r).get("Vendor", [])
                ],
            ),
            "list": Parser(
                {"QueryResponse": {"Account": [ACCOUNT]}},
                lambda r: [
                    ListEntry.from_qbo("Account", row)
                    for row in _quickbooks_rows(r).get("Account", [])
                ],
            ),
            "batch": Parser(
                {"BatchItemResponse": [{"bId": "1", "Bill": BILL}, {"bId": "2", **FAULT}]},
                _quickbooks_batch,
            ),
            "fault": Parser(FAULT, QUICKBOOKS.classify, status=400),
        },
    ),
}


def read(partner: str, kind: str, body: str) -> Any:
    """The answer ``body`` read by ``partner``'s parser of ``kind``: its records, or the
    ConnectorError it raised (checked: a MalformedResponse says where and keeps the text)."""
    name, parsers = PARTNERS[partner]
    parser = parsers[kind]
    content = body.encode("utf-8", "surrogatepass")
    reply = Reply(name, parser.status, httpx.Headers(), content)
    result = answer(lambda: parser.read(reply), (ConnectorError,))
    if isinstance(result, MalformedResponse):
        assert result.where == "body" or result.where.startswith(("$", "content", "segment "))
        assert result.message
        # QuickBooks is only written to (its errors show on the accounting screens, by record):
        # a record's own fault carries no text.
        assert result.raw is not None or partner == "QuickBooks"
    return result


@pytest.fixture(scope="module", autouse=True)
def _report(request):
    yield from report(request)
    for client in (QUICKBOOKS, P21, HUB):
        asyncio.run(client.aclose())


@pytest.mark.parametrize(
    ("partner", "kind"), [(p, k) for p, (_, parsers) in PARTNERS.items() for k in parsers]
)
def test_the_valid_answer_is_read(partner, kind):
    result = read(partner, kind, dumps(PARTNERS[partner][1][kind].valid))
    if kind in ("refusal", "duplicate", "fault"):
        assert isinstance(result, ConnectorError)
    else:
        assert not isinstance(result, ConnectorError), result


def answers(partner: str) -> st.SearchStrategy[tuple[str, str]]:
    """(kind, body): a generated answer to one of ``partner``'s parsers."""
    parsers = PARTNERS[partner][1]
    bodies = {kind: json_bodies(parser.valid) for kind, parser in parsers.items()}
    return st.sampled_from(sorted(parsers)).flatmap(
        lambda kind: st.tuples(st.just(kind), bodies[kind])
    )


def fuzzed(partner: str, *found: tuple[str, str]) -> Callable[..., None]:
    """The property for ``partner``: any generated answer to any of its parsers is read or
    refused with a typed error saying where. ``found``: (kind, body) answers fuzzing once broke
    a parser with, kept as examples."""

    @fuzz_settings(ci=40, full=100_000)
    @given(call=answers(partner))
    def test(call: tuple[str, str]) -> None:
        tally(test.__name__)
        read(partner, *call)

    for call in found:
        test = example(call=call)(test)
    test.__name__ = "test_fuzz_" + partner.lower().replace(" ", "_") + "_parsers"
    return test


test_fuzz_supplier_parsers = fuzzed(
    "supplier",
    # A number beyond any Decimal's exponent: InvalidOperation from json.loads (a full run found
    # it at input 66,030).
    ("order", '{"order_no": "SO-1001", "lines": [], "supplier_account": 0E1000001000000000000}'),
)
test_fuzz_catalog_parsers = fuzzed("catalog")
test_fuzz_warehouse_parsers = fuzzed("warehouse")
test_fuzz_p21_parsers = fuzzed("P21")
test_fuzz_edi_hub_parsers = fuzzed(
    "EDI hub",
    # Listed content with a character beyond ASCII: ValueError from b64decode (a full run found
    # it at input 5,335).
    (
        "inbox",
        '{"documents": [{"seq": 1, "id": "D-1", "type": "ORDRSP", "control_ref": "S1", '
        '"sender": "5412345000020", "received_at": "2026-03-03T14:05:00Z", "size": 120, '
        '"acknowledged": false, "content": "\x80VU5CK1VOT0M6MytYJw=="}], "next_cursor": "1"}',
    ),
)
test_fuzz_quickbooks_parsers = fuzzed(
    "QuickBooks",
    # An answer in the list that is not an object: AttributeError in _read_batch.
    (
        "batch",
        '{"BatchItemResponse": [null, {"bId": "2", "Fault": {"Error": [{"code": "6140"}]}}]}',
    ),
    ("batch", '{"BatchItemResponse": {"bId": "1"}}'),
    # QuickBooks' own message was used as a format string: KeyError in error_for.
    ("fault", '{"Fault": {"Error": [{"Message": "{\'\'}", "code": "6140x"}]}}'),
)


def test_every_partner_is_fuzzed():
    tests = {name for name in globals() if name.startswith("test_fuzz_")}
    assert len(tests) == len(PARTNERS)
