"""The QuickBooks Online connector against the sandbox QBO, over real loopback HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import time
from datetime import date
from decimal import Decimal

import httpx
import pytest

from connectors.base import MalformedResponse, PartnerUnavailable
from connectors.quickbooks import (
    AuthFailed,
    BadReference,
    BatchItem,
    DuplicateDocNumber,
    ExpenseLine,
    Limits,
    MissingField,
    NotFound,
    QuickBooksAuth,
    QuickBooksClient,
    QuickBooksError,
    RateLimiter,
    ReconnectQuickBooks,
    StaleObject,
    Throttled,
    Token,
    TokenStore,
    ValueTooLong,
    bill_draft,
    connect_with_code,
    purchase_order_draft,
    seed_refresh_token,
)
from connectors.quickbooks.errors import fault_from_response, parse_fault, parse_xml_fault
from connectors.sandbox.quickbooks import QuickBooksSandbox
from connectors.sandbox.server import Sandbox

# The documented limits with a "minute" of 1.2 s and a "second" of 20 ms.
LIMITS = Limits().scaled(0.02)


@pytest.fixture
def qbo():
    sandbox = QuickBooksSandbox(limits=LIMITS)
    server = Sandbox([sandbox]).serve()
    sandbox.base = f"{server.url}/quickbooks"
    yield sandbox
    server.stop()


@pytest.fixture
def store(tmp_path) -> TokenStore:
    return TokenStore(tmp_path / "data" / "quickbooks-token.json")


def make_auth(qbo, store) -> QuickBooksAuth:
    return QuickBooksAuth(
        client_id=qbo.client_id,
        client_secret=qbo.client_secret,
        store=store,
        token_url=f"{qbo.base}/oauth2/v1/tokens/bearer",
    )


@pytest.fixture
async def connect(qbo, store):
    clients = []
    if store.load() is None:
        seed_refresh_token(store, qbo.issue_refresh_token(), qbo.realm_id)

    def make(*, timeout: float = 5.0, limits: Limits = LIMITS, **kw) -> QuickBooksClient:
        client = QuickBooksClient(
            qbo.base,
            qbo.realm_id,
            make_auth(qbo, store),
            timeout=timeout,
            limits=limits,
            limiter=RateLimiter(limits),
            **kw,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


def vendor_id(qbo, name="Acme Supplies") -> str:
    return next(v["Id"] for v in qbo.vendors() if v["DisplayName"] == name)


def account_id(qbo) -> str:
    return next(a["Id"] for a in qbo.records("Account") if a["AccountType"] == "Expense")


def a_bill(qbo, doc="INV-1/PO-1", **kw):
    lines = (ExpenseLine(amount=Decimal("12.50"), description="bolts", account_id=account_id(qbo)),)
    fields = dict(vendor_id=vendor_id(qbo), doc_number=doc, txn_date=date(2024, 5, 2), lines=lines)
    return bill_draft(**{**fields, **kw})


# --- shapes -------------------------------------------------------------------------------------


def test_money_leaves_as_decimal_strings_and_lines_are_item_or_account_based():
    lines = (
        ExpenseLine(
            Decimal("10.005"), item_id="7", quantity=Decimal("3.0000"), unit_price=Decimal("3.335")
        ),
        ExpenseLine(Decimal("4"), account_id="80"),
    )
    body = bill_draft(vendor_id="5", doc_number="X", txn_date=None, lines=lines).to_qbo()
    item, account = body["Line"]
    assert item["Amount"] == "10.01" and item["DetailType"] == "ItemBasedExpenseLineDetail"
    assert item["ItemBasedExpenseLineDetail"] == {
        "ItemRef": {"value": "7"},
        "Qty": "3",
        "UnitPrice": "3.335",
        "BillableStatus": "NotBillable",
    }
    assert account["Amount"] == "4.00" and account["DetailType"] == "AccountBasedExpenseLineDetail"
    assert account["AccountBasedExpenseLineDetail"]["AccountRef"] == {"value": "80"}


async def test_a_bill_is_created_with_minorversion_on_every_call(qbo, connect):
    client = connect()
    item = qbo.add_item("Bolts")
    lines = (
        ExpenseLine(Decimal("7.25"), item_id=item, quantity=Decimal(1), unit_price=Decimal("7.25")),
        ExpenseLine(Decimal("0.10"), account_id=account_id(qbo)),
    )
    txn = await client.create(a_bill(qbo, lines=lines), requestid="qbo:bill:1:1")
    assert txn.entity == "Bill" and txn.doc_number == "INV-1/PO-1"
    assert txn.total == Decimal("7.35")  # read back as Decimal, no float rounding
    [bill] = qbo.bills()
    assert [line["DetailType"] for line in bill["Line"]] == [
        "ItemBasedExpenseLineDetail",
        "AccountBasedExpenseLineDetail",
    ]
    assert qbo.stats.requests >= 1 and qbo.stats.without_minorversion == 0


async def test_a_bill_links_to_the_qbo_purchase_order_and_the_link_is_checked(qbo, connect):
    client = connect()
    po = await client.create(
        purchase_order_draft(
            vendor_id=vendor_id(qbo), doc_number="PO-1", txn_date=None, lines=a_bill(qbo).lines
        ),
        requestid="qbo:purchase_order:1:1",
    )
    bill = await client.create(a_bill(qbo, linked_po_id=po.id), requestid="qbo:bill:1:1")
    assert ("PurchaseOrder", po.id) in bill.linked and not bill.warnings
    assert qbo.purchase_orders()[0]["POStatus"] == "Closed"


async def test_a_link_quickbooks_dropped_is_reported(qbo, connect):
    client = connect()
    qbo.drop_links()
    bill = await client.create(a_bill(qbo, linked_po_id="999"), requestid="qbo:bill:2:1")
    assert bill.warnings and "did not keep its link" in bill.warnings[0]


# --- idempotent creates -----------------------------------------------------------------------


async def test_the_same_requestid_gets_the_same_answer_and_no_second_bill(qbo, connect):
    client = connect()
    first = await client.create(a_bill(qbo), requestid="qbo:bill:1:1")
    again = await client.create(a_bill(qbo), requestid="qbo:bill:1:1")
    assert again.id == first.id and len(qbo.bills()) == 1 and qbo.stats.replayed == 1


async def test_a_retry_after_a_timeout_looks_the_docnumber_up_and_makes_no_second_bill(
    qbo, connect
):
    qbo.honour_requestid = False  # only the DocNumber lookup stands between us and a duplicate
    qbo.hang_after_commit(seconds=1.5)
    client = connect(timeout=0.5)
    txn = await client.create(a_bill(qbo), requestid="qbo:bill:1:1")
    assert txn.recovered and len(qbo.bills()) == 1
    assert txn.id == qbo.bills()[0]["Id"]


async def test_a_retry_after_a_5xx_makes_no_second_bill(qbo, connect):
    qbo.honour_requestid = False
    qbo.fail_after_commit(status=503)
    client = connect()
    txn = await client.create(a_bill(qbo), requestid="qbo:bill:1:1")
    assert txn.recovered and len(qbo.bills()) == 1


async def test_a_5xx_before_the_work_is_retried_and_the_bill_made_once(qbo, connect):
    qbo.faults.fail_next(2, status=503)
    txn = await connect().create(a_bill(qbo), requestid="qbo:bill:1:1")
    assert not txn.recovered and len(qbo.bills()) == 1


# --- batch --------------------------------------------------------------------------------------


async def test_a_batch_succeeds_and_fails_per_item_matched_by_bid(qbo, connect):
    client = connect()
    await client.create(a_bill(qbo, doc="DUP"), requestid="qbo:bill:0:1")
    items = [
        BatchItem("11", a_bill(qbo, doc="OK-1"), "r11"),
        BatchItem("12", a_bill(qbo, doc="OK-2", vendor_id="4040"), "r12"),
        BatchItem("13", a_bill(qbo, doc="A-REFERENCE-OF-22-CHR"[:21] + "X"), "r13"),
        BatchItem("14", a_bill(qbo, doc="DUP"), "r14"),
        BatchItem("15", a_bill(qbo, doc="OK-3"), "r15"),
    ]
    outcomes = await client.batch_create(items)
    assert outcomes["11"].ok and outcomes["15"].ok
    assert isinstance(outcomes["12"].error, BadReference)
    assert isinstance(outcomes["13"].error, ValueTooLong)
    assert isinstance(outcomes["14"].error, DuplicateDocNumber)
    assert "DocNumber" in outcomes["13"].error.message
    assert sorted(b["DocNumber"] for b in qbo.bills()) == ["DUP", "OK-1", "OK-3"]
    assert qbo.stats.batch_sizes == [5]


async def test_a_batch_holds_at_most_30_operations(qbo, connect):
    items = [BatchItem(str(i), a_bill(qbo, doc=f"D{i}"), f"r{i}") for i in range(31)]
    with pytest.raises(ValueError):
        await connect().batch_create(items)


async def test_a_batch_whose_answer_was_lost_resends_only_what_is_missing(qbo, connect):
    qbo.honour_requestid = False
    qbo.hang_after_commit(seconds=1.5)
    client = connect(timeout=0.5)
    items = [BatchItem(str(i), a_bill(qbo, doc=f"D{i}"), f"r{i}") for i in range(5)]
    outcomes = await client.batch_create(items)
    assert all(o.ok for o in outcomes.values())
    assert len(qbo.bills()) == 5  # not 10
    assert all(o.txn.recovered for o in outcomes.values())


# --- faults and error codes -------------------------------------------------------------------

CODES = [
    ("2020", MissingField, "required field is missing"),
    ("2050", ValueTooLong, "too long"),
    ("2500", BadReference, "does not know"),
    ("610", NotFound, "not found"),
    ("6140", DuplicateDocNumber, "already has a transaction with this reference"),
]


@pytest.mark.parametrize(("code", "error_class", "words"), CODES)
async def test_each_fault_code_becomes_a_typed_error_in_plain_words(
    qbo, connect, code, error_class, words
):
    qbo.inject_fault(code, element="DocNumber", detail="Injected")
    with pytest.raises(error_class) as caught:
        await connect().create(a_bill(qbo), requestid="qbo:bill:1:1")
    error = caught.value
    assert error.code == code and words in error.message and f"error {code}" in error.message
    assert error.intuit_tid and error.intuit_tid.startswith("1-")  # kept for Intuit support


async def test_real_validation_names_the_missing_field(qbo, connect):
    draft = a_bill(qbo, lines=())
    with pytest.raises(MissingField) as caught:
        await connect().create(draft, requestid="qbo:bill:1:1")
    assert caught.value.element == "Line"


async def test_an_unknown_vendor_is_a_bad_reference(qbo, connect):
    with pytest.raises(BadReference, match="2500"):
        await connect().create(a_bill(qbo, vendor_id="4040"), requestid="qbo:bill:1:1")


async def test_a_stale_synctoken_is_read_again_and_retried(qbo, connect):
    client = connect()
    txn = await client.create(a_bill(qbo), requestid="qbo:bill:1:1")
    # Someone saved the bill between our read and our write.
    qbo.inject_fault("5010", writes_only=True)
    updated = await client.update(txn.id, a_bill(qbo, doc="INV-1/PO-1 corrected"))
    assert updated.sync_token == "1" and client.stats.stale_rereads == 1
    assert qbo.bills()[0]["DocNumber"] == "INV-1/PO-1 corrected"


async def test_the_sandbox_refuses_a_stale_synctoken(qbo, connect):
    client = connect()
    txn = await client.create(a_bill(qbo), requestid="qbo:bill:1:1")
    qbo.edit("Bill", txn.id, PrivateNote="changed in QuickBooks")
    body = {**a_bill(qbo).to_qbo(), "Id": txn.id, "SyncToken": txn.sync_token}
    with pytest.raises(StaleObject):
        await client._send("POST", "bill", json_body=body)


async def test_an_update_of_a_deleted_bill_is_not_found(qbo, connect):
    client = connect()
    txn = await client.create(a_bill(qbo), requestid="qbo:bill:1:1")
    qbo.delete("Bill", txn.id)
    with pytest.raises(NotFound):
        await client.update(txn.id, a_bill(qbo))


def test_fault_bodies_are_read_in_every_shape():
    upper = {
        "Fault": {
            "Error": [{"Message": "M", "Detail": "D", "code": "6140", "element": "DocNumber"}],
            "type": "ValidationFault",
        }
    }
    lower = {
        "fault": {
            "error": [
                {
                    "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                    "detail": "expired",
                    "code": "3200",
                    "element": None,
                }
            ],
            "type": "AUTHENTICATION",
        }
    }
    xml = (
        '<?xml version="1.0"?><IntuitResponse xmlns="http://schema.intuit.com/finance/v3">'
        '<Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded; '
        "errorCode=003001; statusCode=429</Message><Detail>The request limit was reached."
        "</Detail></Error></Fault></IntuitResponse>"
    )
    assert parse_fault(upper)[1][0].element == "DocNumber"
    assert parse_fault(lower) == ("AUTHENTICATION", parse_fault(lower)[1])
    assert parse_fault(lower)[1][0].code == "3200"
    kind, [error] = parse_xml_fault(xml)
    assert (kind, error.code, error.detail) == ("SERVICE", "3001", "The request limit was reached.")
    assert fault_from_response(httpx.Response(429, text=xml))[1][0].code == "3001"
    assert fault_from_response(httpx.Response(500, text="<html>oops")) == ("", ())


# --- throttling -------------------------------------------------------------------------------


async def test_a_429_with_a_json_or_xml_fault_is_waited_out_and_the_call_resumes(qbo, connect):
    client = connect()
    await client.query("select * from Vendor")  # signed in
    qbo.inject_fault("3001", status=429, xml=True, message="message=ThrottleExceeded")
    qbo.inject_fault("3001", status=429, xml=False)
    qbo.faults.throttle_next(1, retry_after=0.01)  # a plain 429, any body
    rows = await client.query("select * from Vendor")
    assert len(rows["Vendor"]) == 3 and client.stats.throttled == 3


async def test_throttling_that_never_ends_is_reported(qbo, connect):
    qbo.inject_fault("3001", status=429, times=20)
    client = connect(throttle_attempts=2)
    with pytest.raises(Throttled, match="slow down"):
        await client.query("select * from Vendor")


async def test_the_limiter_never_exceeds_the_documented_limits():
    now = [0.0]

    async def sleep(seconds: float) -> None:  # a clock that moves only when we wait
        now[0] += seconds

    limiter = RateLimiter(Limits(), clock=lambda: now[0], sleep=sleep)
    sent, batches = [], []
    for n in range(120):
        batch = n % 2 == 0
        await limiter.acquire(batch=batch)
        sent.append(now[0])
        if batch:
            batches.append(now[0])

    def most_in_any(times: list[float], window: float) -> int:
        return max(sum(1 for t in times if start <= t < start + window) for start in times)

    assert most_in_any(sent, 1.0) <= 10  # 10 per second
    assert most_in_any(batches, 60.0) <= 40  # 40 batch calls per minute
    assert most_in_any(sent, 60.0) <= 500
    assert batches[40] >= 60.0  # the 41st batch waited for the minute to pass


async def test_the_client_paces_itself_and_every_call_succeeds(qbo, connect):
    # Intuit's own windows: 25 calls cannot spread over a real second however busy the machine.
    qbo.limits = Limits()
    client = connect(limits=Limits())
    results = await asyncio.gather(*(client.query("select * from Vendor") for _ in range(25)))
    assert len(results) == 25 and client.limiter.waited > 0  # 10 per "second": it waited
    assert client.stats.throttled == qbo.stats.throttled  # any 429 was waited out


async def test_the_sandbox_answers_429_to_a_client_that_ignores_the_limits(qbo, connect):
    # 15 a second: 30 calls at once pass it even on a loaded machine (10 per 300 ms did not).
    qbo.limits = Limits(per_second=15, second=1.0, minute=LIMITS.minute)
    reckless = Limits(
        per_minute=10_000, per_second=10_000, minute=LIMITS.minute, second=LIMITS.second
    )
    client = connect(limits=reckless)
    results = await asyncio.gather(*(client.query("select * from Vendor") for _ in range(30)))
    assert len(results) == 30  # every 429 was waited out
    assert qbo.stats.throttled > 0 and client.stats.throttled == qbo.stats.throttled


# --- OAuth 2.0 ----------------------------------------------------------------------------------


async def test_an_expiring_access_token_is_refreshed_and_the_new_refresh_token_saved(qbo, store):
    first = qbo.issue_refresh_token()
    seed_refresh_token(store, first, qbo.realm_id)
    auth = make_auth(qbo, store)
    access = await auth.access_token()
    saved = store.load()
    assert saved.access_token == access and saved.refresh_token != first  # rotated, persisted
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert await auth.access_token() == access  # still fresh: no second refresh
    # About to expire (inside the leeway): refreshed before QuickBooks would refuse it.
    store.save(Token(access, saved.refresh_token, time.time() + 60, realm_id=qbo.realm_id))
    assert await auth.access_token() != access and qbo.stats.refreshes == 2
    assert not qbo.knows_refresh_token(first)  # its successor was used: it is retired


async def test_two_refreshes_never_run_together(qbo, store):
    seed_refresh_token(store, qbo.issue_refresh_token(), qbo.realm_id)
    # Two "processes" (separate objects, one token file) and many coroutines at once.
    a, b = make_auth(qbo, store), make_auth(qbo, store)
    tokens = await asyncio.gather(*(x.access_token() for x in (a, b) * 5))
    assert len(set(tokens)) == 1 and qbo.stats.refreshes == 1


async def test_invalid_grant_asks_to_reconnect_quickbooks(qbo, store, connect):
    client = connect()
    await client.query("select * from Vendor")
    qbo.revoke()
    with pytest.raises(ReconnectQuickBooks, match="Reconnect QuickBooks"):
        await client.query("select * from Vendor")
    assert store.load().reconnect_required
    calls = qbo.stats.refreshes
    with pytest.raises(ReconnectQuickBooks):  # no more calls until someone reconnects
        await make_auth(qbo, store).access_token()
    assert qbo.stats.refreshes == calls


async def test_a_used_refresh_token_is_invalid_grant(qbo, store):
    old = qbo.issue_refresh_token()
    seed_refresh_token(store, old, qbo.realm_id)
    auth = make_auth(qbo, store)
    await auth.refresh(rejected=await auth.access_token())  # the new one used: old retired
    other = TokenStore(store.path.with_name("elsewhere.json"))
    seed_refresh_token(other, old, qbo.realm_id)  # someone kept the old one
    with pytest.raises(ReconnectQuickBooks, match="invalid_grant"):
        await make_auth(qbo, other).access_token()


async def test_a_401_refreshes_the_token_once_and_retries(qbo, connect):
    client = connect()
    await client.query("select * from Vendor")
    qbo.expire_access_tokens()
    rows = await client.query("select * from Vendor")
    assert rows["Vendor"] and client.stats.refreshed_after_401 == 1


async def test_a_401_twice_is_an_auth_error(qbo, connect):
    qbo.inject_fault("3200", status=401, times=2)
    with pytest.raises(AuthFailed, match="reconnect QuickBooks"):
        await connect().query("select * from Vendor")


async def test_connecting_a_company_with_an_authorization_code(qbo, store):
    token = await connect_with_code(
        client_id=qbo.client_id,
        client_secret=qbo.client_secret,
        code=qbo.issue_authorization_code(),
        realm_id=qbo.realm_id,
        redirect_uri="http://localhost:8765/callback",
        store=store,
        token_url=f"{qbo.base}/oauth2/v1/tokens/bearer",
    )
    assert store.load().refresh_token == token.refresh_token and token.realm_id == qbo.realm_id
    with pytest.raises(ReconnectQuickBooks):
        await connect_with_code(
            client_id=qbo.client_id,
            client_secret=qbo.client_secret,
            code="used-or-wrong",
            realm_id=qbo.realm_id,
            redirect_uri="http://localhost:8765/callback",
            store=store,
            token_url=f"{qbo.base}/oauth2/v1/tokens/bearer",
        )


# --- vendors and queries ----------------------------------------------------------------------


async def test_vendors_are_found_by_name_and_created(qbo, connect):
    client = connect()
    qbo.add_vendor("O'Brien's Hardware")
    [found] = await client.find_vendors_by_name("brien's")
    assert found.display_name == "O'Brien's Hardware"
    created = await client.create_vendor(
        "Initech", requestid="qbo:vendor:1:a", email="ap@initech.example"
    )
    assert created.id in {v["Id"] for v in qbo.vendors()}
    with pytest.raises(QuickBooksError, match="6240"):
        await client.create_vendor("initech", requestid="qbo:vendor:2:a")


async def test_a_query_the_sandbox_cannot_parse_is_reported(qbo, connect):
    with pytest.raises(QuickBooksError, match="4000"):
        await connect().query("delete everything")


# --- on the client base: one retry policy, answers checked ----------------------------------


class FixedAuth:
    """A signed-in company: always the same access token."""

    async def access_token(self) -> str:
        return "token"

    async def refresh(self, *, rejected: str | None = None) -> str:
        return "token"


def scripted(*answers: httpx.Response):
    """A QuickBooks client whose answers are scripted; requests and waits are recorded."""
    requests, waits, queue = [], [], list(answers)

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return queue.pop(0)

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    client = QuickBooksClient(
        "http://qbo",
        "9130",
        FixedAuth(),
        limits=LIMITS,
        limiter=RateLimiter(LIMITS),
        transport=httpx.MockTransport(answer),
        sleep=sleep,
    )
    return client, requests, waits


BILL = {"Id": "7", "DocNumber": "INV-1/PO-1", "SyncToken": "0", "VendorRef": {"value": "5"}}


async def test_failures_are_retried_on_the_base_policy_with_the_same_requestid():
    draft = bill_draft(vendor_id="5", doc_number="INV-1/PO-1", txn_date=None, lines=())
    client, requests, waits = scripted(
        httpx.Response(503),
        httpx.Response(429, headers={"Retry-After": "0.5"}),
        httpx.Response(200, json={"Bill": {**BILL, "TotalAmt": "12.50"}}),
    )
    lookups = []
    client._http._transport.handler = _with_lookup(client._http._transport.handler, lookups)
    async with client:
        txn = await client.create(draft, requestid="qbo:bill:1:1")
    assert txn.total == Decimal("12.50") and client.stats.retried == 1
    creates = [r for r in requests if r.method == "POST"]
    assert [r.url.params["requestid"] for r in creates] == ["qbo:bill:1:1"] * 3
    assert [r.headers["Idempotency-Key"] for r in creates] == ["qbo:bill:1:1"] * 3
    assert len(waits) == 2 and waits[1] == 0.5  # Retry-After honoured
    assert client.stats.throttled == 1 and len(lookups) == 1  # looked up after the 5xx only


def _with_lookup(handler, lookups: list):
    """Query calls (the DocNumber lookup before a retry) find nothing; others go on."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/query"):
            lookups.append(request)
            return httpx.Response(200, json={"QueryResponse": {}})
        return handler(request)

    return handle


