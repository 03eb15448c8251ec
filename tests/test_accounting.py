"""Syncing purchase orders to QuickBooks Online (Cin7 seed), through the accounting service.

The service talks to the sandbox QuickBooks over real loopback HTTP.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from pydantic import SecretStr
from sqlmodel import select

from connectors.base import PartnerUnavailable
from connectors.quickbooks import DuplicateName, Limits, ListEntry, ReconnectQuickBooks
from connectors.sandbox.quickbooks import QuickBooksSandbox
from connectors.sandbox.server import Sandbox
from posync_tui.config import QuickBooksSettings, Settings
from posync_tui.delivery import Message
from posync_tui.models import (
    AccountingStatus,
    AuditEntry,
    ChangeLogEntry,
    Item,
    NotificationKind,
    OutboxMessage,
    OutboxStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    SyncNotification,
    Vendor,
)
from posync_tui.runtime import Runtime
from posync_tui.services import accounting
from posync_tui.services.accounting import QueueTab, UploadKind
from posync_tui.services.accounting_connection import qbo_client
from posync_tui.services.accounting_deliver import QuickBooksAdapter
from posync_tui.services.accounting_mappings import choose
from posync_tui.services.accounting_rules import bill_reference, qbo_doc_number
from tests import records

BILL, PO_KIND = UploadKind.BILL, UploadKind.PURCHASE_ORDER


@pytest.fixture
def qbo():
    sandbox = QuickBooksSandbox(limits=Limits().scaled(0.05))
    partners = Sandbox([sandbox])
    server = partners.serve()
    yield sandbox, partners, server
    server.stop()


def runtime(db, qbo, **quickbooks) -> Runtime:
    sandbox, partners, server = qbo
    settings = Settings(quickbooks=QuickBooksSettings(timeout=2, **quickbooks))
    return Runtime(settings=settings, db=db, sandbox=partners, sandbox_server=server)


@pytest.fixture
def rt(db, qbo) -> Runtime:
    return runtime(db, qbo, upload_pos_as_purchase_orders=True)


@pytest.fixture
def sandbox(qbo) -> QuickBooksSandbox:
    return qbo[0]


def qbo_vendor(sandbox, name="Acme Supplies") -> str:
    return next(v["Id"] for v in sandbox.vendors() if v["DisplayName"] == name)


def choose_expense_account(db, sandbox, name="Cost of Goods Sold") -> str:
    """Accounting › Settings: the account item-less lines are booked to."""
    [account] = [a for a in sandbox.records("Account") if a["Name"] == name]
    choose(db, "expense_account", ListEntry(account["Id"], name, account["AccountType"]))
    return account["Id"]


def add_vendor(db, sandbox, code="ACME", name="Acme Supplies", linked=True) -> int:
    # The books are set up before the first vendor is linked (as the README says).
    choose_expense_account(db, sandbox)
    with db.session() as s:
        vendor = Vendor(code=code, name=name, qbo_vendor_id=qbo_vendor(sandbox) if linked else None)
        s.add(vendor)
        s.flush()
        return vendor.id


def add_po(
    db,
    vendor_id,
    number="PO-1001",
    *,
    invoice_no="INV-77",
    invoice_date=date(2024, 5, 2),
    dispatch_date=None,
    qbo_item_id=None,
) -> int:
    with db.session() as s:
        item = Item(sku=f"SKU-{number}", description="Hex bolts", qbo_item_id=qbo_item_id)
        s.add(item)
        po = PurchaseOrder(
            number=number,
            vendor_id=vendor_id,
            order_date=date(2024, 4, 1),
            supplier_invoice_no=invoice_no,
            invoice_date=invoice_date,
            dispatch_date=dispatch_date,
            total=Decimal("7.00"),
            line_count=1,
        )
        s.add(po)
        s.flush()
        s.add(
            PurchaseOrderLine(
                po_id=po.id,
                line_no=1,
                item_id=item.id,
                description="Hex bolts M8",
                quantity_ordered=Decimal(2),
                unit_cost=Decimal("3.50"),
            )
        )
        return po.id


def po(db, po_id) -> PurchaseOrder:
    with db.reader() as s:
        return s.get(PurchaseOrder, po_id)


async def deliver(rt, **kw) -> str:
    """One run of the "quickbooks" job under this process's lease, as the scheduler runs it."""
    return await accounting.deliver(rt, fence=records.fence(rt.db), **kw)


