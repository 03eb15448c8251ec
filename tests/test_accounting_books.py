"""QuickBooks as a careful accountant expects: the mappings decide where lines go, and what
posync made is read back and compared (Accounting › Settings and Discrepancies, as services)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import select

from connectors.quickbooks import ListEntry
from posync_tui.models import AuditEntry, MappingKind, PurchaseOrder, PurchaseOrderLine
from posync_tui.services import accounting
from posync_tui.services.accounting import QueueTab
from posync_tui.services.accounting_discrepancies import (
    accept,
    list_discrepancies,
    read_back,
    resync,
)
from posync_tui.services.accounting_mappings import choose, fetch_list, map_item, mappings
from tests import records
from tests.test_accounting import BILL, PO_KIND, add_po, add_vendor, deliver, qbo, rt, sandbox

__all__ = ["qbo", "rt", "sandbox"]  # fixtures


def line_of(s, po_id: int) -> PurchaseOrderLine:
    return s.exec(select(PurchaseOrderLine).where(PurchaseOrderLine.po_id == po_id)).one()


def entry(sandbox, entity: str, name: str) -> ListEntry:
    [row] = [r for r in sandbox.records(entity) if r["Name"] == name]
    return ListEntry(row["Id"], name, row.get("AccountType", ""), row.get("DueDays"))


async def run_read_back(rt) -> str:
    return await read_back(rt, records.fence(rt.db, "quickbooks-readback"))


# --- mappings ------------------------------------------------------------------------------------


async def test_the_lists_are_fetched_from_quickbooks(rt, sandbox):
    accounts = await fetch_list(rt, "Account")
    assert "Accounts Payable (A/P)" in {a.name for a in accounts}
    assert {t.name for t in await fetch_list(rt, "Term")} == {"Due on receipt", "Net 15", "Net 30"}


async def test_with_no_expense_account_chosen_an_unmapped_line_waits_with_a_reason(rt, db, sandbox):
    po_id = add_po(db, add_vendor(db, sandbox))
    choose(db, MappingKind.EXPENSE_ACCOUNT, None)  # the accountant cleared it
    [row] = accounting.list_queue(db, QueueTab.SUPPLIER_INVOICES)
    assert not row.ready
    assert "no QuickBooks item and no expense account is chosen" in row.blockers[0]
    assert accounting.enqueue_upload(db, BILL, [po_id]).queued == []
    assert sandbox.bills() == []


async def test_a_mapped_item_needs_no_expense_account(rt, db, sandbox):
    po_id = add_po(db, add_vendor(db, sandbox), qbo_item_id=None)
    choose(db, MappingKind.EXPENSE_ACCOUNT, None)
    with db.reader() as s:
        item_id = line_of(s, po_id).item_id
    hardware = entry(sandbox, "Item", "Hardware")
    map_item(db, item_id, hardware)
    assert accounting.enqueue_upload(db, BILL, [po_id]).queued == [po_id]
    await deliver(rt)
    [bill] = sandbox.bills()
    assert bill["Line"][0]["ItemBasedExpenseLineDetail"]["ItemRef"]["value"] == hardware.id
    with db.reader() as s:
        [edit] = s.exec(select(AuditEntry).where(AuditEntry.field == "qbo_item_id")).all()
    assert edit.new_value == hardware.id


async def test_bill_lines_carry_tax_code_class_and_the_bill_location_and_due_date(rt, db, sandbox):
    vendor = add_vendor(db, sandbox)
    po_id = add_po(db, vendor)  # invoice date 2024-05-02
    choose(db, MappingKind.TAX_CODE, entry(sandbox, "TaxCode", "TAX"), record_kind="vendor",
           record_id=vendor)  # fmt: skip
    choose(db, MappingKind.CLASS, entry(sandbox, "Class", "Retail"))
    choose(db, MappingKind.LOCATION, entry(sandbox, "Department", "North depot"))
    choose(db, MappingKind.TERMS, entry(sandbox, "Term", "Net 30"))
    ap = entry(sandbox, "Account", "Accounts Payable - Imports")
    choose(db, MappingKind.AP_ACCOUNT, ap)
    accounting.enqueue_upload(db, BILL, [po_id])
    assert await deliver(rt) == "1 uploaded to QuickBooks"
    [bill] = sandbox.bills()
    detail = bill["Line"][0]["AccountBasedExpenseLineDetail"]
    assert detail["TaxCodeRef"]["value"] == entry(sandbox, "TaxCode", "TAX").id
    assert detail["ClassRef"]["value"] == entry(sandbox, "Class", "Retail").id
    assert bill["DepartmentRef"]["value"] == entry(sandbox, "Department", "North depot").id
    assert bill["APAccountRef"]["value"] == ap.id
    assert bill["DueDate"] == "2024-06-01"  # 30 days after the invoice date


async def test_an_items_tax_code_overrides_its_vendors_and_the_invoice_gives_the_due_date(
    rt, db, sandbox
):
    vendor = add_vendor(db, sandbox)
    po_id = add_po(db, vendor)
    with db.session() as s:
        po = s.get(PurchaseOrder, po_id)
        po.invoice_due_date = date(2024, 5, 20)
        item_id = line_of(s, po_id).item_id
    choose(db, MappingKind.TAX_CODE, entry(sandbox, "TaxCode", "TAX"), record_kind="vendor",
           record_id=vendor)  # fmt: skip
    choose(db, MappingKind.TAX_CODE, entry(sandbox, "TaxCode", "NON"), record_kind="item",
           record_id=item_id)  # fmt: skip
    choose(db, MappingKind.TERMS, entry(sandbox, "Term", "Net 30"))
    accounting.enqueue_upload(db, BILL, [po_id])
    await deliver(rt)
    [bill] = sandbox.bills()
    detail = bill["Line"][0]["AccountBasedExpenseLineDetail"]
    assert detail["TaxCodeRef"]["value"] == entry(sandbox, "TaxCode", "NON").id
    assert bill["DueDate"] == "2024-05-20"
    assert mappings(db).item_tax[item_id].name == "NON"


async def test_a_re_import_keeps_the_accountants_memo(rt, db, sandbox):
    po_id = add_po(db, add_vendor(db, sandbox))
    accounting.enqueue_upload(db, BILL, [po_id])
    await deliver(rt)
    [bill] = sandbox.bills()
    sandbox.edit("Bill", bill["Id"], PrivateNote="approved by the controller")
    accounting.reset_for_reimport(db, po_id)
    accounting.enqueue_upload(db, BILL, [po_id])
    assert await deliver(rt) == "1 uploaded to QuickBooks"
    [bill] = sandbox.bills()
    assert bill["PrivateNote"] == "approved by the controller" and bill["SyncToken"] == "2"


async def test_a_line_is_rounded_to_the_currencys_precision(rt, db, sandbox):
    po_id = add_po(db, add_vendor(db, sandbox))
    with db.session() as s:
        po = s.get(PurchaseOrder, po_id)
        po.currency = "JPY"
        line_of(s, po_id).quantity_ordered = Decimal("1.5")  # 1.5 × 3.50 = 5.25 → 5 yen
    accounting.enqueue_upload(db, BILL, [po_id])
    await deliver(rt)
    [bill] = sandbox.bills()
    assert bill["Line"][0]["Amount"] == 5 and bill["TotalAmt"] == 5


# --- discrepancies -------------------------------------------------------------------------------


async def uploaded_bill_and_po(rt, db, sandbox) -> tuple[int, int]:
    vendor = add_vendor(db, sandbox)
    bill_po = add_po(db, vendor, "PO-1")
    plain_po = add_po(db, vendor, "PO-2", invoice_no=None, invoice_date=None)
    accounting.enqueue_upload(db, BILL, [bill_po])
    accounting.enqueue_upload(db, PO_KIND, [plain_po], settings=rt.settings)
    assert await deliver(rt) == "2 uploaded to QuickBooks"
    return bill_po, plain_po


async def test_read_back_finds_nothing_when_quickbooks_agrees(rt, db, sandbox):
    await uploaded_bill_and_po(rt, db, sandbox)
    assert await run_read_back(rt) == "read back 2 from QuickBooks, 0 discrepancies"
    assert list_discrepancies(db) == []


async def test_read_back_lists_each_difference_with_both_values(rt, db, sandbox):
    bill_po, plain_po = await uploaded_bill_and_po(rt, db, sandbox)
    [bill] = sandbox.bills()
    [qbo_po] = sandbox.purchase_orders()
    other = next(v["Id"] for v in sandbox.vendors() if v["DisplayName"] == "Globex Corporation")
    line = {**bill["Line"][0], "Amount": 7.005}  # less than a cent: not a difference
    sandbox.edit("Bill", bill["Id"], Line=[line, {**line, "Id": "2"}], TotalAmt=14.01,
                 DocNumber="INV-77/PO-1 (fixed)", VendorRef={"value": other})  # fmt: skip
    sandbox.delete("PurchaseOrder", qbo_po["Id"])

    assert await run_read_back(rt) == "read back 2 from QuickBooks, 5 discrepancies"

    found = {(d.number, d.field): (d.posync_value, d.qbo_value) for d in list_discrepancies(db)}
    assert found == {
        ("PO-1", "DocNumber"): ("INV-77/PO-1", "INV-77/PO-1 (fixed)"),
        ("PO-1", "lines"): ("1", "2"),
        ("PO-1", "total"): ("7.00", "14.01"),
        ("PO-1", "vendor"): (next(v["Id"] for v in sandbox.vendors()
                                  if v["DisplayName"] == "Acme Supplies"), other),
        ("PO-2", "state"): ("active", "deleted"),
    }  # fmt: skip


async def test_a_voided_bill_is_a_discrepancy_and_a_cent_off_is_one_too(rt, db, sandbox):
    await uploaded_bill_and_po(rt, db, sandbox)
    [bill] = sandbox.bills()
    [qbo_po] = sandbox.purchase_orders()
    sandbox.void("Bill", bill["Id"])
    sandbox.edit("PurchaseOrder", qbo_po["Id"], TotalAmt=6.99)
    await run_read_back(rt)
    found = {(d.number, d.field): d.qbo_value for d in list_discrepancies(db)}
    assert found[("PO-1", "state")] == "voided"
    assert found[("PO-2", "total")] == "6.99"


async def test_accepting_quickbooks_version_is_recorded_and_not_listed_again(rt, db, sandbox):
    bill_po, _ = await uploaded_bill_and_po(rt, db, sandbox)
    [bill] = sandbox.bills()
    sandbox.edit("Bill", bill["Id"], DocNumber="INV-77 fixed")
    await run_read_back(rt)
    [d] = list_discrepancies(db)
    accept(db, d.id)
    await run_read_back(rt)
    assert list_discrepancies(db) == []
    with db.reader() as s:
        accepted = AuditEntry.field == "QuickBooks DocNumber accepted"
        [audit] = s.exec(select(AuditEntry).where(AuditEntry.po_id == bill_po, accepted)).all()
    assert (audit.old_value, audit.new_value) == ("INV-77/PO-1", "INV-77 fixed")
    sandbox.edit("Bill", bill["Id"], DocNumber="INV-77 changed again")
    await run_read_back(rt)
    assert [d.qbo_value for d in list_discrepancies(db)] == ["INV-77 changed again"]


async def test_resync_from_posync_sends_posyncs_version_through_the_outbox(rt, db, sandbox):
    bill_po, plain_po = await uploaded_bill_and_po(rt, db, sandbox)
    [bill] = sandbox.bills()
    [qbo_po] = sandbox.purchase_orders()
    sandbox.edit("Bill", bill["Id"], TotalAmt=99, PrivateNote="accountant's memo")
    sandbox.delete("PurchaseOrder", qbo_po["Id"])
    await run_read_back(rt)
    resync(db, bill_po)
    resync(db, plain_po)
    assert list_discrepancies(db) == []
    assert await deliver(rt) == "2 uploaded to QuickBooks"
    [bill] = sandbox.bills()
    assert bill["TotalAmt"] == 7 and bill["PrivateNote"] == "accountant's memo"
    [made_again] = sandbox.purchase_orders()
    assert records.qbo_link(db, plain_po).partner_id == made_again["Id"]
    assert await run_read_back(rt) == "read back 2 from QuickBooks, 0 discrepancies"
