"""The sandbox hub's supplier, scripted per PO or for every order, seen through the client:
what each behaviour sends back, shipping in parts, invoicing with freight and terms."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from connectors.edi_hub import EdiHubClient
from connectors.edifact import AcceptStatus, parse
from connectors.sandbox.edi_hub import EdiHubSandbox
from connectors.sandbox.server import Sandbox
from tests.test_edi_hub import client, orders_text


@pytest.fixture
def hub():
    return EdiHubSandbox()


@pytest.fixture
def server(hub):
    with Sandbox([hub]).serve() as running:
        yield running


async def inbound(c: EdiHubClient, cursor: str | None = None) -> list:
    """Every message in the inbox after ``cursor``, parsed."""
    page = await c.inbox(cursor, limit=500)
    return [parse(await c.download(d.id)).messages[0] for d in page.documents]


async def answer(server, po: str = "PO-000123", ref: str = "CR000001"):
    async with client(server) as c:
        await c.send(orders_text(ref, po))
        *_, response = await inbound(c)  # the answer to this order is the newest
    return response


def statuses(response) -> list[tuple[int | None, AcceptStatus | None, Decimal | None]]:
    return [(line.buyer_line, line.status, line.quantity) for line in response.lines]


async def test_accept_all(server):
    response = await answer(server)
    assert response.status is AcceptStatus.ACCEPTED and response.order_number == "PO-000123"
    assert statuses(response) == [
        (1, AcceptStatus.ACCEPTED, Decimal(4)),
        (2, AcceptStatus.ACCEPTED, Decimal("2.5")),
    ]


async def test_change_a_quantity_and_accept_scripted_over_http_for_every_order(server):
    script = {"op": "script", "args": {"behaviour": "change", "line": 1, "quantity": "3"}}
    reply = httpx.post(f"{server.url}/edi_hub/_control", json=script)
    assert reply.status_code == 200, reply.text
    response = await answer(server)
    assert response.status is AcceptStatus.CHANGED
    assert statuses(response)[0] == (1, AcceptStatus.CHANGED, Decimal(3))
    assert statuses(response)[1][1] is AcceptStatus.ACCEPTED


async def test_change_a_price_date_and_item(hub, server):
    hub.script(
        "PO-000123",
        behaviour="change",
        line=2,
        price="6.99",
        delivery_date="2026-04-01",
        item="MS-11",
    )
    line = (await answer(server)).lines[1]
    assert (line.status, line.price, str(line.delivery_date), line.mpn) == (
        AcceptStatus.CHANGED,
        Decimal("6.99"),
        "2026-04-01",
        "MS-11",
    )
    assert line.quantity == Decimal("2.5")


async def test_reject_the_order(hub, server):
    hub.script("PO-000123", behaviour="reject")
    response = await answer(server)
    assert response.status is AcceptStatus.REJECTED
    assert {s for _, s, _ in statuses(response)} == {AcceptStatus.REJECTED}


async def test_reject_one_line(hub, server):
    hub.script("PO-000123", behaviour="reject_line", line=2)
    response = await answer(server)
    assert response.status is AcceptStatus.CHANGED
    assert statuses(response)[1] == (2, AcceptStatus.REJECTED, Decimal(0))


async def test_delete_a_line(hub, server):
    hub.script("PO-000123", behaviour="delete_line", line=1)
    assert statuses(await answer(server))[0] == (1, AcceptStatus.DELETED, Decimal(0))


async def test_add_a_line(hub, server):
    hub.script("PO-000123", behaviour="add_line", item="CBL-1", quantity=2, price="3.10")
    response = await answer(server)
    added = response.lines[-1]
    assert (added.buyer_line, added.status, added.mpn, added.quantity, added.price) == (
        None,
        AcceptStatus.ADDED,
        "CBL-1",
        Decimal(2),
        Decimal("3.10"),
    )


async def test_split_a_line_into_two_deliveries(hub, server):
    hub.script("PO-000123", behaviour="split_line", line=1, quantity=1)
    response = await answer(server)
    split = [line for line in response.lines if line.buyer_line == 1]
    assert [line.quantity for line in split] == [Decimal(1), Decimal(3)]
    assert split[1].delivery_date > split[0].delivery_date


async def test_a_script_per_po_wins_over_the_global_one(hub, server):
    hub.script(behaviour="reject")
    hub.script("PO-2", behaviour="accept")
    assert (await answer(server, "PO-2", "CR2")).status is AcceptStatus.ACCEPTED
    assert (await answer(server, "PO-3", "CR3")).status is AcceptStatus.REJECTED


async def test_confirmed_quantities_in_qty_187(hub, server):
    hub.script(behaviour="accept", confirmed_qualifier="187")
    async with client(server) as c:
        await c.send(orders_text())
        text = await c.download((await c.inbox()).documents[0].id)
    assert "QTY+187:4'" in text


async def test_a_silent_supplier_and_a_script_that_does_not_fit_send_nothing(hub, server):
    hub.script("PO-1", behaviour="silent")
    hub.script("PO-2", behaviour="delete_line", line=9)
    async with client(server) as c:
        await c.send(orders_text("CR1", "PO-1"))
        await c.send(orders_text("CR2", "PO-2"))
        assert (await c.inbox()).documents == []
    assert "no line 9" in hub.orders()[1]["error"]
    hub.respond("PO-1", behaviour="accept")
    assert [d["type"] for d in hub.inbox()] == ["ORDRSP"]


async def test_ship_in_parts_with_serials_and_tracking_then_invoice_with_freight(hub, server):
    hub.script(
        "PO-000123",
        behaviour="change",
        line=1,
        quantity=3,
        ship=2,
        invoice=True,
        freight="7.50",
        terms="2/10NET30",
    )
    async with client(server) as c:
        await c.send(orders_text())
        response, first, second, invoice = await inbound(c)
    assert [line.quantity for line in first.lines] == [Decimal(2), Decimal(1)]
    assert [line.quantity for line in second.lines] == [Decimal(1), Decimal("1.5")]
    assert first.order_number == second.order_number == "PO-000123"
    serials = [*first.lines[0].serials, *second.lines[0].serials]
    assert len(serials) == 3 == len(set(serials))
    assert first.tracking_numbers != second.tracking_numbers and first.tracking_numbers
    assert [(line.buyer_line, line.quantity) for line in invoice.lines] == [
        (1, Decimal(3)),
        (2, Decimal("2.5")),
    ]
    assert [(c.code, c.amount) for c in invoice.charges] == [("FC", Decimal("7.50"))]
    assert invoice.terms.identifier == "2/10NET30" and invoice.terms.discount_percent == 2
    assert (invoice.due - invoice.issued).days == 30
    assert invoice.totals.charges == Decimal("7.50") and invoice.totals.tax > 0


async def test_ship_and_invoice_on_demand_with_unknown_terms(hub, server):
    async with client(server) as c:
        await c.send(orders_text())
        hub.ship("PO-000123")
        hub.invoice("PO-000123", terms="EOM60")
        _, advice, invoice = await inbound(c)
    assert [line.quantity for line in advice.lines] == [Decimal(4), Decimal("2.5")]
    assert invoice.terms.identifier == "EOM60" and invoice.charges == ()
    assert hub.ship("PO-000123") == []  # nothing left open


async def test_the_control_route_lists_its_operations(server):
    reply = httpx.post(f"{server.url}/edi_hub/_control", json={"op": "nope"})
    assert reply.status_code == 400 and "script" in reply.json()["error"]
    bad = httpx.post(
        f"{server.url}/edi_hub/_control", json={"op": "script", "args": {"behaviour": "dance"}}
    )
    assert bad.status_code == 400 and "behaviour must be one of" in bad.json()["error"]


async def test_ship_one_part_now_and_the_rest_later(hub, server):
    async with client(server) as c:
        await c.send(orders_text())
        assert len(hub.ship("PO-000123", parts=2, now=1)) == 1
        _, first = await inbound(c)
        assert [line.quantity for line in first.lines] == [Decimal(2), Decimal(1)]
        assert len(hub.ship("PO-000123", parts=2)) == 1
        *_, second = await inbound(c)
    assert [line.quantity for line in second.lines] == [Decimal(2), Decimal("1.5")]
    assert [o["despatches"] for o in hub.orders()] == [2]