def ids(rows) -> list[int]:
    return [r.po_id for r in rows]


# --- the rules ----------------------------------------------------------------------------------


def test_a_po_with_invoice_date_supplier_inv_no_and_linked_contact_can_be_synced(rt, db, sandbox):
    po_id = add_po(db, add_vendor(db, sandbox))
    [row] = accounting.list_queue(db, QueueTab.SUPPLIER_INVOICES)
    assert row.po_id == po_id and row.ready and row.blockers == ()
    assert accounting.enqueue_upload(db, BILL, [po_id]).queued == [po_id]


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (dict(invoice_date=None), "No Invoice Date"),
        (dict(supplier_invoice_no=None), "No Supplier Inv No"),
        (dict(accounting_status=AccountingStatus.IMPORTED), 'Accounting Status is "Imported"'),
    ],
)
def test_each_failing_rule_is_named_in_plain_words(rt, db, sandbox, change, says):
    po_id = add_po(db, add_vendor(db, sandbox))
    with db.session() as s:
        for field, value in change.items():
            setattr(s.get(PurchaseOrder, po_id), field, value)
    result = accounting.enqueue_upload(db, BILL, [po_id])
    assert result.queued == [] and any(says in reason for reason in result.skipped[po_id])
    assert records.upload_state(db, po_id) is None  # nothing written for a PO that is not ready


def test_a_vendor_not_linked_to_quickbooks_is_named(rt, db, sandbox):
    po_id = add_po(db, add_vendor(db, sandbox, linked=False))
    [reason] = accounting.enqueue_upload(db, BILL, [po_id]).skipped[po_id]
    assert "Acme Supplies is not linked to QuickBooks" in reason and "Contacts" in reason
    [row] = accounting.list_queue(db, QueueTab.SUPPLIER_INVOICES)
    assert not row.ready and row.blockers == (reason,)


def test_accounting_status_is_not_imported_yet_by_default(db, sandbox):
    po_id = add_po(db, add_vendor(db, sandbox))
    assert po(db, po_id).accounting_status == "Not Imported Yet Or Reset For Re-import"


def test_the_reference_is_invoice_number_and_po_reference_shown_whole_and_cut_to_21(
    rt, db, sandbox
):
    po_id = add_po(db, add_vendor(db, sandbox), "PO-000123", invoice_no="SUPPLIER-INV-998877")
    whole = "SUPPLIER-INV-998877/PO-000123"
    assert bill_reference(po(db, po_id)) == whole and qbo_doc_number(whole) == whole[:21]
    [row] = accounting.list_queue(db, QueueTab.SUPPLIER_INVOICES)
    assert (row.reference, row.doc_number, row.truncated) == (whole, whole[:21], True)
    assert qbo_doc_number("SHORT/PO-1") == "SHORT/PO-1"


async def test_quickbooks_receives_the_reference_truncated_to_21_characters(rt, db, sandbox):
    po_id = add_po(db, add_vendor(db, sandbox), "PO-000123", invoice_no="SUPPLIER-INV-998877")
    accounting.enqueue_upload(db, BILL, [po_id])
    await deliver(rt)
    [bill] = sandbox.bills()
    assert bill["DocNumber"] == "SUPPLIER-INV-998877/P"
    assert "SUPPLIER-INV-998877/PO-000123" in bill["PrivateNote"]  # the whole one, in the memo
    assert records.qbo_link(db, po_id).doc_number == "SUPPLIER-INV-998877/P"


# --- syncing bills ------------------------------------------------------------------------------


async def test_a_synced_po_is_imported_and_leaves_the_queue(rt, db, sandbox):
    po_id = add_po(db, add_vendor(db, sandbox))
    accounting.enqueue_upload(db, BILL, [po_id])
    assert accounting.queue_counts(db)["upload_waiting"] == 1
    progress = []
    summary = await deliver(rt, progress=lambda done, total: progress.append((done, total)))
    assert summary == "1 uploaded to QuickBooks" and progress == [(1, 1)]
    synced = po(db, po_id)
    assert synced.accounting_status == AccountingStatus.IMPORTED
    link = records.qbo_link(db, po_id)
    assert (link.partner_kind, link.partner_id) == ("Bill", sandbox.bills()[0]["Id"])
    assert records.upload_state(db, po_id) is None
    assert accounting.list_queue(db, QueueTab.SUPPLIER_INVOICES) == []
    assert accounting.queue_counts(db)["upload_waiting"] == 0
    [bill] = sandbox.bills()
    assert (
        bill["TotalAmt"] == 7.0 and bill["Line"][0]["DetailType"] == "AccountBasedExpenseLineDetail"
    )
    with db.reader() as s:
        [message] = s.exec(select(OutboxMessage)).all()
        audit = s.exec(select(AuditEntry).where(AuditEntry.po_id == po_id)).all()
        kinds = {c.kind for c in s.exec(select(ChangeLogEntry)).all()}
    assert message.status == OutboxStatus.SENT and message.attempts == 1
    assert [(a.field, a.new_value, a.source) for a in audit] == [
        ("accounting_status", "Imported", "quickbooks")
    ]
    assert {"purchase_order", "outbox:quickbooks"} <= kinds


