"""Save & Submit Electronically (Onetrail seed): every validation failure listed; the ORDERS
queued in the outbox with its control reference kept; never left in Submitting."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from connectors.edifact import parse
from posync_tui.config import EdiSettings
from posync_tui.models import EdiDocument, Item, OutboxMessage, PurchaseOrder, Vendor
from posync_tui.services.edi_submit import (
    Draft,
    SubmitRefused,
    problems,
    settle_stranded,
    submit,
)
from tests.edi_world import BUYER, SUPPLIER, edi_po


def fresh_po(db) -> int:
    po_id = edi_po(db)
    with db.session() as s:
        s.get(PurchaseOrder, po_id).edi_submit_status = None
    return po_id


def test_a_valid_po_is_queued_as_an_orders_with_its_control_reference(any_db):
    po_id = fresh_po(any_db)
    with any_db.session() as s:
        po = s.get(PurchaseOrder, po_id)
        po.special_order_type, po.special_bid_reference = "Special Bid", "BID-77"
        po.allow_partial_shipments = True
    message_id = submit(any_db, po_id, EdiSettings())
    with any_db.reader() as s:
        po = s.get(PurchaseOrder, po_id)
        message = s.get(OutboxMessage, message_id)
        document = s.exec(select(EdiDocument)).one()
    assert po.edi_submit_status == "Submitting"
    assert message.connector == "edi_hub" and message.status == "pending"
    assert json.loads(message.payload)["control_ref"] == document.control_ref
    sent = parse(document.raw)
    assert (sent.sender, sent.recipient, sent.control_ref) == (
        BUYER,
        SUPPLIER,
        document.control_ref,
    )
    order = sent.messages[0]
    assert order.number == "PO-0000100"
    assert [(line.line_no, line.mpn, line.quantity) for line in order.lines] == [
        (1, "KB-200+US", 10),
        (2, "MS-5", 4),
    ]
    assert order.partial_shipments is True
    assert (order.special_order_type, order.special_reference) == ("special_bid", "BID-77")
    with pytest.raises(ValueError, match="submitting already"):
        submit(any_db, po_id, EdiSettings())


def test_every_failure_is_listed_and_nothing_changes(any_db):
    po_id = fresh_po(any_db)
    with any_db.session() as s:
        vendor = s.exec(select(Vendor)).one()
        vendor.edi_enabled, vendor.gln = False, None
        s.exec(select(Item).where(Item.sku == "MS-5")).one().mpn = None
        s.get(PurchaseOrder, po_id).special_order_type = "Special Deal"
    with pytest.raises(SubmitRefused) as refused:
        submit(any_db, po_id, EdiSettings())
    assert refused.value.problems == [
        "Vendor EURO is not enabled for EDI.",
        "Vendor EURO has no GLN.",
        "Line 2: item MS-5 has no MPN.",
        "Special Deal pricing needs the Special Bid/Deal Reference.",
    ]
    with any_db.reader() as s:
        assert s.get(PurchaseOrder, po_id).edi_submit_status is None
        assert s.exec(select(OutboxMessage)).all() == []
        assert s.exec(select(EdiDocument)).all() == []


@pytest.mark.parametrize(
    ("draft", "expected"),
    [
        (Draft(None, []), ["Choose a vendor.", "The PO has no lines."]),
        (Draft(None, [None]), ["Choose a vendor.", "Line 1 has no item."]),
        (
            Draft(None, [], special_bid_reference="B1"),
            [
                "Choose a vendor.",
                "The PO has no lines.",
                "A Special Bid/Deal Reference needs the Special Order Type.",
            ],
        ),
    ],
)
def test_a_new_po_draft_is_validated_before_it_is_saved(db, draft, expected):
    with db.reader() as s:
        assert problems(s, draft) == expected


def test_a_po_left_in_submitting_without_its_message_is_failed(any_db):
    po_id = fresh_po(any_db)
    submit(any_db, po_id, EdiSettings())
    assert settle_stranded(any_db) == 0  # its message is on its way: it resumes
    with any_db.session() as s:  # a crash lost the message (e.g. an operator cancelled it)
        s.exec(select(OutboxMessage)).one().status = "cancelled"
    assert settle_stranded(any_db) == 1
    with any_db.reader() as s:
        po = s.get(PurchaseOrder, po_id)
    assert po.edi_submit_status == "Failed" and "interrupted" in po.edi_submit_error
