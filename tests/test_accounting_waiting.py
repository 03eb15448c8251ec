"""What waits to go to QuickBooks is one figure, and "ready" means what Upload accepts.

Issue 19: the title bar, the Accounting tabs and `posync sync --once` showed 190, 47 and
"nothing waiting" on one database. Issue 21: the ready count and the PO's verdict used older
rules than the upload (a DocNumber clash, lines with no QuickBooks item and no expense account).
"""

from __future__ import annotations

from posync_tui.models import POStatus, PurchaseOrder, Vendor
from posync_tui.services import accounting
from posync_tui.services.accounting import QueueTab, UploadKind
from posync_tui.services.accounting_connection import QUICKBOOKS
from posync_tui.services.po_detail import load_po_detail
from posync_tui.services.status import shell_counts
from tests.test_accounting import add_po, add_vendor, deliver, qbo, qbo_vendor, rt, sandbox

__all__ = ["qbo", "rt", "sandbox"]  # fixtures
BILL, PO_KIND = UploadKind.BILL, UploadKind.PURCHASE_ORDER
PURCHASES = (QueueTab.SUPPLIER_INVOICES, QueueTab.PURCHASE_ORDERS)


def verdict_says_ready(db, rt, po_id) -> bool:
    return load_po_detail(db, po_id, settings=rt.settings).accounting.upload_kind_now is not None


async def test_the_waiting_count_is_one_figure_in_the_title_bar_the_tabs_and_sync_once(
    rt, db, sandbox
):
    vendor = add_vendor(db, sandbox)
    ready_bill = add_po(db, vendor, "PO-1")
    add_po(db, vendor, "PO-2", invoice_no="A-VERY-LONG-INVOICE-NO-1")  # these two clash
    add_po(db, vendor, "PO-3", invoice_no="A-VERY-LONG-INVOICE-NO-2")
    add_po(db, vendor, "PO-4", invoice_no="", invoice_date=None)  # ready as a purchase order
    add_po(db, vendor, "PO-5", invoice_date=None)  # not ready: no invoice date
    unlinked = add_vendor(db, sandbox, "NW", "Northwind Traders", linked=False)
    add_po(db, unlinked, "PO-6")  # not ready: its vendor is not linked

    title = shell_counts(rt).queues[QUICKBOOKS.short].waiting
    counts = accounting.queue_counts(db, rt.settings)
    tabs = sum(counts[str(tab)] for tab in PURCHASES)
    summary = await deliver(rt)  # what `posync sync --once` prints for QuickBooks
    assert (title, tabs) == (2, 2)
    assert summary == (
        "2 waiting to upload to QuickBooks (2 ready: Upload on Accounting queues them)"
    )

    # Queued uploads wait too, until QuickBooks has answered them.
    accounting.enqueue_upload(db, BILL, [ready_bill])
    assert shell_counts(rt).queues[QUICKBOOKS.short].waiting == 2
    counts = accounting.queue_counts(db, rt.settings)
    assert [counts[str(tab)] for tab in PURCHASES] == [1, 1]
    assert accounting.waiting_uploads(db, rt.settings)[BILL] == accounting.Waiting(0, 1)
    summary = await deliver(rt)
    assert summary == (
        "1 uploaded to QuickBooks, "
        "1 waiting to upload to QuickBooks (1 ready: Upload on Accounting queues them)"
    )
    assert shell_counts(rt).queues[QUICKBOOKS.short].waiting == 1


def add_unmapped_vendor(db, sandbox) -> int:
    """A linked vendor while no expense account is chosen (add_vendor chooses one)."""
    with db.session() as s:
        vendor = Vendor(code="ACME", name="Acme Supplies", qbo_vendor_id=qbo_vendor(sandbox))
        s.add(vendor)
        s.flush()
        return vendor.id


async def test_the_ready_count_the_verdict_and_upload_refuse_the_same_pos(rt, db, sandbox):
    vendor = add_unmapped_vendor(db, sandbox)
    mapped = add_po(db, vendor, "PO-1", qbo_item_id="1")
    unmapped = add_po(db, vendor, "PO-2")  # its item has no QuickBooks id, no expense account
    clash = [
        add_po(db, vendor, f"PO-{n}", invoice_no=f"A-VERY-LONG-INVOICE-NO-{n}", qbo_item_id="1")
        for n in (3, 4)
    ]
    unbilled = add_po(db, vendor, "PO-5", invoice_no="", invoice_date=None)  # unmapped too
    ids = [mapped, unmapped, *clash, unbilled]

    verdicts = {po_id: verdict_says_ready(db, rt, po_id) for po_id in ids}
    assert verdicts == {i: i == mapped for i in ids}
    detail = load_po_detail(db, clash[0], settings=rt.settings).accounting
    assert "same as PO PO-4's" in detail.bill_blockers[0]
    detail = load_po_detail(db, unmapped, settings=rt.settings).accounting
    assert "no QuickBooks item" in detail.bill_blockers[0]
    waiting = accounting.waiting_uploads(db, rt.settings)
    assert (waiting[BILL].ready, waiting[PO_KIND].ready) == (1, 0)
    assert accounting.enqueue_upload(db, BILL, ids).queued == [mapped]
    assert accounting.enqueue_upload(db, PO_KIND, [unbilled], settings=rt.settings).queued == []


async def test_a_cancelled_po_clashes_with_nothing(rt, db, sandbox):
    vendor = add_vendor(db, sandbox)
    first = add_po(db, vendor, "PO-1", invoice_no="A-VERY-LONG-INVOICE-NO-1")
    second = add_po(db, vendor, "PO-2", invoice_no="A-VERY-LONG-INVOICE-NO-2")
    with db.session() as s:
        s.get(PurchaseOrder, second).status = POStatus.CANCELLED
    assert verdict_says_ready(db, rt, first)
    assert accounting.waiting_uploads(db, rt.settings)[BILL].ready == 1