async def test_a_line_with_a_quickbooks_item_is_item_based(rt, db, sandbox):
    item = sandbox.add_item("Hex bolts")
    po_id = add_po(db, add_vendor(db, sandbox), qbo_item_id=item)
    accounting.enqueue_upload(db, BILL, [po_id])
    await deliver(rt)
    line = sandbox.bills()[0]["Line"][0]
    assert line["DetailType"] == "ItemBasedExpenseLineDetail"
    assert line["ItemBasedExpenseLineDetail"]["ItemRef"]["value"] == item


async def test_upload_all_sends_in_batches_of_at_most_30(rt, db, sandbox):
    vendor = add_vendor(db, sandbox)
    for n in range(65):
        add_po(db, vendor, f"PO-{n:04}", invoice_no=f"INV-{n}")
    result = accounting.enqueue_upload(
        db, BILL, accounting.queue_ids(db, QueueTab.SUPPLIER_INVOICES)
    )
    assert len(result.queued) == 65
    assert await deliver(rt) == "65 uploaded to QuickBooks"
    # Batches go out a few at a time: they may arrive in any order.
    assert sorted(sandbox.stats.batch_sizes) == [5, 30, 30] and len(sandbox.bills()) == 65


async def test_quickbooks_down_mid_upload_stops_the_run_and_a_later_run_makes_no_duplicate(
    rt, db, sandbox
):
    vendor = add_vendor(db, sandbox)
    ids = [add_po(db, vendor, f"PO-{n:04}", invoice_no=f"INV-{n}") for n in range(65)]
    accounting.enqueue_upload(db, BILL, ids)
    sandbox.inject_fault("10000", status=503, times=1000, writes_only=True)
    with pytest.raises(PartnerUnavailable):  # the error itself, as one batch at a time gave it
        await deliver(rt)
    assert {records.upload_state(db, i) for i in ids} == {"waiting"}
    sandbox.clear_faults()
    assert await deliver(rt) == "65 uploaded to QuickBooks"
    assert len(sandbox.bills()) == 65


# --- failures, the Errors tabs and re-sync -------------------------------------------------------


async def test_a_failure_moves_the_po_to_errors_with_a_notification_and_resyncs_after_a_fix(
    rt, db, sandbox
):
    vendor = add_vendor(db, sandbox)
    with db.session() as s:
        s.get(Vendor, vendor).qbo_vendor_id = "4040"  # deleted in QuickBooks since it was linked
    po_id = add_po(db, vendor)
    accounting.enqueue_upload(db, BILL, [po_id])
    assert await deliver(rt) == "0 uploaded to QuickBooks, 1 failed (see the Errors tabs)"

    [row] = accounting.list_queue(db, QueueTab.ERRORS_SUPPLIER_INVOICES)
    assert (
        row.error_code == "2500"
        and "does not know" in row.error
        and "Intuit reference" in row.error
    )
    assert accounting.list_queue(db, QueueTab.SUPPLIER_INVOICES) == []
    assert accounting.queue_counts(db)["upload_errors"] == 1
    with db.reader() as s:
        [note] = s.exec(select(SyncNotification)).all()
    assert note.kind == NotificationKind.UPLOAD_ERROR and note.po_id == po_id
    assert "PO PO-1001 failed to sync as a bill to QuickBooks" in note.message

    # The operator links the vendor to the right QuickBooks vendor and re-syncs from Errors.
    accounting.link_vendor(
        db, vendor, qbo_vendor(sandbox, "Northwind Traders"), "Northwind Traders"
    )
    assert accounting.enqueue_upload(db, BILL, [row.po_id]).queued == [po_id]
    assert await deliver(rt) == "1 uploaded to QuickBooks"
    assert po(db, po_id).accounting_status == AccountingStatus.IMPORTED
    assert accounting.queue_counts(db)["upload_errors"] == 0
    with db.reader() as s:
        keys = [m.idempotency_key for m in s.exec(select(OutboxMessage).order_by(OutboxMessage.id))]
    # A new requestid, not a replay; this database's installation id comes first.
    here = db.installation_id()
    assert keys == [f"{here}:qbo:bill:{po_id}:1", f"{here}:qbo:bill:{po_id}:2"]