@pytest.mark.parametrize(
    ("bill", "where"),
    [
        ({**BILL, "TotalAmt": 1e300 * 1e300}, None),
        ({**BILL, "TotalAmt": "1e400"}, "$.TotalAmt"),
        ({**BILL, "VendorRef": "5"}, "$.VendorRef"),
        ({**BILL, "LinkedTxn": [7]}, "$.LinkedTxn[0]"),
    ],
)
async def test_an_entity_quickbooks_answers_in_the_wrong_shape_is_malformed(bill, where):
    if where is None:  # json.dumps refuses inf: the partner would have to send "Infinity"
        content = json.dumps({"Bill": {**BILL, "TotalAmt": 0}}).replace("0}", "Infinity}")
        expected = MalformedResponse
    else:
        content, expected = json.dumps({"Bill": bill}), MalformedResponse
    client, _, _ = scripted(httpx.Response(200, text=content))
    async with client:
        with pytest.raises(expected) as caught:
            await client.read("Bill", "7")
    if where is not None:
        assert caught.value.where == where and "QuickBooks' Bill" in caught.value.message


async def test_a_fault_nested_50000_deep_is_an_error_not_a_recursion_error():
    client, requests, _ = scripted(httpx.Response(400, text="[" * 50_000 + "]" * 50_000))
    async with client:
        with pytest.raises(QuickBooksError, match="HTTP 400"):
            await client.read("Bill", "7")
    assert len(requests) == 1  # a refusal is not retried


