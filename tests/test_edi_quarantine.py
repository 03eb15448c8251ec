"""Bad inbound interchanges (Onetrail seed, issue "Bad input"): each malformed one is set aside
with a clear error and the segment at fault, nothing of it applied, and the next one still
processes; release-character escapes and ISO-8859-1 text are read as meant."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from connectors.edifact import OrderResponse, ResponseLine, build
from connectors.sandbox.edi_hub import EdiHubSandbox
from connectors.sandbox.server import Sandbox
from posync_tui.config import Settings
from posync_tui.models import DocumentStatus, EdiDocument, PoAmendment, PurchaseOrderLine
from posync_tui.runtime import Runtime
from posync_tui.services.edi_partner import EDI
from tests import records
from tests.edi_world import BUYER, SUPPLIER, edi_po, interchange


@pytest.fixture
def world(db):
    hub = EdiHubSandbox()
    partners = Sandbox([hub])
    with partners.serve() as server:
        yield hub, Runtime(Settings(), db, sandbox=partners, sandbox_server=server)


def answer(*lines: ResponseLine, control_ref: str = "S1", number: str = "PO-0000100") -> str:
    response = OrderResponse(
        "R1", "4", number, date(2026, 11, 3), BUYER, SUPPLIER, lines, message_ref="M1"
    )
    return build(interchange(response, control_ref=control_ref))


CHANGE = ResponseLine(1, "3", buyer_line=1, quantity=Decimal(8))
GOOD = answer(ResponseLine(2, "5", buyer_line=2, quantity=Decimal(4)), control_ref="S9")

MALFORMED = {
    "bad UNA": lambda text: "UNA:+.?+'" + text[9:],
    "missing UNT": lambda text: text[: text.index("UNT+")] + text[text.index("UNZ+") :],
    "wrong segment count": lambda text: text.replace("UNT+", "UNT+9", 1),
    "non-numeric quantity": lambda text: text.replace("QTY+113:8", "QTY+113:eight"),
    "unknown PO reference": lambda text: text.replace("ON:PO-0000100", "ON:PO-9"),
    "unknown line": lambda text: text.replace("LI:1", "LI:7"),
}


def run(rt) -> None:
    asyncio.run(EDI.jobs[0].run(rt, records.fence(rt.db, "edi_hub")))


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_interchange_is_set_aside_and_the_next_processes(world, case):
    hub, rt = world
    edi_po(rt.db)
    text = MALFORMED[case](answer(CHANGE))
    assert text != answer(CHANGE)
    hub.drop(text)
    hub.drop(GOOD)
    run(rt)
    with rt.db.reader() as s:
        bad, good = s.exec(select(EdiDocument).order_by(EdiDocument.id)).all()
        lines = s.exec(select(PurchaseOrderLine).order_by(PurchaseOrderLine.line_no)).all()
        assert s.exec(select(PoAmendment)).all() == []  # nothing of the bad one
    assert bad.status == DocumentStatus.FAILED and bad.error and bad.raw == text
    if case not in ("unknown PO reference", "unknown line"):
        assert bad.position and bad.position.startswith("segment")
    assert lines[0].quantity_confirmed is None
    assert good.status == DocumentStatus.APPLIED
    assert lines[1].edi_accept_status == "Accepted"


def test_release_characters_and_latin_1_text_are_read_as_meant(world):
    hub, rt = world
    edi_po(rt.db)  # line 1's item has MPN "KB-200+US"
    added = ResponseLine(3, "1", mpn="CBL-1", quantity=Decimal(1), description="Câble réseau")
    text = answer(ResponseLine(1, "5", mpn="KB-200+US", quantity=Decimal(10)), added)
    assert "KB-200?+US" in text
    hub.drop(text, encoding="iso-8859-1")
    run(rt)
    with rt.db.reader() as s:
        lines = s.exec(select(PurchaseOrderLine).order_by(PurchaseOrderLine.line_no)).all()
    assert lines[0].edi_accept_status == "Accepted"  # matched by its MPN, unescaped
    assert lines[2].description == "Câble réseau"


def test_an_interchange_sent_again_is_set_aside_and_the_rest_of_its_page_applies(world):
    """What a page refers to is read once for the page: the copy still sees the first."""
    hub, rt = world
    edi_po(rt.db)
    text = answer(CHANGE)
    hub.drop(text)
    run(rt)
    hub.drop(text)
    hub.drop(GOOD)
    run(rt)
    with rt.db.reader() as s:
        documents = s.exec(select(EdiDocument).order_by(EdiDocument.id)).all()
        amendments = s.exec(select(PoAmendment)).all()
        lines = s.exec(select(PurchaseOrderLine).order_by(PurchaseOrderLine.line_no)).all()
    assert [d.status for d in documents] == [
        DocumentStatus.APPLIED,
        DocumentStatus.FAILED,
        DocumentStatus.APPLIED,
    ]
    assert "taken in already" in (documents[1].error or "")
    assert [(a.field, a.old_value, a.new_value) for a in amendments] == [("quantity", "10", "8")]
    assert [line.quantity_confirmed for line in lines[:2]] == [Decimal(8), Decimal(4)]


def test_two_copies_in_one_page_set_the_copy_aside_and_the_feed_moves_on(world):
    """Each copy applies alone; together they fail: the later one is set aside, not the page."""
    hub, rt = world
    edi_po(rt.db)
    text = answer(CHANGE)
    hub.drop(text)
    hub.drop(text)
    hub.drop(GOOD)
    run(rt)
    with rt.db.reader() as s:
        documents = s.exec(select(EdiDocument).order_by(EdiDocument.id)).all()
        amendments = s.exec(select(PoAmendment)).all()
    assert [d.status for d in documents] == [
        DocumentStatus.APPLIED,
        DocumentStatus.FAILED,
        DocumentStatus.APPLIED,
    ]
    assert [(a.field, a.old_value, a.new_value) for a in amendments] == [("quantity", "10", "8")]
    run(rt)  # the feed moved past the page: nothing is tried again
    with rt.db.reader() as s:
        assert len(s.exec(select(EdiDocument)).all()) == 3
