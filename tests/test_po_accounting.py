"""The PO detail's Accounting tab as an operator meets it (Cin7 seed).

A PO can be synced as a Bill only with an Invoice Date, a Supplier Inv No, a contact linked to
QuickBooks Online and Accounting Status "Not Imported Yet Or Reset For Re-import"; the tab says
which conditions it fails. Once synced it is "Imported"; the Admin page resets it for re-import.
A PO uploaded as a QuickBooks purchase order can no longer be synced: the bill is made by hand.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select
from textual.widgets import Input, Static, TabbedContent

from connectors.quickbooks import ListEntry
from posync_tui.config import QuickBooksSettings, Settings
from posync_tui.models import (
    AccountingStatus,
    AuditEntry,
    OutboxMessage,
    PurchaseOrder,
    Vendor,
)
from posync_tui.services.accounting import QueueTab, link_vendor, queue_ids
from posync_tui.services.accounting_mappings import choose
from posync_tui.services.po_accounting import current_upload
from screens.confirm import Confirm
from screens.po_accounting import AccountingPane
from screens.po_detail import PurchaseOrderDetail
from screens.po_widgets import EditBar, FieldGrid
from tests import records
from tests.console import console_app, settled
from tests.records import add_po

INVOICE_NO = "INV-2026-000123-LONG"  # with the PO number: longer than QuickBooks' 21


@pytest.fixture
def vendor_id(db) -> int:
    with db.session() as s:
        vendor = Vendor(code="ACME", name="Acme Supplies")
        s.add(vendor)
        s.flush()
        return vendor.id


def link(db, vendor_id: int) -> None:
    link_vendor(db, vendor_id, "58", "Acme Supplies")
    # Accounting › Settings: where item-less lines are booked.
    choose(
        db,
        "expense_account",
        ListEntry("80", "Cost of Goods Sold", "Cost of Goods Sold"),
        by="setup",
    )


def read_po(db, po_id: int) -> PurchaseOrder:
    with db.reader() as s:
        return s.get(PurchaseOrder, po_id)


def console(db, *, upload_pos: bool = False):
    settings = Settings(quickbooks=QuickBooksSettings(upload_pos_as_purchase_orders=upload_pos))
    return console_app(db, settings=settings)


async def accounting_tab(pilot, po_id: int) -> AccountingPane:
    """Open the PO and its Accounting tab, as the keys would."""
    pilot.app.animation_level = "none"  # the tabs' underline would slide at each key
    await settled(pilot)
    pilot.app.open_purchase_order(po_id)
    await settled(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, PurchaseOrderDetail)
    await pilot.press("t", "t", "t")
    await settled(pilot)
    assert screen.query_one(TabbedContent).active == "accounting-tab"
    return screen.query_one(AccountingPane)


def verdict(pane: AccountingPane) -> list[str]:
    """The tab's plain words on whether the PO can be synced as a bill, line by line."""
    box = pane.query_one("#acct-verdict")
    lines = []
    for child in box.children:
        parts = [child] if isinstance(child, Static) else list(child.query(Static))
        lines.append(" ".join(str(p.render()) for p in parts))
    return lines


def shown(pane: AccountingPane, key: str) -> str:
    return str(pane.query_one(f"#acct-{key}", Static).render())


def field(pane: AccountingPane, key: str) -> str:
    return str(pane.query_one(FieldGrid).value_of(key))


async def edit(pilot, pane: AccountingPane, key: str, text: str) -> None:
    """enter on the field, its text replaced by ``text`` (pasted), enter."""
    grid = pane.query_one(FieldGrid)
    grid.focus()
    grid.move_to(key)
    await pilot.press("enter")
    pilot.app.screen.query_one("#edit-input", Input).value = text
    await pilot.press("enter")
    await settled(pilot)


async def test_the_tab_says_each_condition_the_po_fails(db, vendor_id):
    po_id = add_po(db, vendor_id)
    async with console(db).run_test(size=(80, 24)) as pilot:
        pane = await accounting_tab(pilot, po_id)
        assert field(pane, "accounting_status") == "Not Imported Yet Or Reset For Re-import"
        assert verdict(pane) == [
            "✖ Cannot be synced as a bill now:",
            "• No Invoice Date: enter the date of the supplier's invoice.",
            "• No Supplier Inv No: enter the supplier's invoice number.",
            "• Vendor Acme Supplies is not linked to QuickBooks: link it on the Contacts tab "
            "(to an existing QuickBooks vendor, or create one).",
            # The checks Upload makes too (issue 21): no expense account is chosen yet.
            "• 1 line(s) have no QuickBooks item and no expense account is chosen: choose one on "
            "Accounting › Settings (or map the items there).",
        ]
        assert shown(pane, "quickbooks") == "not uploaded yet"

        link(db, vendor_id)  # on the Accounting screen's Contacts tab, or in another console
        await settled(pilot)
        assert not any("not linked" in line for line in verdict(pane))  # live, without a key

        await pilot.press("u")  # nothing to upload yet: says why, asks nothing
        await settled(pilot)
        assert not isinstance(pilot.app.screen, Confirm)
        hint = str(pilot.app.screen.query_one("#hint", Static).render())
        assert hint.startswith("PO-0000001 cannot be synced as a bill now: No Invoice Date")
    assert records.upload_state(db, po_id) is None