async def test_an_entity_id_is_encoded_into_its_path_segment():
    client, requests, _ = scripted(httpx.Response(200, json={"Bill": BILL}))
    async with client:
        await client.read("Bill", "7/../x?y")
    assert requests[0].url.raw_path.startswith(b"/v3/company/9130/bill/7%2F..%2Fx%3Fy?")


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("500", "answered HTTP 500"),
        ("reset", "cannot be reached"),
        ("malformed", "sent an answer that cannot be read"),
    ],
)
async def test_a_failing_sign_in_service_is_said_in_plain_words(qbo, store, kind, words):
    seed_refresh_token(store, qbo.issue_refresh_token(), qbo.realm_id)
    qbo.faults.random_faults(1.0, seed=1, kinds=(kind,))
    with pytest.raises(PartnerUnavailable) as caught:
        await make_auth(qbo, store).access_token()
    assert caught.value.message == f"QuickBooks sign-in service {words}"
    assert not store.load().reconnect_required


async def test_a_lost_refresh_answer_keeps_the_connection(qbo, store):
    """QuickBooks rotated the refresh token but its answer never arrived: the old one still
    works (as at Intuit), and posync, which kept it, refreshes with it."""
    seed_refresh_token(store, qbo.issue_refresh_token(), qbo.realm_id)
    qbo.faults.random_faults(1.0, seed=1, kinds=("lost_refresh",))
    auth = make_auth(qbo, store)
    with pytest.raises(PartnerUnavailable):
        await auth.access_token()
    assert not store.load().reconnect_required
    qbo.faults.clear()
    access = await auth.access_token()
    assert store.load().access_token == access and qbo.faults.injected["lost_refresh"] == 1
