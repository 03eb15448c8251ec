"""The demo's EDI data: a PO to an EDI supplier whose item has no MPN, for the walk of Save &
Submit Electronically's failure list and its fix."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from posync_tui.config import EdiSettings
from posync_tui.demo_data import seed_demo
from posync_tui.models import POStatus, PurchaseOrder, Vendor
from posync_tui.services.edi_setup import items_without_mpn, save_item_mpn
from posync_tui.services.edi_submit import SubmitRefused, submit
from tests.test_snapshots_po_detail import FIXED


def test_the_demo_has_an_edi_po_whose_item_lacks_an_mpn(db):
    seed_demo(db, now=FIXED)
    with db.reader() as s:
        po_id = s.exec(
            select(PurchaseOrder.id)
            .join(Vendor, col(Vendor.id) == col(PurchaseOrder.vendor_id))
            .where(Vendor.code == "INGR", PurchaseOrder.status == POStatus.OPEN)
            .order_by(col(PurchaseOrder.number).desc())
        ).first()
    missing = items_without_mpn(db)
    assert len(missing) == 1
    with pytest.raises(SubmitRefused) as refused:
        submit(db, po_id, EdiSettings())
    assert refused.value.problems == [f"Line 1: item {missing[0].sku} has no MPN."]
    save_item_mpn(db, missing[0].id, "MT-14")
    assert submit(db, po_id, EdiSettings()) > 0
