"""The sandbox company as Intuit documents it: lists read a page at a time, tax codes, classes,
locations and terms on bills, sparse updates, bills linked to purchase orders, read-back of
deleted and voided records."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from connectors.quickbooks import BadReference, ExpenseLine, bill_draft, purchase_order_draft
from tests.test_qbo_connector import a_bill, account_id, connect, qbo, store, vendor_id

__all__ = ["connect", "qbo", "store"]  # fixtures


def named(qbo, entity: str, name: str) -> str:
    return next(r["Id"] for r in qbo.records(entity) if r["Name"] == name)


async def test_lists_are_read_a_page_at_a_time_until_a_short_page(qbo, connect):
    for n in range(25):
        qbo.add_item(f"Widget {n:02}")
    qbo.add("Item", Name="Retired widget", Type="Inventory", Active=False)
    client = connect()

    items = await client.list_entries("Item", page=10)

    assert len(items) == 26  # the demo's "Hardware" and 25 widgets; the inactive one left out
    assert "Retired widget" not in {i.name for i in items}
    assert client.stats.per_path["query"] == 3  # 10 + 10 + 6


async def test_the_company_has_the_lists_an_accountant_maps_to(qbo, connect):
    client = connect()
    accounts = await client.list_entries("Account")
    kinds = {a.kind for a in accounts}
    assert {"Cost of Goods Sold", "Expense", "Accounts Payable"} <= kinds
    terms = {t.name: t.due_days for t in await client.list_entries("Term")}
    assert terms["Net 30"] == 30
    for entity in ("TaxCode", "Class", "Department"):
        assert await client.list_entries(entity)


async def test_a_bill_carries_tax_code_class_location_terms_and_due_date(qbo, connect):
    client = connect()
    line = ExpenseLine(
        amount=Decimal("10.00"),
        account_id=account_id(qbo),
        tax_code_id=named(qbo, "TaxCode", "TAX"),
        class_id=named(qbo, "Class", "Wholesale"),
    )
    draft = a_bill(
        qbo,
        lines=(line,),
        department_id=named(qbo, "Department", "North depot"),
        term_id=named(qbo, "Term", "Net 30"),
        due_date=date(2024, 6, 1),
        ap_account_id=named(qbo, "Account", "Accounts Payable (A/P)"),
    )
    txn = await client.create(draft, requestid="r-tax")

    held = qbo.bills()[0]
    detail = held["Line"][0]["AccountBasedExpenseLineDetail"]
    assert detail["TaxCodeRef"]["value"] == named(qbo, "TaxCode", "TAX")
    assert detail["ClassRef"]["value"] == named(qbo, "Class", "Wholesale")
    assert held["DepartmentRef"]["value"] == named(qbo, "Department", "North depot")
    assert held["SalesTermRef"]["value"] == named(qbo, "Term", "Net 30")
    assert txn.due_date == date(2024, 6, 1)


async def test_an_unknown_tax_code_or_a_non_payable_ap_account_is_refused(qbo, connect):
    client = connect()
    line = ExpenseLine(amount=Decimal("1.00"), account_id=account_id(qbo), tax_code_id="9999")
    with pytest.raises(BadReference):
        await client.create(a_bill(qbo, lines=(line,)), requestid="r-bad-tax")
    with pytest.raises(BadReference):
        await client.create(a_bill(qbo, ap_account_id=account_id(qbo)), requestid="r-bad-ap")


async def test_a_re_import_keeps_what_the_accountant_changed_elsewhere(qbo, connect):
    client = connect()
    made = await client.create(a_bill(qbo, doc="INV-9/PO-9"), requestid="r-sparse")
    qbo.edit("Bill", made.id, PrivateNote="checked by J. Doe, paid by card")
    changed = a_bill(
        qbo,
        doc="INV-9/PO-9",
        lines=(ExpenseLine(amount=Decimal("20.00"), account_id=account_id(qbo)),),
    )

    updated = await client.update(made.id, changed)

    held = qbo.bills()[0]
    assert held["PrivateNote"] == "checked by J. Doe, paid by card"
    assert updated.total == Decimal("20.00")


def test_a_full_update_clears_what_it_does_not_send(qbo):
    # What a full update did to the accountant's note before posync sent sparse updates.
    company = qbo.company
    bill = company.save("Bill", a_bill(qbo).to_qbo())
    qbo.edit("Bill", bill["Id"], PrivateNote="accountant's note")
    body = {**a_bill(qbo).owned(), "Id": bill["Id"], "SyncToken": "1"}
    company.save("Bill", body)
    assert "PrivateNote" not in qbo.bills()[0]


async def test_a_bill_linked_to_a_purchase_order_closes_it_and_reads_back_linked(qbo, connect):
    client = connect()
    lines = (ExpenseLine(amount=Decimal("5.00"), account_id=account_id(qbo)),)
    po = await client.create(
        purchase_order_draft(
            vendor_id=vendor_id(qbo), doc_number="PO-77", txn_date=None, lines=lines
        ),
        requestid="r-po",
    )
    bill = await client.create(
        bill_draft(
            vendor_id=vendor_id(qbo),
            doc_number="INV-77/PO-77",
            txn_date=None,
            lines=lines,
            linked_po_id=po.id,
        ),
        requestid="r-bill",
    )

    back = (await client.read_back("Bill", [bill.id]))[bill.id]
    assert ("PurchaseOrder", po.id) in back.linked
    assert "LinkedTxn" in qbo.bills()[0]["Line"][0]  # on the line, as QuickBooks keeps it
    assert (await client.read_back("PurchaseOrder", [po.id]))[po.id].po_status == "Closed"


async def test_a_dropped_link_is_reported(qbo, connect):
    client = connect()
    lines = (ExpenseLine(amount=Decimal("5.00"), account_id=account_id(qbo)),)
    po = await client.create(
        purchase_order_draft(
            vendor_id=vendor_id(qbo), doc_number="PO-8", txn_date=None, lines=lines
        ),
        requestid="r-po8",
    )
    qbo.drop_links()
    bill = await client.create(
        bill_draft(
            vendor_id=vendor_id(qbo),
            doc_number="I/PO-8",
            txn_date=None,
            lines=lines,
            linked_po_id=po.id,
        ),
        requestid="r-bill8",
    )
    assert any("did not keep its link" in w for w in bill.warnings)


async def test_read_back_misses_a_deleted_bill_and_sees_a_voided_one(qbo, connect):
    client = connect()
    kept = await client.create(a_bill(qbo, doc="A"), requestid="r-a")
    gone = await client.create(a_bill(qbo, doc="B"), requestid="r-b")
    qbo.void("Bill", kept.id)
    qbo.delete("Bill", gone.id)

    back = await client.read_back("Bill", [kept.id, gone.id])

    assert gone.id not in back
    assert back[kept.id].voided and back[kept.id].line_count == 1