async def test_entering_invoice_date_and_supplier_inv_no_makes_it_eligible_and_u_queues_it(
    db, vendor_id
):
    link(db, vendor_id)
    po_id = add_po(db, vendor_id)
    async with console(db).run_test(size=(80, 24)) as pilot:
        pane = await accounting_tab(pilot, po_id)
        await edit(pilot, pane, "invoice_date", "2026-11-20")
        await edit(pilot, pane, "supplier_invoice_no", INVOICE_NO)
        assert field(pane, "invoice_date") == "2026-11-20"
        assert verdict(pane) == ["✔ Can be synced as a bill now. u queues it for upload."]
        # The reference whole; QuickBooks gets its first 21 characters.
        assert shown(pane, "reference") == f"{INVOICE_NO}/PO-0000001"
        assert shown(pane, "doc-number") == f"{INVOICE_NO}/ (cut to 21 characters)"

        await pilot.press("u")
        await settled(pilot)
        confirm = pilot.app.screen
        assert isinstance(confirm, Confirm)
        assert confirm.question == "Upload PO-0000001 to QuickBooks as a bill?"
        await pilot.press("y")
        await settled(pilot)
        assert "waiting to go as a bill" in shown(pane, "upload")
        assert verdict(pane) == ["✔ Can be synced as a bill now. It is waiting to upload."]

    po = read_po(db, po_id)
    assert (po.invoice_date, po.supplier_invoice_no) == (date(2026, 11, 20), INVOICE_NO)
    assert records.upload_state(db, po_id) == "waiting"
    with db.reader() as s:
        assert len(s.exec(select(OutboxMessage)).all()) == 1
        edits = s.exec(select(AuditEntry).where(AuditEntry.source == "operator")).all()
    assert {(e.field, e.new_value) for e in edits} == {
        ("invoice_date", "2026-11-20"),
        ("supplier_invoice_no", INVOICE_NO),
    }


async def test_a_bad_date_or_a_too_long_invoice_number_is_refused_at_the_field(db, vendor_id):
    po_id = add_po(db, vendor_id)
    async with console(db).run_test(size=(80, 24)) as pilot:
        pane = await accounting_tab(pilot, po_id)
        editor = pilot.app.screen.query_one(EditBar)
        await edit(pilot, pane, "dispatch_date", "20/11/2026")
        assert editor.is_open
        help_text = str(editor.query_one("#edit-help", Static).render())
        assert help_text == "Dispatch date must be a date YYYY-MM-DD, e.g. 2025-03-31"
        await pilot.press("escape")

        await edit(pilot, pane, "supplier_invoice_no", "X" * 41)
        assert editor.is_open
        help_text = str(editor.query_one("#edit-help", Static).render())
        assert help_text == "Supplier inv no is at most 40 characters"
        await pilot.press("escape")
        assert not editor.is_open
    po = read_po(db, po_id)
    assert (po.dispatch_date, po.supplier_invoice_no) == (None, None)


async def test_the_invoice_due_date_is_shown_and_edited_on_the_tab(db, vendor_id):
    """The bill's DueDate: an EDI invoice sets it; the operator sees and corrects it here, and
    emptied, QuickBooks gets the invoice date plus the terms' days."""
    po_id = add_po(db, vendor_id)
    async with console(db).run_test(size=(80, 24)) as pilot:
        pane = await accounting_tab(pilot, po_id)
        assert field(pane, "invoice_due_date").startswith("— (invoice date + ")
        editor = pilot.app.screen.query_one(EditBar)
        await edit(pilot, pane, "invoice_due_date", "31.12.2026")
        assert editor.is_open
        help_text = str(editor.query_one("#edit-help", Static).render())
        assert help_text == "Invoice due date must be a date YYYY-MM-DD, e.g. 2025-03-31"
        await pilot.press("escape")
        await edit(pilot, pane, "invoice_due_date", "2026-12-31")
        assert field(pane, "invoice_due_date") == "2026-12-31"
    assert read_po(db, po_id).invoice_due_date == date(2026, 12, 31)
    with db.reader() as s:
        (entry,) = s.exec(select(AuditEntry).where(AuditEntry.field == "invoice_due_date")).all()
    assert (entry.source, entry.new_value) == ("operator", "2026-12-31")


