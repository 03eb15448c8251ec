"""A PO's EDI fields (Onetrail seed): Special Order Type and Special Bid/Deal Reference (both
needed when special bid or deal pricing is used) and Allow Partial Shipments, saved with a new PO
in one transaction, changed on an existing PO until it is submitted, each change audited."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from posync_tui.models import AuditEntry, Item, PurchaseOrder, PurchaseOrderLine
from posync_tui.services import edi_po
from posync_tui.services.edi_po import EdiFields, FieldsRefused, check_fields, save_fields
from posync_tui.services.po_create import POInvalid, create_po
from tests.edi_world import edi_po as make_edi_po

DEAL = EdiFields("Special Deal", "DEAL-7", allow_partial_shipments=True)


def new_po(db, fields: EdiFields) -> int:
    with db.reader() as s:
        item_id = s.exec(select(Item.id).where(Item.sku == "KB-200")).one()
        vendor_id = s.get(Item, item_id).vendor_id
    return create_po(db, vendor_id, False, None, None, [(item_id, "3", "12")], edi=fields)


def counts(db) -> tuple[int, int, int]:
    with db.reader() as s:
        return tuple(
            s.exec(select(func.count()).select_from(table)).one()
            for table in (PurchaseOrder, PurchaseOrderLine, AuditEntry)
        )


def test_special_pricing_needs_both_its_type_and_its_reference():
    assert check_fields(DEAL) == {}
    assert check_fields(EdiFields("Special Bid", None)) == {
        "special_bid_reference": "Special Bid pricing needs the Special Bid/Deal Reference"
    }
    assert check_fields(EdiFields(None, "BID-1")) == {
        "special_order_type": "A Special Bid/Deal Reference needs the Special Order Type"
    }
    assert check_fields(EdiFields(None, None)) == {}


def test_a_new_po_is_saved_with_its_edi_fields_in_one_transaction(any_db):
    make_edi_po(any_db)
    po_id = new_po(any_db, DEAL)
    with any_db.reader() as s:
        po = s.get(PurchaseOrder, po_id)
        fields = {
            e.field: e.new_value
            for e in s.exec(select(AuditEntry).where(AuditEntry.po_id == po_id)).all()
        }
    assert (po.special_order_type, po.special_bid_reference, po.allow_partial_shipments) == (
        "Special Deal",
        "DEAL-7",
        True,
    )
    assert fields["special_bid_reference"] == "DEAL-7" and "created" in fields


def test_a_failure_writing_the_edi_fields_leaves_no_po_behind(any_db, monkeypatch):
    make_edi_po(any_db)
    before = counts(any_db)

    def fails(*_args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(edi_po, "apply_fields", fails)
    with pytest.raises(RuntimeError, match="disk full"):
        new_po(any_db, DEAL)
    assert counts(any_db) == before


def test_refused_edi_fields_are_named_with_the_po_s_other_problems(any_db):
    make_edi_po(any_db)
    before = counts(any_db)
    with pytest.raises(POInvalid) as refused:
        new_po(any_db, EdiFields("Special Bid", None))
    assert (refused.value.field, refused.value.message) == (
        "special_bid_reference",
        "Special Bid pricing needs the Special Bid/Deal Reference",
    )
    assert counts(any_db) == before


def test_an_existing_po_s_edi_fields_change_until_it_is_submitted(any_db):
    po_id = make_edi_po(any_db)
    with any_db.session() as s:
        s.get(PurchaseOrder, po_id).edi_submit_status = "Failed"
    save_fields(any_db, po_id, EdiFields("Special Bid", "BID-9", allow_partial_shipments=True))
    with pytest.raises(FieldsRefused) as refused:
        save_fields(any_db, po_id, EdiFields("Special Bid", None))
    assert refused.value.problems == {
        "special_bid_reference": "Special Bid pricing needs the Special Bid/Deal Reference"
    }
    with any_db.session() as s:
        s.get(PurchaseOrder, po_id).edi_submit_status = "Submitted"
    with pytest.raises(FieldsRefused, match="PO-0000100 is submitted"):
        save_fields(any_db, po_id, EdiFields())
    with any_db.reader() as s:
        po = s.get(PurchaseOrder, po_id)
        changed = s.exec(
            select(AuditEntry.field, AuditEntry.old_value, AuditEntry.new_value).where(
                AuditEntry.po_id == po_id
            )
        ).all()
    assert (po.special_bid_reference, po.allow_partial_shipments) == ("BID-9", True)
    assert sorted(changed) == [
        ("allow_partial_shipments", "False", "True"),
        ("special_bid_reference", None, "BID-9"),
        ("special_order_type", None, "Special Bid"),
    ]
