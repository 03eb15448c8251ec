"""The supplier's invoice (EDI INVOIC) sets the PO's invoice due date, and the QuickBooks bill
carries it (EDI seed: "The due date for the invoice will always be set according the document
provided by the supplier")."""

from __future__ import annotations

from datetime import date

from posync_tui.models import PurchaseOrder, Vendor
from posync_tui.services import accounting
from posync_tui.services.accounting import UploadKind
from tests.edi_world import edi_po
from tests.test_accounting import choose_expense_account, deliver, qbo, qbo_vendor, rt, sandbox
from tests.test_edi_apply import invoice, take

__all__ = ["qbo", "rt", "sandbox"]  # fixtures


async def test_an_edi_invoice_due_date_is_the_quickbooks_bills_due_date(rt, db, sandbox):
    po_id = edi_po(db)
    take(db, invoice(due=date(2026, 12, 5)))  # DTM+13, while the terms say otherwise
    with db.session() as s:
        po = s.get(PurchaseOrder, po_id)
        assert po.invoice_due_date == date(2026, 12, 5)
        s.get(Vendor, po.vendor_id).qbo_vendor_id = qbo_vendor(sandbox)
    choose_expense_account(db, sandbox)
    assert accounting.enqueue_upload(db, UploadKind.BILL, [po_id]).queued == [po_id]
    assert (await deliver(rt)).startswith("1 uploaded to QuickBooks")
    [bill] = sandbox.bills()
    assert (bill["DocNumber"], bill["DueDate"]) == ("INV-1/PO-0000100", "2026-12-05")