async def test_two_references_equal_in_their_first_21_characters_are_flagged_before_sending(
    rt, db, sandbox
):
    vendor = add_vendor(db, sandbox)
    first = add_po(db, vendor, "PO-1", invoice_no="A-VERY-LONG-INVOICE-NO-1")
    second = add_po(db, vendor, "PO-2", invoice_no="A-VERY-LONG-INVOICE-NO-2")
    rows = {r.po_id: r for r in accounting.list_queue(db, QueueTab.SUPPLIER_INVOICES)}
    assert "same as PO PO-2's" in rows[first].blockers[0] and not rows[first].ready
    assert "same as PO PO-1's" in rows[second].blockers[0] and not rows[second].ready
    result = accounting.enqueue_upload(db, BILL, [first, second])
    assert result.queued == [] and "6140" in result.skipped[first][0]
    assert await deliver(rt) == "nothing waiting to upload to QuickBooks"
    assert sandbox.bills() == []  # nothing was sent
    with db.session() as s:
        s.get(PurchaseOrder, second).supplier_invoice_no = "INV-NO-2"  # the fix
    accounting.enqueue_upload(db, BILL, [first, second])
    assert await deliver(rt) == "2 uploaded to QuickBooks"


async def test_another_vendors_same_doc_number_is_no_clash(rt, db, sandbox):
    first = add_po(db, add_vendor(db, sandbox), "PO-1", invoice_no="A-VERY-LONG-INVOICE-NO-1")
    other = add_vendor(db, sandbox, "NW", "Northwind Traders")
    add_po(db, other, "PO-2", invoice_no="A-VERY-LONG-INVOICE-NO-2")
    rows = {r.po_id: r for r in accounting.list_queue(db, QueueTab.SUPPLIER_INVOICES)}
    assert rows[first].ready


async def test_deliver_checks_the_rules_again(rt, db, sandbox):
    vendor = add_vendor(db, sandbox)
    po_id = add_po(db, vendor)
    accounting.enqueue_upload(db, BILL, [po_id])
    accounting.unlink_vendor(db, vendor)
    assert "1 failed" in await deliver(rt)
    assert po(db, po_id).accounting_error_code == "not ready" and sandbox.bills() == []


# --- uploading unbilled POs as QuickBooks purchase orders -------------------------------------


async def test_an_unbilled_po_uploads_as_a_quickbooks_purchase_order(rt, db, sandbox):
    po_id = add_po(db, add_vendor(db, sandbox), "PO-2001", invoice_no=None, invoice_date=None)
    [row] = accounting.list_queue(db, QueueTab.PURCHASE_ORDERS, settings=rt.settings)
    assert row.ready and row.reference == "PO-2001"
    assert accounting.enqueue_upload(db, PO_KIND, [po_id], settings=rt.settings).queued == [po_id]
    await deliver(rt)
    [qbo_po] = sandbox.purchase_orders()
    assert qbo_po["DocNumber"] == "PO-2001" and sandbox.bills() == []
    link = records.qbo_link(db, po_id)
    assert (link.partner_kind, link.partner_id) == ("PurchaseOrder", qbo_po["Id"])
    assert accounting.list_queue(db, QueueTab.PURCHASE_ORDERS, settings=rt.settings) == []


