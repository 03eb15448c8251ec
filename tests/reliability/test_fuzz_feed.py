"""Bad input through the inbound feeds (issue 20): generated bad records among good ones, served
by the sandboxes over HTTP and read by the real feeds. Every bad one is set aside with its raw
text and the place it went wrong, nothing of it applied; every good one around it applies.

- Supplier auto-sync (``supplier_sync`` on ``posync_tui.feed``): a supplier order's body is
  replaced by a generated answer its parser refuses; the entry is quarantined
  (``feed_quarantine``) with the body as received and the JSON path at fault.
- The EDI hub (``edi_feed``): an order response mutated until the parser refuses it is dropped
  in the mailbox between good ones; it is kept as a FAILED document with its text and segment.

One world (database, sandbox) serves all examples of a test, as a long-running feed would:
each example adds its own records and checks only those.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlmodel import col, select

from connectors.base import MalformedResponse
from connectors.bodies import Reply
from connectors.edifact import EdifactError, OrderResponse, ResponseLine, build, parse
from connectors.sandbox.edi_hub import EdiHubSandbox
from connectors.sandbox.server import Sandbox
from connectors.supplier import parse_order
from posync_tui.config import Settings
from posync_tui.db import Database
from posync_tui.feed import storable
from posync_tui.models import DocumentStatus, EdiDocument, QuarantinedEntry
from posync_tui.runtime import Runtime
from posync_tui.services import supplier_sync
from posync_tui.services.edi_partner import EDI
from tests import records
from tests.edi_world import BUYER, SUPPLIER, edi_po, interchange
from tests.reliability.fuzz import (
    TIMEOUT,
    fuzz_settings,
    json_bodies,
    mutated_interchange,
    report,
    tally,
)
from tests.supplier_world import lease, make_world

NUMBERS = itertools.count(1)

pytestmark = TIMEOUT


@pytest.fixture(scope="module", autouse=True)
def _report(request):
    yield from report(request)


def _database(tmp_path_factory: pytest.TempPathFactory, name: str) -> Database:
    database = Database(f"sqlite:///{tmp_path_factory.mktemp(name) / 'posync.db'}")
    database.upgrade()
    return database


# --- supplier auto-sync ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def supplier_world(tmp_path_factory):
    database = _database(tmp_path_factory, "supplier")
    yield from make_world(database)
    database.dispose()


def refused_by_the_parser(body: str) -> bool:
    """The supplier's parser refuses ``body`` as the answer for an order; the sandbox can send
    it (text it can encode)."""
    try:
        body.encode()
    except UnicodeEncodeError:
        return False
    reply = Reply("The supplier", 200, httpx.Headers(), body.encode())
    try:
        order = reply.json_as(parse_order)
    except MalformedResponse:
        return True
    return order.order_no != "SO-FUZZ"  # the feed asks for another order: refused too


VALID_ORDER = {
    "order_no": "SO-FUZZ",
    "supplier_account": "ACC-1001",
    "currency": "USD",
    "lines": [{"line_no": 1, "supplier_part_no": "AC-100", "quantity_ordered": "12",
               "quantity_confirmed": "10", "unit_cost": "4.25"}],
}  # fmt: skip
BAD_ORDERS = json_bodies(VALID_ORDER).filter(refused_by_the_parser)


@dataclass
class Sent:
    po_id: int
    order_no: str
    bad: str | None  # the body served instead of the order
    confirmed: int


@fuzz_settings(ci=4, full=100)
@given(entries=st.lists(st.none() | BAD_ORDERS, min_size=2, max_size=6))
@example(entries=[None, ""])  # an empty body was quarantined without its (empty) text
def test_bad_supplier_orders_among_good_ones_are_set_aside_with_their_text(supplier_world, entries):
    tally("test_bad_supplier_orders_among_good_ones_are_set_aside_with_their_text")
    world = supplier_world
    sent = []
    for n, bad in enumerate(entries, 1):
        po_id, order_no = world.make_po(f"PO-F{next(NUMBERS):07d}")
        if bad is None:
            world.supplier.change_line(order_no, 1, quantity_confirmed=n)
        else:
            world.supplier.break_order(order_no, bad)
        sent.append(Sent(po_id, order_no, bad, n))

    asyncio.run(supplier_sync.poll(world.rt, fence=lease(world.db)))

    with world.db.reader() as s:
        keys = [x.order_no for x in sent]
        rows = s.exec(select(QuarantinedEntry).where(col(QuarantinedEntry.entry_key).in_(keys)))
        quarantined = {row.entry_key: row for row in rows}
    for x in sent:
        if x.bad is None:
            assert x.order_no not in quarantined
            assert world.lines(x.po_id)[1].quantity_confirmed == x.confirmed
        else:
            row = quarantined[x.order_no]
            assert (row.stage, row.error) == ("parse", "MalformedResponse")
            assert row.raw == storable(x.bad) and row.message
            assert row.field_path == "body" or row.field_path.startswith("$")
            assert world.po(x.po_id).supplier_order_no is None  # nothing of it applied
    assert supplier_sync.read_cursor(world.db) == str(world.supplier.feed_length())


# --- the EDI hub -------------------------------------------------------------------------------

PO = "PO-0000100"


@pytest.fixture(scope="module")
def edi_world(tmp_path_factory):
    database = _database(tmp_path_factory, "edi")
    edi_po(database, number=PO)
    hub = EdiHubSandbox()
    partners = Sandbox([hub])
    with partners.serve() as server:
        yield hub, Runtime(Settings(), database, sandbox=partners, sandbox_server=server)
    database.dispose()


def response(quantity: int, control_ref: str) -> str:
    line = ResponseLine(1, "3", buyer_line=1, quantity=Decimal(quantity))
    answer = OrderResponse(
        "R1", "4", PO, date(2026, 11, 3), BUYER, SUPPLIER, (line,), message_ref="M1"
    )
    return build(interchange(answer, control_ref=control_ref))


def refused_by_edifact(text: str) -> bool:
    try:
        text.encode("iso-8859-1")
        parse(text)
    except UnicodeEncodeError:
        return False  # the hub carries ISO-8859-1 bytes: not a text it can hold
    except EdifactError:
        return True
    return False


BAD_INTERCHANGES = mutated_interchange(response(7, "SBAD")).filter(refused_by_edifact)


@fuzz_settings(ci=4, full=100)
@given(entries=st.lists(st.none() | BAD_INTERCHANGES, min_size=2, max_size=6))
def test_bad_interchanges_among_good_ones_are_kept_failed_with_their_text(edi_world, entries):
    tally("test_bad_interchanges_among_good_ones_are_kept_failed_with_their_text")
    hub, rt = edi_world
    with rt.db.reader() as s:
        before = len(s.exec(select(EdiDocument)).all())
    texts = []
    for n, bad in enumerate(entries, 1):
        text = bad if bad is not None else response(n, f"S{next(NUMBERS)}")
        hub.drop(text)
        texts.append((text, bad is not None))

    asyncio.run(EDI.jobs[0].run(rt, records.fence(rt.db, "edi_hub")))

    with rt.db.reader() as s:
        documents = s.exec(select(EdiDocument).order_by(EdiDocument.id)).all()[before:]
    assert len(documents) == len(texts)
    for document, (text, bad) in zip(documents, texts, strict=True):
        if bad:
            assert document.status == DocumentStatus.FAILED and document.error
            assert document.raw == text
            assert document.position and document.position.startswith("segment")
        else:
            assert document.status == DocumentStatus.APPLIED, document.error
