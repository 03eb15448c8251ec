"""The EDI hub client against the sandbox hub, over real loopback HTTP: the mailbox contract."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from connectors.base import MalformedResponse, PartnerUnavailable, Rejected
from connectors.edi_hub import EdiHubClient, InboundDocument
from connectors.edifact import ContentError, build_orders, parse
from connectors.sandbox.edi_hub import LISTED_CONTENT, EdiHubSandbox
from connectors.sandbox.server import Sandbox
from tests.edi_data import ENVELOPE, ORDER


@pytest.fixture
def hub():
    return EdiHubSandbox()


@pytest.fixture
def server(hub):
    with Sandbox([hub]).serve() as running:
        yield running
        hub.faults.clear()


def client(server, **kw) -> EdiHubClient:
    kw.setdefault("timeout", 2.0)
    kw.setdefault("first_wait", 0.01)
    return EdiHubClient(f"{server.url}/edi_hub", **kw)


def orders_text(ref: str = "CR000001", po: str = "PO-000123") -> str:
    return build_orders(replace(ORDER, number=po), replace(ENVELOPE, control_ref=ref))


async def test_an_interchange_is_sent_as_text_and_accepted(hub, server):
    async with client(server) as c:
        sent = await c.send(orders_text())
    assert sent.outcome == "accepted" and not sent.duplicate
    assert sent.control_ref == "CR000001" and sent.document_id.startswith("OUT-")
    [received] = hub.received()
    assert received["text"] == orders_text()


async def test_a_second_interchange_with_the_same_control_reference_is_a_duplicate(hub, server):
    async with client(server) as c:
        first = await c.send(orders_text())
        again = await c.send(orders_text(po="PO-OTHER"))
    assert again.outcome == "duplicate" and again.duplicate
    assert again.document_id == first.document_id and again.control_ref == "CR000001"
    assert len(hub.received()) == 1 and [o["po"] for o in hub.orders()] == ["PO-000123"]


async def test_a_lost_answer_is_retried_and_reported_as_the_duplicate_it_is(hub, server):
    hub.lose_next_answers(1)
    async with client(server) as c:
        sent = await c.send(orders_text())
    assert sent.duplicate and len(hub.received()) == 1


async def test_an_interchange_the_hub_cannot_read_is_refused_not_retried(hub, server):
    broken = orders_text().replace("UNT+", "UNX+")
    async with client(server) as c:
        with pytest.raises(Rejected) as caught:
            await c.send(broken)
    assert caught.value.status == 422 and "UNT" in caught.value.message
    assert hub.faults.calls == 1 and hub.received() == []


async def test_a_failing_hub_is_retried_then_reported_unavailable(hub, server):
    hub.faults.fail_next(10)
    async with client(server, attempts=2) as c:
        with pytest.raises(PartnerUnavailable):
            await c.send(orders_text())
    assert hub.faults.calls == 2 and hub.received() == []


async def test_a_slow_hub_times_out(hub, server):
    hub.faults.delay = 1.0
    async with client(server, timeout=0.2, attempts=1) as c:
        with pytest.raises(PartnerUnavailable, match="in time"):
            await c.inbox()


async def test_the_inbox_is_listed_in_pages_downloaded_and_acknowledged(hub, server):
    async with client(server) as c:
        await c.send(orders_text())  # the supplier answers with an ORDRSP
        hub.ship("PO-000123", parts=2)
        page = await c.inbox(limit=2)
        assert [(d.seq, d.type) for d in page.documents] == [(1, "ORDRSP"), (2, "DESADV")]
        assert page.next_cursor == "2"
        rest = await c.inbox(page.next_cursor)
        assert [(d.seq, d.type) for d in rest.documents] == [(3, "DESADV")]
        assert (await c.inbox(rest.next_cursor)).documents == []
        first = page.documents[0]
        text = await c.download(first.id)
        assert first.size == len(text) and first.sender == ORDER.supplier
        assert parse(text).control_ref == first.control_ref
        await c.acknowledge([first.id])
        assert (await c.inbox()).documents[0].acknowledged
        with pytest.raises(Rejected) as caught:
            await c.download("IN-999999")
        assert caught.value.status == 404


async def test_a_page_carries_its_interchanges_text_and_is_acknowledged_at_once(hub, server):
    async with client(server) as c:
        await c.send(orders_text())
        hub.ship("PO-000123", parts=2)
        page = await c.inbox(limit=3, content=True)
        assert all(d.content is not None for d in page.documents)
        assert [await c.text(d) for d in page.documents] == [
            await c.download(d.id) for d in page.documents
        ]
        assert (await c.inbox()).documents[0].content is None  # only when asked
        await c.acknowledge([d.id for d in page.documents[:2]])
        assert [d["acknowledged"] for d in hub.inbox()] == [True, True, False]
        with pytest.raises(Rejected) as caught:
            await c.acknowledge(["IN-000001", "IN-999999"])
    assert caught.value.status == 404


async def test_a_large_interchange_is_listed_without_its_text_and_downloaded(hub, server):
    padded = orders_text() + " " * LISTED_CONTENT
    hub.drop(padded)
    async with client(server) as c:
        (document,) = (await c.inbox(content=True)).documents
        assert document.content is None and document.size > LISTED_CONTENT
        assert await c.text(document) == padded


async def test_listed_content_that_is_not_base64_is_malformed_with_the_text():
    document = InboundDocument(1, "IN-1", "ORDRSP", "R1", "X", datetime.now(UTC), 3, content="@@@")
    async with EdiHubClient("http://127.0.0.1:9") as c:
        with pytest.raises(MalformedResponse) as caught:
            await c.text(document)
    assert caught.value.where == "content" and caught.value.raw == "@@@"


async def test_latin_1_text_is_downloaded_as_it_was_written(hub, server):
    document = hub.drop("UNB+UNOC:3+X+Y+260303:1405+R1'UNZ+0+R1'FTX+AAI+++Größe'")
    async with client(server) as c:
        assert "Größe" in await c.download(document)


async def test_bytes_the_declared_character_set_cannot_hold_are_malformed_with_the_text(
    hub, server
):
    document = hub.drop("UNB+UNOA:3+X+Y+260303:1405+R1'UNH+1+ORDRSP:D:96A:UN'BGM+231+Größe'")
    async with client(server) as c:
        with pytest.raises(MalformedResponse) as caught:
            await c.download(document)
    assert caught.value.where == "segment 3" and "Größe" in caught.value.raw


async def test_a_malformed_interchange_dropped_in_the_inbox_is_downloaded_as_is(hub, server):
    bad = orders_text().replace("QTY+21:4", "QTY+21:FOUR")
    document = hub.drop(bad, type="ORDRSP")
    async with client(server) as c:
        text = await c.download(document)
    assert text == bad
    with pytest.raises(ContentError, match="FOUR"):
        parse(text)


async def test_control_references_are_unique_per_sender(hub, server):
    other = replace(ENVELOPE, sender="5412345000037")
    async with client(server) as c:
        first = await c.send(orders_text())
        second = await c.send(build_orders(replace(ORDER, number="PO-2"), other))
    assert (first.outcome, second.outcome) == ("accepted", "accepted")
    assert first.control_ref == second.control_ref and first.document_id != second.document_id
