"""The Accounting screen as an operator uses it (Cin7 seed), against the sandbox QuickBooks.

Link new contacts, open Purchases › Supplier Invoices, mark POs (or all of them), Upload
Selected or Upload All; a PO that fails raises a notification and waits on the Errors tab with
QuickBooks' message until it is fixed and re-synced. The sandbox answers on a loopback port.
"""

from __future__ import annotations

from datetime import date

import pytest

from connectors.quickbooks import Limits
from connectors.sandbox.quickbooks import QuickBooksSandbox
from connectors.sandbox.server import Sandbox
from posync_tui import leases
from posync_tui.config import QuickBooksSettings, Settings
from posync_tui.models import AccountingStatus, PurchaseOrder, Vendor
from posync_tui.runtime import Runtime
from posync_tui.scheduler import Job
from posync_tui.services.accounting import deliver
from screens.accounting import AccountingQueues
from screens.confirm import Confirm
from tests import records
from tests.console import console_app, settled
from tests.test_accounting import choose_expense_account
from tests.waiting import until


@pytest.fixture
def qbo():
    sandbox = QuickBooksSandbox(limits=Limits().scaled(0.05))
    partners = Sandbox([sandbox])
    server = partners.serve()
    yield sandbox, partners, server
    server.stop()


@pytest.fixture
def sandbox(qbo) -> QuickBooksSandbox:
    return qbo[0]


def quickbooks_job(rt) -> list[Job]:
    """The console's scheduler with the "quickbooks" job alone (it runs when handed work)."""
    return [Job("quickbooks", interval=3600, run=lambda fence: deliver(rt, fence=fence))]


def runtime_of(db, qbo, *, upload_pos=True) -> Runtime:
    _, partners, server = qbo
    settings = Settings(
        quickbooks=QuickBooksSettings(timeout=2, upload_pos_as_purchase_orders=upload_pos)
    )
    return Runtime(settings=settings, db=db, sandbox=partners, sandbox_server=server)


def app_for(db, qbo, *, upload_pos=True, jobs=quickbooks_job):
    rt = runtime_of(db, qbo, upload_pos=upload_pos)
    return console_app(
        db, settings=rt.settings, sandbox=rt.sandbox, sandbox_server=rt.sandbox_server, jobs=jobs
    )


def add_vendor(db, sandbox, name="Acme Supplies", code="ACME", linked=True) -> int:
    choose_expense_account(db, sandbox)  # the books are set up first (Accounting › Settings)
    qbo_id = next((v["Id"] for v in sandbox.vendors() if v["DisplayName"] == name), None)
    with db.session() as s:
        vendor = Vendor(code=code, name=name, qbo_vendor_id=qbo_id if linked else None)
        s.add(vendor)
        s.flush()
        return vendor.id


def add_po(db, vendor_id, number, invoice_no="INV-77", invoice_date=date(2024, 5, 2)) -> int:
    return records.add_po(
        db,
        vendor_id,
        number,
        order_date=date(2024, 4, 1),
        supplier_invoice_no=invoice_no,
        invoice_date=invoice_date,
    )


def qbo_vendor(sandbox, name="Acme Supplies") -> str:
    return next(v["Id"] for v in sandbox.vendors() if v["DisplayName"] == name)


def hand_made_bill(sandbox, vendor_id: str, doc: str) -> dict:
    account = next(a["Id"] for a in sandbox.records("Account") if a["AccountType"] == "Expense")
    line = {
        "Amount": "1.00",
        "DetailType": "AccountBasedExpenseLineDetail",
        "AccountBasedExpenseLineDetail": {"AccountRef": {"value": account}},
    }
    return {"VendorRef": {"value": vendor_id}, "DocNumber": doc, "Line": [line]}


def po(db, po_id) -> PurchaseOrder:
    with db.reader() as s:
        return s.get(PurchaseOrder, po_id)