def test_uploading_purchase_orders_needs_the_setting(db, qbo, sandbox):
    rt_off = runtime(db, qbo)  # "Upload POs as QuickBooks Purchase Orders" left at No
    po_id = add_po(db, add_vendor(db, sandbox), invoice_no=None, invoice_date=None)
    [reason] = accounting.enqueue_upload(db, PO_KIND, [po_id], settings=rt_off.settings).skipped[
        po_id
    ]
    assert "Upload POs as QuickBooks Purchase Orders" in reason and "off" in reason


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        (dict(invoice_date=date(2024, 5, 2), invoice_no=None), "Invoice Date"),
        (dict(invoice_date=None, invoice_no="INV-1"), "Invoice Number"),
        (dict(invoice_date=None, invoice_no=None, dispatch_date=date(2024, 5, 1)), "Dispatch Date"),
    ],
)
def test_only_an_unbilled_po_can_be_uploaded_as_a_purchase_order(rt, db, sandbox, fields, named):
    po_id = add_po(db, add_vendor(db, sandbox), **fields)
    [reason] = accounting.enqueue_upload(db, PO_KIND, [po_id], settings=rt.settings).skipped[po_id]
    assert named in reason and "unbilled" in reason


async def billed_after_upload_as_purchase_order(rt, db, sandbox) -> int:
    po_id = add_po(db, add_vendor(db, sandbox), "PO-3001", invoice_no=None, invoice_date=None)
    accounting.enqueue_upload(db, PO_KIND, [po_id], settings=rt.settings)
    await deliver(rt)
    with db.session() as s:  # later the supplier's invoice arrives: the PO is billed
        billed = s.get(PurchaseOrder, po_id)
        billed.supplier_invoice_no, billed.invoice_date = "INV-9", date(2024, 6, 1)
    return po_id


async def test_the_bill_of_a_po_uploaded_as_a_purchase_order_is_linked_and_closes_it(
    rt, db, sandbox
):
    # Cin7 leaves this bill to be made by hand; posync makes it, linked to the purchase order.
    po_id = await billed_after_upload_as_purchase_order(rt, db, sandbox)
    [qbo_po] = sandbox.purchase_orders()
    [row] = accounting.list_queue(db, QueueTab.SUPPLIER_INVOICES)
    assert row.ready
    assert accounting.enqueue_upload(db, BILL, [po_id]).queued == [po_id]
    assert await deliver(rt) == "1 uploaded to QuickBooks"
    [bill] = sandbox.bills()
    assert all(line["LinkedTxn"][0]["TxnId"] == qbo_po["Id"] for line in bill["Line"])
    assert sandbox.purchase_orders()[0]["POStatus"] == "Closed"
    with db.reader() as s:
        assert s.exec(select(SyncNotification)).all() == []  # the read-back found the link


async def test_a_link_dropped_by_quickbooks_is_reported(rt, db, sandbox):
    po_id = await billed_after_upload_as_purchase_order(rt, db, sandbox)
    sandbox.drop_links()
    accounting.enqueue_upload(db, BILL, [po_id])
    assert await deliver(rt) == "1 uploaded to QuickBooks"
    assert sandbox.purchase_orders()[0]["POStatus"] == "Open"
    with db.reader() as s:
        [note] = s.exec(select(SyncNotification)).all()
    assert "did not keep its link" in note.message and "link them by hand" in note.message


# --- admin reset, idempotency ------------------------------------------------------------------


async def test_reset_for_reimport_puts_the_po_back_and_resync_replaces_the_same_bill(
    rt, db, sandbox
):
    po_id = add_po(db, add_vendor(db, sandbox))
    accounting.enqueue_upload(db, BILL, [po_id])
    await deliver(rt)
    assert accounting.enqueue_upload(db, BILL, [po_id]).queued == []  # Imported: not again
    accounting.reset_for_reimport(db, po_id)
    assert po(db, po_id).accounting_status == AccountingStatus.NOT_IMPORTED
    assert ids(accounting.list_queue(db, QueueTab.SUPPLIER_INVOICES)) == [po_id]
    accounting.enqueue_upload(db, BILL, [po_id])
    await deliver(rt)
    [bill] = sandbox.bills()
    assert bill["SyncToken"] == "1" and po(db, po_id).accounting_status == AccountingStatus.IMPORTED


def test_queueing_twice_writes_one_outbox_row(rt, db, sandbox):
    po_id = add_po(db, add_vendor(db, sandbox))
    assert accounting.enqueue_upload(db, BILL, [po_id, po_id]).queued == [po_id]
    again = accounting.enqueue_upload(db, BILL, [po_id])
    assert again.skipped[po_id] == ["Already waiting to upload to QuickBooks."]
    with db.reader() as s:
        assert len(s.exec(select(OutboxMessage)).all()) == 1
    assert records.upload_state(db, po_id) == "waiting"