async def test_reset_for_reimport_puts_an_imported_po_back_in_the_queue(db, vendor_id):
    link(db, vendor_id)
    po_id = add_po(
        db,
        vendor_id,
        invoice_date=date(2026, 11, 20),
        supplier_invoice_no="INV-77",
        accounting_status=AccountingStatus.IMPORTED,
    )
    records.uploaded(db, po_id, "Bill", "145", "INV-77/PO-0000001")
    assert po_id not in queue_ids(db, QueueTab.SUPPLIER_INVOICES)
    async with console(db).run_test(size=(80, 24)) as pilot:
        pane = await accounting_tab(pilot, po_id)
        assert field(pane, "accounting_status") == "Imported"
        assert shown(pane, "quickbooks").startswith("bill 145, DocNumber INV-77/PO-0000001")
        lines = verdict(pane)
        assert lines[0] == "✖ Cannot be synced as a bill now:"
        assert lines[1].startswith('• Accounting Status is "Imported": it was already synced.')
        assert lines[-1] == "x resets it for re-import (admin)."

        await pilot.press("x")
        await settled(pilot)
        confirm = pilot.app.screen
        assert isinstance(confirm, Confirm)
        assert confirm.question.startswith("Reset PO-0000001 for re-import?")
        await pilot.press("y")
        await settled(pilot)
        assert field(pane, "accounting_status") == "Not Imported Yet Or Reset For Re-import"
        assert verdict(pane) == ["✔ Can be synced as a bill now. u queues it for upload."]

    assert po_id in queue_ids(db, QueueTab.SUPPLIER_INVOICES)
    with db.reader() as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.field == "accounting_status")).one()
    assert (entry.old_value, entry.new_value) == ("Imported", AccountingStatus.NOT_IMPORTED)


async def test_a_po_uploaded_as_a_quickbooks_purchase_order_is_billed_by_a_linked_bill(
    db, vendor_id
):
    link(db, vendor_id)
    po_id = add_po(
        db,
        vendor_id,
        invoice_date=date(2026, 11, 20),  # billed since it was uploaded as a purchase order
        supplier_invoice_no="INV-77",
    )
    records.uploaded(db, po_id, "PurchaseOrder", "77", "PO-0000001")
    async with console(db, upload_pos=True).run_test(size=(80, 24)) as pilot:
        pane = await accounting_tab(pilot, po_id)
        assert shown(pane, "quickbooks").startswith("purchase order 77, DocNumber PO-0000001")
        assert verdict(pane) == [
            "✔ Can be synced as a bill now. u queues it for upload. Its bill will be linked to "
            "the QuickBooks purchase order."
        ]
        await pilot.press("u")
        await settled(pilot)
        assert isinstance(pilot.app.screen, Confirm)
        await pilot.press("y")
        await settled(pilot)
    assert records.upload_state(db, po_id) == "waiting"


async def test_an_unbilled_po_goes_as_a_quickbooks_purchase_order_when_the_setting_is_on(
    db, vendor_id
):
    link(db, vendor_id)
    po_id = add_po(db, vendor_id)
    async with console(db, upload_pos=True).run_test(size=(80, 24)) as pilot:
        pane = await accounting_tab(pilot, po_id)
        assert verdict(pane)[-1] == (
            "✔ Unbilled: u uploads it as a QuickBooks purchase order (PO-0000001)."
        )
        await pilot.press("u")
        await settled(pilot)
        assert pilot.app.screen.question == ("Upload PO-0000001 to QuickBooks as a purchase order?")
        await pilot.press("y")
        await settled(pilot)
    with db.reader() as s:
        assert current_upload(s, po_id) == ("purchase_order", "waiting")


async def test_the_last_upload_error_is_shown_with_its_code(db, vendor_id):
    link(db, vendor_id)
    po_id = add_po(
        db,
        vendor_id,
        invoice_date=date(2026, 11, 20),
        supplier_invoice_no="INV-77",
    )
    records.upload(
        db,
        po_id,
        "bill",
        code="6140",
        error="QuickBooks error 6140: Duplicate Document Number Error",
    )
    async with console(db).run_test(size=(80, 24)) as pilot:
        pane = await accounting_tab(pilot, po_id)
        assert shown(pane, "upload") == (
            "✖ failed as a bill (6140 duplicate number): Duplicate Document Number Error"
        )
