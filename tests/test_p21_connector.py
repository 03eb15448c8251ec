"""The Prophet 21 client against the simulated P21 (a real oe_line_po table), over HTTP."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx
import pytest

from connectors.base import PartnerUnavailable
from connectors.p21 import LinkRequest, P21Client, P21Line, P21PurchaseOrder, P21Refused
from connectors.sandbox.p21 import P21Sandbox
from connectors.sandbox.server import Sandbox


@pytest.fixture
def p21():
    sandbox = P21Sandbox()
    sandbox.add_item("BOLT-8", "Hex bolts M8")
    sandbox.add_item("NUT-8")
    for number, day, customer in (("SO-2", "2026-10-02", "C2"), ("SO-1", "2026-10-01", "C1")):
        sandbox.add_sales_order(
            number,
            customer,
            day,
            [{"line_number": 1, "item_id": "BOLT-8", "qty_ordered": 5, "qty_backordered": 4}],
        )
    return sandbox


@pytest.fixture
def server(p21):
    with Sandbox([p21]).serve() as running:
        yield running


def client(server, **kw) -> P21Client:
    return P21Client(f"{server.url}/p21", timeout=kw.pop("timeout", 2.0), first_wait=0.01, **kw)


PO = P21PurchaseOrder(
    "PO-1", "V1", date(2026, 11, 2), [P21Line(1, "BOLT-8", Decimal(6), Decimal("1.5"))]
)
WANTED = [
    LinkRequest("SO-1", 1, 1, Decimal(4)),
    LinkRequest("SO-2", 1, 1, Decimal(2)),
]


async def test_a_po_and_its_links_land_in_oe_line_po(server, p21):
    async with client(server) as c:
        exported = await c.export_po(PO, key="k1")
        links = await c.links("PO-1")
        assert links == []
        written = await c.write_links("PO-1", WANTED, key="k2")
        assert await c.links("PO-1") == written
        assert await c.purchase_order("PO-1") == exported
        assert await c.purchase_order("PO-9") is None
    assert [w.wanted() for w in written] == WANTED
    rows = p21.oe_line_po("PO-1")
    assert [(r["order_number"], r["quantity_on_po"], r["connection_type"]) for r in rows] == [
        ("SO-1", "4", "P"),
        ("SO-2", "2", "P"),
    ]
    assert all(r["delete_flag"] == r["cancel_flag"] == r["completed"] == "N" for r in rows)


async def test_writing_the_set_again_adjusts_and_releases_never_duplicates(server, p21):
    async with client(server) as c:
        await c.export_po(PO, key="k1")
        await c.write_links("PO-1", WANTED, key="k2")
        await c.write_links("PO-1", WANTED, key="k3")
        assert len(p21.oe_line_po("PO-1")) == 2
        written = await c.write_links("PO-1", [LinkRequest("SO-1", 1, 1, Decimal(3))], key="k4")
    assert [(w.order_number, w.quantity_on_po) for w in written] == [("SO-1", Decimal(3))]
    released = [r for r in p21.oe_line_po("PO-1") if r["delete_flag"] == "Y"]
    assert [r["order_number"] for r in released] == ["SO-2"]


async def test_backordered_lines_are_read_oldest_first_with_what_is_on_pos(server):
    async with client(server) as c:
        await c.export_po(PO, key="k1")
        await c.write_links("PO-1", WANTED[:1], key="k2")
        lines = await c.backorders("BOLT-8")
    assert [(b.order_number, b.qty_backordered, b.qty_on_po) for b in lines] == [
        ("SO-1", Decimal(4), Decimal(4)),
        ("SO-2", Decimal(4), Decimal(0)),
    ]


async def test_an_unknown_item_is_refused_by_name(server, p21):
    po = P21PurchaseOrder("PO-2", "V1", None, [P21Line(1, "<b>ZZ</b>", Decimal(1), Decimal(1))])
    async with client(server) as c:
        with pytest.raises(P21Refused) as refused:
            await c.export_po(po, key="k1")
        assert await c.purchase_order("PO-2") is None
    assert refused.value.code == "unknown item" and refused.value.subject == "<b>ZZ</b>"


async def test_a_closed_sales_order_refuses_the_whole_link_set(server, p21):
    p21.close_order("SO-2")
    async with client(server) as c:
        await c.export_po(PO, key="k1")
        with pytest.raises(P21Refused, match="SO-2 is closed") as refused:
            await c.write_links("PO-1", WANTED, key="k2")
    assert refused.value.code == "closed sales order"
    assert p21.oe_line_po() == []


async def test_an_outage_mid_write_leaves_no_link(server, p21):
    p21.fail_link_writes(2)
    async with client(server, attempts=2) as c:
        await c.export_po(PO, key="k1")
        with pytest.raises(PartnerUnavailable):
            await c.write_links("PO-1", WANTED, key="k2")
    assert p21.oe_line_po() == []


async def test_a_lost_answer_was_written_and_the_retry_changes_nothing(server, p21):
    p21.lose_answers(1)
    async with client(server) as c:
        await c.export_po(PO, key="k1")
        written = await c.write_links("PO-1", WANTED, key="k2")  # retried after the 504
    assert len(written) == 2 and len(p21.oe_line_po()) == 2


async def test_the_control_route_scripts_it_from_another_process(server, p21):
    async with httpx.AsyncClient() as http:
        answer = await http.post(
            f"{server.url}/p21/_control",
            json={"op": "close_order", "args": {"order_number": "SO-1"}},
        )
        assert answer.status_code == 200
        answer = await http.post(
            f"{server.url}/p21/_control", json={"op": "faults", "args": {"down": True}}
        )
    async with client(server, attempts=1, timeout=0.3) as c:
        with pytest.raises(PartnerUnavailable):
            await c.links("PO-1")
    p21.faults.down = False  # the held call is dropped when the server stops
