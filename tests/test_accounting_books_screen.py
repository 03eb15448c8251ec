"""Accounting › Settings and Accounting › Discrepancies as an accountant uses them, at 80×24,
against the sandbox QuickBooks company."""

from __future__ import annotations

from sqlmodel import select

from posync_tui.models import AuditEntry, Item, MappingKind
from posync_tui.services import accounting
from posync_tui.services.accounting import UploadKind
from posync_tui.services.accounting_discrepancies import list_discrepancies
from posync_tui.services.accounting_mappings import choose, mappings
from screens.accounting_choose import ChooseFromQuickBooks
from tests import records
from tests.console import settled
from tests.test_accounting_books import run_read_back
from tests.test_accounting_screen import (
    add_po,
    add_vendor,
    answer_yes,
    app_for,
    open_accounting,
    qbo,
    runtime_of,
    sandbox,
)
from tests.waiting import until

__all__ = ["qbo", "sandbox"]  # fixtures


def table_text(body, pane: str) -> list[list[str]]:
    table = body.query_one(f"#{pane}").table
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def choose_in_dialog(pilot, text: str) -> None:
    await until(lambda: isinstance(pilot.app.screen, ChooseFromQuickBooks), what="the list")
    await pilot.press(*text)
    await pilot.press("enter")
    await settled(pilot)


async def test_settings_are_chosen_from_quickbooks_lists_by_keyboard(db, qbo, sandbox):
    vendor = add_vendor(db, sandbox)
    choose(db, MappingKind.EXPENSE_ACCOUNT, None)  # nothing chosen yet
    po_id = add_po(db, vendor, "PO-1")
    with db.session() as s:
        s.add(Item(sku="BOLT-M8", description="Hex bolts M8"))
    app = app_for(db, qbo)
    async with app.run_test(size=(80, 24)) as pilot:
        body = await open_accounting(pilot, "settings")
        rows = table_text(body, "settings-pane")
        assert rows[0] == ["Books", "Expense / COGS account", "—"]
        assert ["Vendor tax code", "Acme Supplies", "—"] in rows

        await pilot.press("enter")  # the expense account: QuickBooks' accounts, read now
        await until(lambda: isinstance(app.screen, ChooseFromQuickBooks), what="the accounts")
        names = [e.name for e in app.screen.entries]
        assert "Supplies" in names  # an expense account
        await choose_in_dialog(pilot, "suppl")
        await until(lambda: "Supplies" in table_text(body, "settings-pane")[0][2], what="shown")

        await pilot.press("down")  # A/P: only Accounts Payable accounts are offered
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, ChooseFromQuickBooks), what="A/P accounts")
        assert {e.kind for e in app.screen.entries} == {"Accounts Payable"}
        await pilot.press("escape")
        await settled(pilot)

        item_row = next(i for i, r in enumerate(rows) if r[0] == "Item")
        body.query_one("#settings-pane").table.move_cursor(row=item_row)
        await pilot.press("enter")  # the item's QuickBooks item, searched by typing
        await choose_in_dialog(pilot, "hard")
        await pilot.press("t")  # its own tax code
        await choose_in_dialog(pilot, "NON")
        await until(lambda: "tax NON" in table_text(body, "settings-pane")[item_row][2], what="tax")

    chosen = mappings(db)
    assert chosen.company[MappingKind.EXPENSE_ACCOUNT].name == "Supplies"
    hardware = next(i["Id"] for i in sandbox.records("Item") if i["Name"] == "Hardware")
    with db.reader() as s:
        item = s.exec(select(Item).where(Item.sku == "BOLT-M8")).one()
        assert item.qbo_item_id == hardware
        sources = {e.field: e.source for e in s.exec(select(AuditEntry))}
    assert chosen.item_tax[item.id].name == "NON"
    assert sources["expense_account"] == "operator" and sources["qbo_item_id"] == "operator"
    assert accounting.enqueue_upload(db, UploadKind.BILL, [po_id]).queued == [po_id]


async def test_discrepancies_are_listed_then_accepted_or_resynced(db, qbo, sandbox):
    vendor = add_vendor(db, sandbox)
    first, second = add_po(db, vendor, "PO-1", "INV-1"), add_po(db, vendor, "PO-2", "INV-2")
    accounting.enqueue_upload(db, UploadKind.BILL, [first, second])
    rt = runtime_of(db, qbo)
    await accounting.deliver(rt, fence=records.fence(db))
    bills = {b["DocNumber"]: b for b in sandbox.bills()}
    sandbox.edit("Bill", bills["INV-1/PO-1"]["Id"], DocNumber="INV-1 checked")
    sandbox.edit("Bill", bills["INV-2/PO-2"]["Id"], TotalAmt=1)
    await run_read_back(rt)

    app = app_for(db, qbo)
    async with app.run_test(size=(80, 24)) as pilot:
        body = await open_accounting(pilot, "discrepancies")
        assert "Diff 2" in str(body.tabs.get_tab("discrepancies").label)
        rows = table_text(body, "discrepancies-pane")
        assert rows[0][:5] == ["PO-1", "Acme Supplies", "bill", "DocNumber", "INV-1/PO-1"]
        assert rows[1][3:] == ["total", rows[1][4], "1.00"]

        await pilot.press("a")  # accept QuickBooks' DocNumber for PO-1
        question = await answer_yes(pilot)
        assert "Accept QuickBooks' DocNumber of PO PO-1" in question
        await until(lambda: len(table_text(body, "discrepancies-pane")) == 1, what="accepted")

        await pilot.press("s")  # re-sync PO-2 from posync
        assert "Re-sync PO PO-2" in await answer_yes(pilot)
        await until(lambda: table_text(body, "discrepancies-pane") == [], what="emptied")
        await until(lambda: records.upload_state(db, second) is None, what="re-synced")
        # PO-1's DocNumber was accepted, PO-2's total sent again: QuickBooks agrees now.
        assert await run_read_back(rt) == "read back 2 from QuickBooks, 0 discrepancies"
        assert list_discrepancies(db) == []