async def test_delivering_twice_sends_once(rt, db, sandbox):
    po_id = add_po(db, add_vendor(db, sandbox))
    accounting.enqueue_upload(db, BILL, [po_id])
    await deliver(rt)
    assert await deliver(rt) == "nothing waiting to upload to QuickBooks"
    assert len(sandbox.bills()) == 1


async def test_after_a_crash_mid_send_the_next_run_finds_the_bill_instead_of_making_another(
    rt, db, sandbox
):
    sandbox.honour_requestid = False
    po_id = add_po(db, add_vendor(db, sandbox))
    accounting.enqueue_upload(db, BILL, [po_id])
    with db.reader() as s:
        [message_id] = s.exec(select(OutboxMessage.id)).all()
    # The crashed run: counted its attempt, sent the bill, died before storing the answer.
    with db.session() as s:
        message = s.get(OutboxMessage, message_id)
        message.attempts = 1
        claimed = Message(message_id, "bill", "purchase_order", po_id, message.idempotency_key,
                          {}, 1, 0)  # fmt: skip
    async with qbo_client(rt) as client:
        with db.reader() as s:
            [request] = QuickBooksAdapter(client, setting_on=False).build(s, [claimed]).values()
        with db.session() as s:
            s.get(OutboxMessage, message_id).payload = json.dumps(request.payload)
        await client.create(request.body.draft, requestid="lost")
    assert await deliver(rt) == "1 uploaded to QuickBooks"
    [bill] = sandbox.bills()
    assert records.qbo_link(db, po_id).partner_id == bill["Id"]
    with db.reader() as s:
        assert (
            json.loads(s.get(OutboxMessage, message_id).payload)["doc_number"] == "INV-77/PO-1001"
        )


async def test_a_revoked_connection_asks_to_reconnect_and_keeps_the_rows_waiting(db, qbo, sandbox):
    _, _, server = qbo
    rt_real = Runtime(
        settings=Settings(
            quickbooks=QuickBooksSettings(
                base_url=f"{server.url}/quickbooks",
                token_url=f"{server.url}/quickbooks/oauth2/v1/tokens/bearer",
                client_id=sandbox.client_id,
                client_secret=sandbox.client_secret,
                realm_id=sandbox.realm_id,
                refresh_token=sandbox.issue_refresh_token(),
            )
        ),
        db=db,
    )
    assert accounting.connection_state(rt_real) == "connected"
    po_id = add_po(db, add_vendor(db, sandbox))
    accounting.enqueue_upload(db, BILL, [po_id])
    sandbox.revoke()
    with pytest.raises(ReconnectQuickBooks, match="Reconnect QuickBooks"):
        await deliver(rt_real)
    assert records.upload_state(db, po_id) == "waiting"
    with db.reader() as s:  # nothing reached QuickBooks: no attempt counted, no look-up due
        assert s.exec(select(OutboxMessage.attempts)).one() == 0
    assert accounting.connection_state(rt_real).startswith("reconnect QuickBooks")
    # The operator reconnects: a new refresh token in the settings; the waiting row goes out.
    rt_real.settings.quickbooks.refresh_token = SecretStr(sandbox.issue_refresh_token())
    assert await deliver(rt_real) == "1 uploaded to QuickBooks"
    assert accounting.connection_state(rt_real) == "connected"


# --- Contacts -----------------------------------------------------------------------------------


async def test_contacts_are_linked_to_an_existing_vendor_or_created(rt, db, sandbox):
    acme = add_vendor(db, sandbox, linked=False)
    initech = add_vendor(db, sandbox, code="INI", name="Initech", linked=False)
    assert [v.name for v in accounting.unlinked_vendors(db)] == ["Acme Supplies", "Initech"]
    assert accounting.queue_counts(db)["contacts"] == 2
    [found] = await accounting.find_qbo_vendors_by_name(rt, "acme")
    accounting.link_vendor(db, acme, found.id, found.display_name)
    created = await accounting.create_qbo_vendor(rt, initech)
    assert created.display_name == "Initech" and accounting.unlinked_vendors(db) == []
    with db.reader() as s:
        assert s.get(Vendor, initech).qbo_vendor_id == created.id


async def test_creating_a_vendor_quickbooks_already_has_says_to_link_it(rt, db, sandbox):
    acme = add_vendor(db, sandbox, linked=False)
    with pytest.raises(DuplicateName, match="already has a vendor named 'Acme Supplies'"):
        await accounting.create_qbo_vendor(rt, acme)
