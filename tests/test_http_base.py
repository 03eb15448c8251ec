"""The client base every partner shares: retries, Retry-After, idempotency, encoding, limits."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.base import (
    InvalidRequest,
    MalformedResponse,
    PartnerClient,
    PartnerUnavailable,
    RateLimited,
    Rejected,
    path,
)
from connectors.supplier import SupplierClient, SupplierOrder

ORDER = {
    "order_no": "SO-1",
    "supplier_account": "ACC-1",
    "currency": "USD",
    "lines": [{"line_no": 1, "supplier_part_no": "P-1", "quantity_ordered": "2", "unit_cost": "3"}],
}


class Partner:
    """A scripted partner: answers in turn, every request kept, every wait recorded."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.waits: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer(request) if callable(answer) else answer

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)

    def client(self, cls=PartnerClient, **kw) -> PartnerClient:
        return cls("http://partner", transport=httpx.MockTransport(self), sleep=self.sleep, **kw)


def ok(**kw) -> httpx.Response:
    return httpx.Response(200, **kw)


# --- the retry policy ---------------------------------------------------------------------------


async def test_a_5xx_and_a_timeout_are_retried_with_backoff():
    partner = Partner(
        httpx.Response(503), httpx.ReadTimeout("slow"), httpx.ConnectError("refused"), ok(json=[])
    )
    async with partner.client() as c:
        assert (await c.get("/x")).json() == []
    assert len(partner.requests) == 4 and len(partner.waits) == 3
    assert all(0 < wait <= 30 for wait in partner.waits)