async def open_accounting(pilot, tab: str | None = None) -> AccountingQueues:
    await settled(pilot)
    await pilot.press("a")
    await settled(pilot)
    body = pilot.app.screen.query_one(AccountingQueues)
    if tab is not None:
        body.action_show_tab(tab)
        await settled(pilot)
    return body


async def answer_yes(pilot) -> str:
    """Say yes to the confirmation and wait for what it started; returns its question."""
    await settled(pilot)
    assert isinstance(pilot.app.screen, Confirm)
    question = pilot.app.screen.question
    await pilot.press("y")
    await settled(pilot)
    body = pilot.app.screen.query_one(AccountingQueues)
    for _ in range(200):  # the upload runs in a thread; the screen stays responsive meanwhile
        if not body.uploading:
            break
        await pilot.pause(0.05)
    await settled(pilot)
    return question


def notifications(app) -> list[str]:
    return [n.message for n in app._notifications]


def rows(body, tab) -> list[str]:
    table = body.query_one(f"#{tab}-pane").table
    return [table._row_at(i, read=False).data["number"] for i in range(table.row_count)]


async def test_upload_selected_then_upload_all(db, qbo, sandbox):
    vendor = add_vendor(db, sandbox)
    unlinked = add_vendor(db, sandbox, "Initech", "INI", linked=False)
    first, _, third, _ = (add_po(db, vendor, f"PO-{n}", f"INV-{n}") for n in (1, 2, 3, 4))
    add_po(db, unlinked, "PO-9", "INV-9")
    app = app_for(db, qbo)
    async with app.run_test(size=(80, 24)) as pilot:
        body = await open_accounting(pilot)
        assert rows(body, "supplier_invoices") == ["PO-1", "PO-2", "PO-3", "PO-4", "PO-9"]
        await pilot.press("space", "down", "space", "u")  # marks PO-1 and PO-3
        assert await answer_yes(pilot) == "Upload 2 POs to QuickBooks as bills?"
        assert sorted(b["DocNumber"] for b in sandbox.bills()) == ["INV-1/PO-1", "INV-3/PO-3"]
        assert po(db, first).accounting_status == AccountingStatus.IMPORTED
        assert po(db, third).accounting_status == AccountingStatus.IMPORTED
        assert rows(body, "supplier_invoices") == ["PO-2", "PO-4", "PO-9"]  # synced rows leave
        assert notifications(app)[-1].startswith("2 uploaded to QuickBooks, 2 waiting")
        assert "last upload: 2 uploaded" in str(body.query_one("#qbo-connection").render())

        await pilot.press("U")  # every ready PO; PO-9's contact is not linked yet
        assert await answer_yes(pilot) == "Upload 2 POs to QuickBooks as bills?"
        assert len(sandbox.bills()) == 4
        assert rows(body, "supplier_invoices") == ["PO-9"]
        detail = str(body.query_one("#supplier_invoices-pane .queue-detail").render())
        assert "Vendor Initech is not linked to QuickBooks" in detail


async def test_upload_selected_leaves_the_marked_pos_the_filter_hides(db, qbo, sandbox):
    vendor = add_vendor(db, sandbox)
    first, _, third = (add_po(db, vendor, f"PO-{n}", f"INV-{n}") for n in (1, 2, 3))
    app = app_for(db, qbo)
    async with app.run_test(size=(80, 24)) as pilot:
        body = await open_accounting(pilot)
        await pilot.press("space", "down", "space")  # marks PO-1 and PO-3
        await pilot.press("slash", *"PO-1", "enter")
        await settled(pilot)
        await pilot.press("u")
        assert await answer_yes(pilot) == (
            "Upload 1 marked PO to QuickBooks as bills (1 more marked is hidden by the filter "
            "and will not be touched)?"
        )
        assert [b["DocNumber"] for b in sandbox.bills()] == ["INV-1/PO-1"]
        assert po(db, third).accounting_status != AccountingStatus.IMPORTED
        assert body.query_one("#supplier_invoices-pane").table.marks == {third}


