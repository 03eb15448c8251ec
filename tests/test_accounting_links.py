"""What a PO became in QuickBooks is its partner link: written once per successful upload, in
the upload's transaction, and read by the queues, the PO detail and reset for re-import."""

from __future__ import annotations

from datetime import date

from sqlalchemy import event, update
from sqlmodel import func, select

from posync_tui.models import AccountingStatus, PartnerLink, PurchaseOrder
from posync_tui.paging import View
from posync_tui.services import accounting
from posync_tui.services.accounting import QueueTab, UploadKind
from posync_tui.services.accounting_queues import QueueSource
from posync_tui.services.po_detail import load_po_detail
from tests import records
from tests.test_accounting import add_po, add_vendor, deliver, po, qbo, rt, sandbox

__all__ = ["qbo", "rt", "sandbox"]  # fixtures shared with test_accounting


def link_count(db) -> int:
    with db.reader() as s:
        return s.exec(select(func.count()).select_from(PartnerLink)).one()


async def test_a_successful_upload_links_the_po_once_and_a_re_import_keeps_that_link(
    rt, db, sandbox
):
    po_id = add_po(db, add_vendor(db, sandbox))
    accounting.enqueue_upload(db, UploadKind.BILL, [po_id])
    assert await deliver(rt) == "1 uploaded to QuickBooks"
    [bill] = sandbox.bills()
    first = records.qbo_link(db, po_id)
    assert (first.partner_kind, first.partner_id, first.doc_number) == (
        "Bill",
        bill["Id"],
        "INV-77/PO-1001",
    )
    assert link_count(db) == 1

    # The PO detail's Accounting tab reads it.
    accounting_tab = load_po_detail(db, po_id, settings=rt.settings).accounting
    assert (accounting_tab.link.partner_kind, accounting_tab.link.partner_id) == (
        "Bill",
        bill["Id"],
    )
    assert not accounting_tab.uploaded_as_purchase_order

    # Reset for re-import keeps it: the next upload replaces that bill, the link stays one.
    accounting.reset_for_reimport(db, po_id)
    assert records.qbo_link(db, po_id).partner_id == bill["Id"]
    assert accounting.queue_ids(db, QueueTab.SUPPLIER_INVOICES) == [po_id]
    with db.session() as s:
        s.get(PurchaseOrder, po_id).supplier_invoice_no = "INV-78"
    accounting.enqueue_upload(db, UploadKind.BILL, [po_id])
    assert await deliver(rt) == "1 uploaded to QuickBooks"
    [replaced] = sandbox.bills()
    again = records.qbo_link(db, po_id)
    assert (replaced["Id"], replaced["DocNumber"]) == (bill["Id"], "INV-78/PO-1001")
    assert (again.partner_id, again.doc_number) == (bill["Id"], "INV-78/PO-1001")
    assert again.synced_at >= first.synced_at and link_count(db) == 1
    assert po(db, po_id).accounting_status == AccountingStatus.IMPORTED


async def test_a_po_made_as_a_quickbooks_purchase_order_is_read_so_by_the_queues(rt, db, sandbox):
    po_id = add_po(db, add_vendor(db, sandbox), "PO-2001", invoice_no=None, invoice_date=None)
    queued = accounting.enqueue_upload(db, UploadKind.PURCHASE_ORDER, [po_id], settings=rt.settings)
    assert queued.queued == [po_id]
    await deliver(rt)
    [qbo_po] = sandbox.purchase_orders()
    assert records.qbo_link(db, po_id).partner_kind == "PurchaseOrder"
    assert accounting.queue_ids(db, QueueTab.PURCHASE_ORDERS) == []

    # Billed afterwards: listed on Supplier Invoices, its bill to be linked to the purchase order.
    with db.session() as s:
        s.execute(
            update(PurchaseOrder)
            .where(PurchaseOrder.id == po_id)
            .values(invoice_date=date(2024, 5, 2), supplier_invoice_no="INV-9")
        )
    [row] = accounting.list_queue(db, QueueTab.SUPPLIER_INVOICES, settings=rt.settings)
    assert row.ready
    assert accounting.waiting_uploads(db, rt.settings)[UploadKind.BILL].ready == 1
    [paged] = QueueSource(db.engine, QueueTab.SUPPLIER_INVOICES).page(View(sort="reference"), 0, 50)
    assert paged.data["status"] == "ready, links PO"
    assert load_po_detail(db, po_id, settings=rt.settings).accounting.uploaded_as_purchase_order


def test_a_queue_page_reads_the_links_in_its_own_query(db, sandbox):
    vendor = add_vendor(db, sandbox)
    po_ids = [add_po(db, vendor, f"PO-{n:04d}", invoice_no=f"INV-{n}") for n in range(40)]
    for po_id in po_ids[::2]:
        records.uploaded(db, po_id, "PurchaseOrder", str(po_id), f"PO-{po_id}")
    source = QueueSource(db.engine, QueueTab.SUPPLIER_INVOICES)
    statements: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    def page(limit: int) -> tuple[list, int]:
        statements.clear()
        rows = source.page(View(sort="reference"), 0, limit)
        return rows, len(statements)

    few, few_statements = page(2)
    many, many_statements = page(40)
    assert (len(few), len(many)) == (2, 40)
    assert many_statements == few_statements  # no query per row
    made_as_po = {row.key for row in many if row.data["status"] == "ready, links PO"}
    assert made_as_po == set(po_ids[::2])
