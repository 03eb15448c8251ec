"""EDI setup (Onetrail seed): GLN checked at the field, charge types and terms mapped."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import select

from posync_tui.models import Item, PurchaseOrderLine, Vendor
from posync_tui.services.edi_setup import (
    SetupInvalid,
    charge_types,
    check_gln,
    items_without_mpn,
    payment_terms,
    save_charge_type,
    save_item_mpn,
    save_payment_terms,
    save_vendor_edi,
)
from tests.edi_world import edi_po


def test_the_gln_check_digit_is_checked_at_the_field():
    assert check_gln("5412345000013", True) is None
    assert check_gln("5412345000014", True) == (
        "GLN 5412345000014 has check digit 4; it should be 3"
    )
    assert check_gln("", True) == "A vendor enabled for EDI needs its GLN"
    assert check_gln("", False) is None


def test_a_vendor_is_enabled_for_edi_with_its_gln(any_db):
    with any_db.session() as s:
        s.add(Vendor(code="EURO", name="EuroTech"))
    with any_db.reader() as s:
        vendor_id = s.exec(select(Vendor.id)).one()
    with pytest.raises(SetupInvalid) as refused:
        save_vendor_edi(any_db, vendor_id, enabled=True, gln="5412345000021")
    assert refused.value.field == "gln"
    save_vendor_edi(any_db, vendor_id, enabled=True, gln=" 5412345000020 ")
    with any_db.reader() as s:
        vendor = s.get(Vendor, vendor_id)
    assert (vendor.edi_enabled, vendor.gln) == (True, "5412345000020")


def test_charge_types_and_payment_terms_are_added_and_changed(any_db):
    save_charge_type(any_db, "fc", "Freight", "6100 Freight")
    save_charge_type(any_db, "FC", "Freight in", "6110 Freight in")
    assert [(c.code, c.expense_account) for c in charge_types(any_db)] == [
        ("FC", "6110 Freight in")
    ]
    with pytest.raises(SetupInvalid, match="1 to 3 letters"):
        save_charge_type(any_db, "FREIGHT", "x", "y")
    save_payment_terms(any_db, "5:3:D:30", "2% 10 Net 30", "2", "10", "30")
    assert payment_terms(any_db)[0].discount_percent == Decimal(2)
    with pytest.raises(SetupInvalid) as refused:
        save_payment_terms(any_db, "5:3:D:30", "x", "two", "10", "30")
    assert refused.value.field == "discount_percent"


def test_the_items_an_edi_order_needs_an_mpn_for_are_listed_until_they_have_one(any_db):
    po_id = edi_po(any_db)
    with any_db.session() as s:
        s.exec(select(Item).where(Item.sku == "MS-5")).one().mpn = None
        loose = Item(sku="CBL-1", description="Cable")  # no vendor: on the EDI PO
        other = Item(sku="ZZ-1", description="Ordered from nobody on EDI")
        s.add_all([loose, other])
        s.flush()
        s.add(PurchaseOrderLine(po_id=po_id, line_no=3, item_id=loose.id, description="Cable"))
    missing = items_without_mpn(any_db)
    assert [(i.sku, i.vendor) for i in missing] == [("CBL-1", None), ("MS-5", "EURO")]
    save_item_mpn(any_db, missing[0].id, " CBL-1-2M ")
    assert [i.sku for i in items_without_mpn(any_db)] == ["MS-5"]