async def test_a_failing_po_lands_on_errors_with_quickbooks_message_then_is_fixed_and_resynced(
    db, qbo, sandbox
):
    vendor = add_vendor(db, sandbox)
    add_po(db, vendor, "PO-1", "INV-1")
    clash = add_po(db, vendor, "PO-2", "INV-2")
    # An accountant already keyed the supplier's invoice into QuickBooks by hand.
    hand_made = {"vendor_id": qbo_vendor(sandbox), "doc": "INV-2/PO-2"}
    sandbox.company.save("Bill", hand_made_bill(sandbox, **hand_made))
    app = app_for(db, qbo)
    async with app.run_test(size=(80, 24)) as pilot:
        body = await open_accounting(pilot)
        await pilot.press("ctrl+a")  # the header checkbox: every listed PO
        await settled(pilot)
        await pilot.press("u")
        assert await answer_yes(pilot) == "Upload 2 POs to QuickBooks as bills?"
        assert any(
            n.startswith("PO-2 failed (6140)") and "already has a transaction" in n
            for n in notifications(app)
        )
        assert rows(body, "supplier_invoices") == []
        body.action_show_tab("errors_supplier_invoices")
        await settled(pilot)
        # The failure reaches the console as a committed change: the tab re-reads on it.
        await until(lambda: rows(body, "errors_supplier_invoices") == ["PO-2"], what="PO-2")
        detail = str(body.query_one("#errors_supplier_invoices-pane .queue-detail").render())
        assert "QuickBooks error 6140" in detail and "change the supplier invoice number" in detail
        assert "Invoice errors 1" in str(body.tabs.get_tab("errors_supplier_invoices").label)

        with db.session() as s:  # the operator fixes the PO's supplier invoice number
            s.get(PurchaseOrder, clash).supplier_invoice_no = "INV-2B"
        await pilot.press("u")
        assert await answer_yes(pilot) == "Re-sync 1 PO to QuickBooks as bills?"
        assert rows(body, "errors_supplier_invoices") == []
        assert po(db, clash).accounting_status == AccountingStatus.IMPORTED
        assert "INV-2B/PO-2" in [b["DocNumber"] for b in sandbox.bills()]


async def test_two_pos_cut_to_one_doc_number_are_flagged_before_anything_is_sent(
    db, qbo, sandbox
):
    vendor = add_vendor(db, sandbox)
    add_po(db, vendor, "PO-1", "A-VERY-LONG-INVOICE-NO-1")
    add_po(db, vendor, "PO-2", "A-VERY-LONG-INVOICE-NO-2")  # same first 21 characters
    app = app_for(db, qbo)
    async with app.run_test(size=(80, 24)) as pilot:
        body = await open_accounting(pilot)
        table = body.query_one("#supplier_invoices-pane").table
        statuses = [table._row_at(i, read=False).data["status"] for i in range(2)]
        assert statuses == ["same DocNumber", "same DocNumber"]
        detail = str(body.query_one("#supplier_invoices-pane .queue-detail").render())
        assert "same as PO PO-2's" in detail and "6140" in detail
        await pilot.press("U")  # the clash keeps both out of "every ready PO"
        await settled(pilot)
        assert not isinstance(app.screen, Confirm)
        assert notifications(app) == ["Nothing ready to upload on this tab."]
    assert sandbox.bills() == []


async def test_unbilled_pos_are_not_uploaded_while_the_setting_is_off(db, qbo, sandbox):
    add_po(db, add_vendor(db, sandbox), "PO-7", invoice_no=None, invoice_date=None)
    app = app_for(db, qbo, upload_pos=False)
    async with app.run_test(size=(80, 24)) as pilot:
        body = await open_accounting(pilot, "purchase_orders")
        assert body.query_one("#setting-off").display  # the tab says so
        await pilot.press("u")
        await settled(pilot)
        assert not isinstance(app.screen, Confirm)
        assert any("is off" in n for n in notifications(app))
        assert sandbox.purchase_orders() == []