async def test_a_big_answer_is_parsed_off_the_event_loop(monkeypatch):
    """Decoding a big JSON answer takes tens of ms: never on the loop the console draws with,
    neither the HTTP base's garbled check nor the connector's reading (a small one is)."""
    from connectors import bodies
    from connectors.base import THREADED_BODY

    threads: list[int] = []
    loads = bodies.loads

    def watched(text, *args):
        threads.append(threading.get_ident())
        return loads(text, *args)

    monkeypatch.setattr(bodies, "loads", watched)
    big = [{"n": i, "text": "x" * 100} for i in range(THREADED_BODY // 100)]
    partner = Partner(ok(json=big), ok(json=[1]))
    async with partner.client() as c:
        assert len(await c.parsed(await c.get("/big"), list)) == len(big)
        assert await c.parsed(await c.get("/small"), list) == [1]
    loop_thread = threading.get_ident()
    assert len(threads) == 2  # one parse each, kept for the connector's reading
    assert threads[0] != loop_thread and threads[1] == loop_thread


async def test_a_garbled_json_answer_is_tried_again():
    """A 200 "JSON" answer that is a proxy's error page: asking again gets the real answer;
    one that stays garbled ends in a MalformedResponse carrying the text received."""
    page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    garbled = ok(content=page, headers={"Content-Type": "application/json"})
    partner = Partner(garbled, ok(json={"id": 1}))
    async with partner.client() as c:
        assert (await c.get("/x")).json() == {"id": 1}
    assert len(partner.requests) == 2
    partner = Partner(garbled)
    async with partner.client(attempts=2) as c:
        with pytest.raises(MalformedResponse) as failed:
            await c.get("/x")
    assert failed.value.raw == page.decode() and len(partner.requests) == 2


@pytest.mark.parametrize("body", [b'{"total": Infinity}', b"[" * 200 + b"]" * 200])
async def test_json_that_breaks_the_contract_is_not_tried_again(body):
    """JSON, but not what a partner may send (a constant, too deep): asking again gets the same."""
    partner = Partner(ok(content=body, headers={"Content-Type": "application/json"}))
    async with partner.client() as c:
        with pytest.raises(MalformedResponse, match="not JSON"):
            await c.get("/x")
    assert len(partner.requests) == 1


@pytest.mark.parametrize(
    ("failure", "words"),
    [
        (httpx.ReadError(""), "the partner cannot be reached"),  # a reset says nothing
        (httpx.ReadTimeout(""), "the partner did not answer in time"),
        (httpx.ConnectError("refused"), "the partner cannot be reached (refused)"),
    ],
)
async def test_a_transport_failure_is_said_in_plain_words(failure, words):
    """Found by the fault mode: a reset showed "cannot be reached ()", a timeout its repr."""
    async with Partner(failure).client(attempts=1) as c:
        with pytest.raises(PartnerUnavailable) as failed:
            await c.get("/x")
    assert str(failed.value) == words


async def test_failures_stop_after_the_attempts_with_a_typed_error():
    partner = Partner(httpx.Response(502))
    async with partner.client(attempts=3) as c:
        with pytest.raises(PartnerUnavailable, match="HTTP 502") as caught:
            await c.get("/x")
    assert caught.value.retryable and len(partner.requests) == 3


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_in_seconds_is_waited_exactly(status):
    partner = Partner(httpx.Response(status, headers={"Retry-After": "7"}), ok(json={}))
    async with partner.client() as c:
        await c.get("/x")
    assert partner.waits == [7.0]


async def test_retry_after_as_an_http_date_is_honoured():
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    partner = Partner(httpx.Response(429, headers={"Retry-After": when}), ok(json={}))
    async with partner.client() as c:
        await c.get("/x")
    [wait] = partner.waits
    assert 17 <= wait <= 20


async def test_a_retry_after_longer_than_the_policy_waits_ends_the_call_instead():
    partner = Partner(httpx.Response(429, headers={"Retry-After": "3600"}))
    async with partner.client(max_wait=30) as c:
        with pytest.raises(RateLimited) as caught:
            await c.get("/x")
    assert caught.value.retry_after == 3600 and len(partner.requests) == 1 and not partner.waits


@pytest.mark.parametrize("status", [400, 401, 404, 409, 422])
async def test_a_4xx_refusal_is_never_retried(status):
    partner = Partner(httpx.Response(status, text="no such thing"))
    async with partner.client() as c:
        with pytest.raises(Rejected, match="no such thing") as caught:
            await c.get("/x")
    assert caught.value.status == status and not caught.value.retryable
    assert len(partner.requests) == 1 and not partner.waits


async def test_the_idempotency_key_is_sent_and_the_same_on_every_retry():
    partner = Partner(httpx.Response(503), httpx.ReadTimeout("lost"), ok(json={"id": 1}))
    async with partner.client() as c:
        reply = await c.post("/orders", json={"n": 1}, idempotency_key="posync-7f3a:order:12")
    assert reply.json() == {"id": 1}
    keys = [r.headers.get("Idempotency-Key") for r in partner.requests]
    assert keys == ["posync-7f3a:order:12"] * 3
    assert [json.loads(r.content) for r in partner.requests] == [{"n": 1}] * 3


async def test_text_bodies_go_out_and_come_back_as_text():
    edifact = "UNB+UNOC:3+SENDER+RECEIVER+240501:1200+1'UNH+1+ORDERS:D:96A:UN'BGM+220+PO-1 é'"
    partner = Partner(
        lambda request: httpx.Response(
            200,
            content=request.content,
            headers={"Content-Type": "application/EDIFACT; charset=iso-8859-1"},
        )
    )
    async with partner.client() as c:
        reply = await c.put(
            "/messages/1", text=edifact, content_type="application/EDIFACT; charset=iso-8859-1"
        )
    [sent] = partner.requests
    assert sent.method == "PUT" and sent.headers["Content-Type"].startswith("application/EDIFACT")
    assert sent.content == edifact.encode("latin-1")
    assert reply.text == edifact


async def test_text_that_is_not_in_its_charset_is_malformed():
    partner = Partner(ok(content=b"\xff\xfe", headers={"Content-Type": "text/plain"}))
    async with partner.client() as c:
        reply = await c.get("/x")
    with pytest.raises(MalformedResponse, match="not valid text") as caught:
        reply.text  # noqa: B018 - reading it is the test
    assert caught.value.where == "body"


# --- URLs ---------------------------------------------------------------------------------------


def test_path_segments_are_encoded_whole():
    assert path("orders", "../x?y#z") == "/orders/..%2Fx%3Fy%23z"
    assert path("orders", "SO 1/2") == "/orders/SO%201%2F2"


async def test_an_order_number_with_url_characters_reaches_the_partner_as_one_segment():
    partner = Partner(ok(json={**ORDER, "order_no": "../x?y#z a"}))
    async with partner.client(SupplierClient) as c:
        order = await c.order("../x?y#z a")
    [sent] = partner.requests
    assert sent.url.raw_path == b"/orders/..%2Fx%3Fy%23z%20a" and order.order_no == "../x?y#z a"


@pytest.mark.parametrize("value", ["", ".", "..", "SO-\ud800"])
async def test_a_value_that_cannot_be_a_path_segment_is_a_typed_error_naming_it(value):
    partner = Partner(ok(json=ORDER))
    async with partner.client(SupplierClient) as c:
        with pytest.raises(InvalidRequest) as caught:
            await c.order(value)
    assert caught.value.value == value and repr(value) in caught.value.message
    assert not caught.value.retryable and not partner.requests


async def test_a_query_value_that_cannot_be_sent_is_a_typed_error():
    partner = Partner(ok(json={}))
    async with partner.client() as c:
        with pytest.raises(InvalidRequest):
            await c.get("/x", params={"q": "\ud800"})
        with pytest.raises(InvalidRequest):
            await c.get("/x", headers={"X-Note": "line\nbreak"})
    assert not partner.requests


# --- limits on what a partner may send ----------------------------------------------------------


async def test_a_10_mb_body_is_refused_after_reading_no_more_than_the_limit():
    sent = []

    async def ten_megabytes():
        for _ in range(160):
            sent.append(1)
            yield b"x" * 65536

    partner = Partner(lambda request: httpx.Response(200, content=ten_megabytes()))
    async with partner.client(max_body=1_000_000) as c:
        with pytest.raises(MalformedResponse, match="larger than 1,000,000 bytes") as caught:
            await c.get("/x")
    error = caught.value
    assert error.where == "body" and len(error.raw) == 1_000_000 and not error.retryable
    assert len(sent) < 20 and len(partner.requests) == 1


async def test_the_default_limit_refuses_10_mb():
    partner = Partner(ok(content=b"[" + b"1," * 5_000_000 + b"1]"))
    async with partner.client() as c:
        with pytest.raises(MalformedResponse, match="larger than") as caught:
            await c.get_json("/x")
    assert len(caught.value.raw) == 5 * 1024 * 1024


async def test_50000_nested_brackets_are_a_typed_error_not_a_recursion_error():
    partner = Partner(ok(content=b"[" * 50_000 + b"]" * 50_000))
    async with partner.client() as c:
        with pytest.raises(MalformedResponse, match="nested 50000 levels") as caught:
            await c.get_json("/x")
    assert caught.value.where == "body" and caught.value.raw.startswith("[[[")


async def test_brackets_inside_strings_do_not_count_as_nesting():
    body = {"note": "[" * 1000 + '\\"{', "lines": [[[]]]}
    partner = Partner(ok(json=body))
    async with partner.client() as c:
        assert (await c.get_json("/x"))["note"] == body["note"]


@pytest.mark.parametrize("body", [b"NaN", b'{"n": Infinity}', b"1" * 5000, b"{'a': 1}"])
async def test_json_numbers_that_are_no_numbers_are_malformed(body):
    partner = Partner(ok(content=body))
    async with partner.client() as c:
        with pytest.raises(MalformedResponse, match="not JSON"):
            await c.get_json("/x")


@pytest.mark.parametrize(
    ("number", "where"),
    [
        (b"1e400", "$.lines[0].quantity_ordered"),
        (b"99999999999999999999999999999", "$.lines[0].quantity_ordered"),
        (b'"-1e400"', "$.lines[0].quantity_ordered"),
    ],
)
async def test_numbers_that_overflow_are_typed_errors_with_where(number, where):
    text = json.dumps(ORDER).replace('"quantity_ordered": "2"', '"quantity_ordered": NUMBER')
    partner = Partner(ok(content=text.encode().replace(b"NUMBER", number)))
    async with partner.client(SupplierClient) as c:
        with pytest.raises(MalformedResponse) as caught:
            await c.order("SO-1")
    error = caught.value
    assert error.where == where and "SO-1" in error.message
    assert "lines[0].quantity_ordered" in error.message and error.raw == text.replace(
        "NUMBER", number.decode()
    )


def feed_with(notified_at: str) -> dict:
    change = {"seq": 1, "supplier_account": "A", "order_no": "SO-1", "notified_at": notified_at}
    return {"changes": [change], "next_cursor": "1"}


@pytest.mark.parametrize(
    "stamp", ["0001-01-01T00:00:00+05:00", "0001-01-01T00:00:00", "9999-12-31T23:59:59-05:00"]
)
async def test_timestamps_out_of_range_are_typed_errors_with_where(stamp):
    partner = Partner(ok(json=feed_with(stamp)))
    async with partner.client(SupplierClient) as c:
        if stamp == "0001-01-01T00:00:00":  # naive: read as UTC, no conversion to overflow
            assert (await c.feed()).changes[0].notified_at.year == 1
            return
        with pytest.raises(MalformedResponse, match="out of range") as caught:
            await c.feed()
    assert caught.value.where == "$.changes[0].notified_at" and caught.value.raw


async def test_a_far_future_timestamp_parses_the_feed_layer_decides_whether_to_trust_it():
    partner = Partner(ok(json=feed_with("2999-01-01T00:00:00Z")))
    async with partner.client(SupplierClient) as c:
        assert (await c.feed()).changes[0].notified_at.year == 2999


# --- a body the partner cut off -----------------------------------------------------------------


@pytest.fixture
async def cutting_server():
    """A real HTTP server whose first answer promises 100 bytes and sends 10, then closes."""
    answers = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal answers
        await reader.readuntil(b"\r\n\r\n")
        answers += 1
        body = b'{"ok": true}'
        length = 100 if answers == 1 else len(body)
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
        writer.write(head.encode() + body[:10] if answers == 1 else head.encode() + body)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", lambda: answers
    server.close()
    await server.wait_closed()


async def test_an_answer_cut_off_mid_body_is_retried(cutting_server):
    url, answers = cutting_server
    waits = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async with PartnerClient(url, sleep=sleep) as c:
        assert await c.get_json("/x") == {"ok": True}
    assert answers() == 2 and len(waits) == 1


async def test_an_answer_always_cut_off_is_unavailable_not_malformed(cutting_server):
    url, _ = cutting_server

    async def sleep(seconds: float) -> None:
        pass

    async with PartnerClient(url, sleep=sleep, attempts=1) as c:
        with pytest.raises(PartnerUnavailable, match="broke off"):
            await c.get("/x")


# --- any bytes at all ---------------------------------------------------------------------------

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


def order_bodies() -> st.SearchStrategy[bytes]:
    mutated_line = st.fixed_dictionaries(
        {}, optional={k: JSONISH for k in ("line_no", "quantity_ordered", "unit_cost", "status")}
    ).map(lambda extra: {**ORDER, "lines": [{**ORDER["lines"][0], **extra}]})
    return st.one_of(
        st.binary(max_size=300),
        JSONISH.map(lambda v: json.dumps(v).encode()),
        mutated_line.map(lambda v: json.dumps(v).encode()),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=order_bodies())
def test_any_bytes_as_an_order_end_in_a_record_or_a_malformed_response(body):
    partner = Partner(ok(content=body))

    async def fetch():
        async with partner.client(SupplierClient, attempts=1) as c:
            try:
                return await c.order("SO-1")
            except MalformedResponse as exc:
                return exc

    assert isinstance(asyncio.run(fetch()), SupplierOrder | MalformedResponse)


# --- making a client ----------------------------------------------------------------------------


async def test_clients_read_the_certificate_authorities_once(monkeypatch):
    """Reading them takes tens of ms; a job made a client on the console's loop at each run."""
    import ssl

    from connectors import base

    made = []
    real = ssl.create_default_context

    def counted(*args, **kw):
        made.append(args)
        return real(*args, **kw)

    monkeypatch.setattr(ssl, "create_default_context", counted)
    base._tls_context.cache_clear()
    for _ in range(3):
        await PartnerClient("https://partner.example").aclose()
    assert len(made) == 1