async def test_unbilled_pos_upload_as_quickbooks_purchase_orders_with_the_setting(db, qbo, sandbox):
    add_po(db, add_vendor(db, sandbox), "PO-7", invoice_no=None, invoice_date=None)
    app = app_for(db, qbo, upload_pos=True)
    async with app.run_test(size=(80, 24)) as pilot:
        body = await open_accounting(pilot, "purchase_orders")
        assert not body.query_one("#setting-off").display
        await pilot.press("u")
        assert await answer_yes(pilot) == "Upload 1 PO to QuickBooks as purchase orders?"
        assert [p["DocNumber"] for p in sandbox.purchase_orders()] == ["PO-7"], notifications(app)
        assert rows(body, "purchase_orders") == []


async def test_reset_for_reimport_clears_the_error_and_puts_the_po_back(db, qbo, sandbox):
    vendor = add_vendor(db, sandbox)
    po_id = add_po(db, vendor, "PO-1")
    records.upload(db, po_id, "bill", code="2500", error="unknown vendor")
    app = app_for(db, qbo)
    async with app.run_test(size=(80, 24)) as pilot:
        body = await open_accounting(pilot, "errors_supplier_invoices")
        await pilot.press("r")
        assert (await answer_yes(pilot)).startswith("Reset 1 PO for re-import?")
        assert rows(body, "errors_supplier_invoices") == []
        body.action_show_tab("supplier_invoices")
        await settled(pilot)
        assert rows(body, "supplier_invoices") == ["PO-1"]


async def test_a_refused_sign_in_says_reconnect_quickbooks(db, qbo, sandbox):
    vendor = add_vendor(db, sandbox)
    add_po(db, vendor, "PO-1")
    _, _, server = qbo
    settings = Settings(
        quickbooks=QuickBooksSettings(
            timeout=2,
            base_url=f"{server.url}/quickbooks",
            token_url=f"{server.url}/quickbooks/oauth2/v1/tokens/bearer",
            client_id=sandbox.client_id,
            client_secret=sandbox.client_secret,
            realm_id=sandbox.realm_id,
            refresh_token=sandbox.issue_refresh_token(),
        )
    )
    sandbox.revoke()  # the company disconnected posync
    app = console_app(db, settings=settings, jobs=quickbooks_job)
    async with app.run_test(size=(80, 24)) as pilot:
        body = await open_accounting(pilot)
        await pilot.press("u")
        await answer_yes(pilot)
        assert any("Reconnect QuickBooks" in n for n in notifications(app))
        assert "reconnect QuickBooks" in str(body.query_one("#qbo-connection").render())
        assert rows(body, "supplier_invoices") == ["PO-1"]  # still waiting, nothing lost


async def test_contacts_are_linked_to_an_existing_vendor_or_created(db, qbo, sandbox):
    acme = add_vendor(db, sandbox, linked=False)
    add_vendor(db, sandbox, "Globex Corporation", "GLOBEX", linked=False)
    initech = add_vendor(db, sandbox, "Initech", "INI", linked=False)
    app = app_for(db, qbo)
    async with app.run_test(size=(80, 24)) as pilot:
        body = await open_accounting(pilot, "contacts")
        assert rows_of_contacts(body) == ["Acme Supplies", "Globex Corporation", "Initech"]
        await pilot.press("l")  # finds "Acme Supplies" in QuickBooks by name
        await settled(pilot)
        await pilot.press("enter")  # link to the one found
        await settled(pilot)
        assert rows_of_contacts(body) == ["Globex Corporation", "Initech"]

        await pilot.press("c")  # QuickBooks has a Globex already: link it instead
        await answer_yes(pilot)
        assert any("already has a vendor named" in n for n in notifications(app))
        assert rows_of_contacts(body) == ["Globex Corporation", "Initech"]

        await pilot.press("down", "c")
        assert await answer_yes(pilot) == "Create the vendor Initech in QuickBooks and link it?"
        assert rows_of_contacts(body) == ["Globex Corporation"]
        assert "Initech" in [v["DisplayName"] for v in sandbox.vendors()]
    with db.reader() as s:
        assert s.get(Vendor, acme).qbo_display_name == "Acme Supplies"
        assert s.get(Vendor, initech).qbo_vendor_id is not None


def rows_of_contacts(body) -> list[str]:
    table = body.query_one("#contacts-pane").table
    return [table._row_at(i, read=False).data["name"] for i in range(table.row_count)]


async def test_upload_all_in_a_console_that_does_not_lead_leaves_the_upload_to_the_leader(
    db, qbo, sandbox
):
    vendor = add_vendor(db, sandbox)
    first, second = (add_po(db, vendor, f"PO-{n}", f"INV-{n}") for n in (1, 2))
    leases.acquire(db, "quickbooks", "worker-on-the-server", ttl=600)  # another process leads
    app = app_for(db, qbo)
    async with app.run_test(size=(80, 24)) as pilot:
        body = await open_accounting(pilot)
        await pilot.press("U")
        assert await answer_yes(pilot) == "Upload 2 POs to QuickBooks as bills?"
        assert sandbox.bills() == []  # this console delivered nothing itself
        assert "2 queued: worker-on-the-server runs QuickBooks and uploads them" in notifications(
            app
        )
        assert {records.upload_state(db, i) for i in (first, second)} == {"waiting"}
        assert body.query_one("#supplier_invoices-pane").table.row_count == 2

        # The leader's run sends them; this console's queue follows its commits.
        leader = records.fence(db, holder="worker-on-the-server")
        assert await deliver(runtime_of(db, qbo), fence=leader) == "2 uploaded to QuickBooks"
        await settled(pilot)
        assert len(sandbox.bills()) == 2
        assert body.query_one("#supplier_invoices-pane").table.row_count == 0


async def test_an_upload_waiting_for_a_decision_is_decided_on_the_errors_tab(db, qbo, sandbox):
    vendor = add_vendor(db, sandbox)
    found, again, resend = (add_po(db, vendor, f"PO-{n}", f"INV-{n}") for n in (1, 2, 3))
    for po_id in (found, again, resend):
        records.upload(db, po_id, status="decision", code="lookup failed", error="It may be.")
    leases.acquire(db, "quickbooks", "worker-on-the-server", ttl=600)  # the leader sends
    app = app_for(db, qbo)
    async with app.run_test(size=(80, 24)) as pilot:
        body = await open_accounting(pilot, "errors_supplier_invoices")
        assert rows(body, "errors_supplier_invoices") == ["PO-1", "PO-2", "PO-3"]
        detail = str(body.query_one("#errors_supplier_invoices-pane .queue-detail").render())
        assert "Needs a decision: It may be. l look it up again · g send it again" in detail

        await pilot.press("d")  # the operator found PO-1 in QuickBooks as 1234
        await settled(pilot)
        await pilot.press(*"1234", "enter")
        await settled(pilot)
        assert records.qbo_link(db, found).partner_id == "1234"
        assert po(db, found).accounting_status == AccountingStatus.IMPORTED

        assert rows(body, "errors_supplier_invoices") == ["PO-2", "PO-3"]
        await pilot.press("l")  # look PO-2 up again: back in the queue for the leader
        await settled(pilot)
        assert records.upload_state(db, again) == "waiting"
        assert rows(body, "errors_supplier_invoices") == ["PO-3"]
        assert "PO-2: look it up again — done." in notifications(app)

        await pilot.press("g")  # send PO-3 again (s would sort, as in every list)
        await settled(pilot)
        assert records.upload_state(db, resend) == "waiting"
        assert rows(body, "errors_supplier_invoices") == []
        assert "PO-3: send it again — done." in notifications(app)
