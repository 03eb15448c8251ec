"""QuickBooks uploads when things go wrong: lost answers, failing look-ups, answers that are not
what was sent, a second posync on the same company, a deliverer that lost its lease.

Through the accounting service and the delivery engine, against the sandbox QuickBooks over real
loopback HTTP.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from connectors.quickbooks import QuickBooksError
from posync_tui import delivery, leases
from posync_tui.db import Database
from posync_tui.models import (
    AccountingStatus,
    ConnectorState,
    OutboxMessage,
    OutboxStatus,
    utcnow,
)
from posync_tui.services import accounting, accounting_decisions
from posync_tui.services.accounting import QueueTab, UploadKind
from tests import records
from tests.test_accounting import (
    add_po,
    add_vendor,
    deliver,
    po,
    qbo,
    qbo_vendor,
    rt,
    runtime,
    sandbox,
)

__all__ = ["qbo", "rt", "sandbox"]  # fixtures shared with test_accounting

BILL = UploadKind.BILL


def message_of(db, po_id) -> OutboxMessage:
    with db.reader() as s:
        return s.exec(
            select(OutboxMessage)
            .where(OutboxMessage.record_id == po_id)
            .order_by(OutboxMessage.id.desc())
        ).first()


def sent_before(db, po_id) -> None:
    """An earlier run counted an attempt for the PO's upload, then died (nothing stored)."""
    with db.session() as s:
        message = s.get(OutboxMessage, message_of(db, po_id).id)
        message.attempts = 1


async def test_answers_lost_after_quickbooks_made_the_bills_are_looked_up_not_sent_again(
    rt, db, sandbox
):
    vendor = add_vendor(db, sandbox)
    ids = [add_po(db, vendor, f"PO-{n}", invoice_no=f"INV-{n}") for n in range(3)]
    accounting.enqueue_upload(db, BILL, ids)
    sandbox.fail_after_commit()  # the batch's answer lost, after the bills were made
    assert await deliver(rt) == "3 uploaded to QuickBooks"
    assert len(sandbox.bills()) == 3
    assert {po(db, i).accounting_status for i in ids} == {AccountingStatus.IMPORTED}
    assert {(message_of(db, i).status, message_of(db, i).attempts) for i in ids} == {
        (OutboxStatus.SENT, 1)
    }


async def test_a_failing_look_up_is_tried_again_then_waits_for_a_decision_on_the_errors_tab(
    rt, db, sandbox
):
    po_id = add_po(db, add_vendor(db, sandbox))
    accounting.enqueue_upload(db, BILL, [po_id])
    sent_before(db, po_id)
    for tries in range(1, delivery.MAX_LOOKUPS + 1):
        sandbox.inject_fault("4000", message="The look-up failed")  # the query, not a write
        # QuickBooks answered nothing this run: the job fails with its words.
        with pytest.raises(QuickBooksError, match="The look-up failed"):
            await deliver(rt)
        if tries < delivery.MAX_LOOKUPS:
            assert records.upload_state(db, po_id) == "waiting"
    assert records.upload_state(db, po_id) == "decision"
    [row] = accounting.list_queue(db, QueueTab.ERRORS_SUPPLIER_INVOICES)
    assert row.po_id == po_id and row.error_code == "lookup failed"
    assert "look it up again, send it again, mark it done" in row.error
    assert accounting.queue_counts(db)["upload_errors"] == 1
    assert sandbox.bills() == []
    # Upload cannot go around the decision, nor can a reset.
    assert accounting.enqueue_upload(db, BILL, [po_id]).skipped[po_id] == [accounting.DECIDE_FIRST]
    with pytest.raises(accounting.ResetRefused, match="look it up again"):
        accounting.reset_for_reimport(db, po_id)

    accounting_decisions.look_up_again(db, po_id)  # QuickBooks answers now: not there, so sent
    assert await deliver(rt) == "1 uploaded to QuickBooks"
    assert len(sandbox.bills()) == 1 and po(db, po_id).accounting_status == "Imported"


async def decide_after_failed_lookups(rt, db, sandbox, po_id) -> None:
    accounting.enqueue_upload(db, BILL, [po_id])
    sent_before(db, po_id)
    for _ in range(delivery.MAX_LOOKUPS):
        sandbox.inject_fault("4000", message="The look-up failed")
        with pytest.raises(QuickBooksError):
            await deliver(rt)
    assert records.upload_state(db, po_id) == "decision"


async def test_each_decision_send_again_mark_done_cancel(rt, db, sandbox):
    vendor = add_vendor(db, sandbox)
    again, done, cancelled = (add_po(db, vendor, f"PO-{n}", invoice_no=f"I-{n}") for n in "123")
    for po_id in (again, done, cancelled):
        await decide_after_failed_lookups(rt, db, sandbox, po_id)

    accounting_decisions.send_again(db, again)
    accounting_decisions.mark_done(db, done, "777")
    accounting_decisions.cancel_upload(db, cancelled)
    with pytest.raises(accounting_decisions.NotDecidable):
        accounting_decisions.cancel_upload(db, done)
    # The cancelled one is back in its queue, ready to upload again.
    assert await deliver(rt) == (
        "1 uploaded to QuickBooks, "
        "1 waiting to upload to QuickBooks (1 ready: Upload on Accounting queues them)"
    )

    assert [b["DocNumber"] for b in sandbox.bills()] == ["I-1/PO-1"]
    marked, link = po(db, done), records.qbo_link(db, done)
    assert (marked.accounting_status, link.partner_id, link.doc_number) == (
        AccountingStatus.IMPORTED,
        "777",
        "I-2/PO-2",
    )
    assert records.upload_state(db, cancelled) is None
    assert accounting.queue_ids(db, QueueTab.SUPPLIER_INVOICES) == [cancelled]  # back, ready
    assert accounting.queue_counts(db)["upload_errors"] == 0


async def test_an_answer_with_another_doc_number_or_amount_is_not_taken_as_done(rt, db, sandbox):
    po_id = add_po(db, add_vendor(db, sandbox))
    accounting.enqueue_upload(db, BILL, [po_id])
    sandbox.alter_answers(DocNumber="INV-99/PO-9999", TotalAmt=70)
    assert await deliver(rt) == (
        "0 uploaded to QuickBooks, 1 need a decision (see the Errors tabs)"
    )
    synced = po(db, po_id)
    assert synced.accounting_status == AccountingStatus.NOT_IMPORTED
    assert records.qbo_link(db, po_id) is None
    assert synced.accounting_error_code == "mismatch"
    assert "DocNumber 'INV-99/PO-9999', sent 'INV-77/PO-1001'" in synced.accounting_error
    assert "amount 70" in synced.accounting_error and "sent 7.00" in synced.accounting_error
    assert records.upload_state(db, po_id) == "decision"


async def test_two_posync_databases_on_one_company_never_take_each_others_bills(
    db, qbo, sandbox, tmp_path
):
    other_db = Database(f"sqlite:///{tmp_path / 'other.db'}")
    other_db.upgrade()
    try:
        assert other_db.installation_id() != db.installation_id()
        here, there = runtime(db, qbo), runtime(other_db, qbo)
        vendor_here, vendor_there = add_vendor(db, sandbox), add_vendor(other_db, sandbox)
        # The same POs, vendor and invoices in both: the same DocNumbers in QuickBooks.
        mine = [add_po(db, vendor_here, f"PO-{n}", invoice_no=f"I-{n}") for n in "12"]
        theirs = [add_po(other_db, vendor_there, f"PO-{n}", invoice_no=f"I-{n}") for n in "12"]
        accounting.enqueue_upload(db, BILL, mine)
        assert await deliver(here) == "2 uploaded to QuickBooks"
        accounting.enqueue_upload(other_db, BILL, theirs)
        sent_before(other_db, theirs[1])  # so its run looks PO-2's DocNumber up first
        # Neither a replayed answer (the requestid) nor a look-up by DocNumber gives the other
        # database this one's bills: QuickBooks refuses their duplicate DocNumbers instead.
        assert await deliver(there) == "0 uploaded to QuickBooks, 2 failed (see the Errors tabs)"
        assert len(sandbox.bills()) == 2
        for po_id in theirs:
            assert records.qbo_link(other_db, po_id) is None
            assert po(other_db, po_id).accounting_error_code == "6140"
        for po_id in mine:
            bill_id = records.qbo_link(db, po_id).partner_id
            bill = next(b for b in sandbox.bills() if b["Id"] == bill_id)
            assert bill["PrivateNote"].endswith(message_of(db, po_id).idempotency_key)
    finally:
        other_db.dispose()


async def test_a_not_found_on_re_import_is_that_pos_own_error(rt, db, sandbox):
    northwind = add_vendor(db, sandbox, "NW", "Northwind Traders")
    accounting.link_vendor(db, northwind, qbo_vendor(sandbox, "Northwind Traders"), "Northwind")
    gone = add_po(db, northwind, "PO-1", invoice_no="I-1")
    kept = add_po(db, add_vendor(db, sandbox), "PO-2", invoice_no="I-2")
    accounting.enqueue_upload(db, BILL, [gone, kept])
    await deliver(rt)
    for po_id in (gone, kept):
        accounting.reset_for_reimport(db, po_id)
    # In QuickBooks the first bill was deleted and its vendor made inactive: it cannot be made
    # again, while the second bill is replaced as usual.
    sandbox.delete("Bill", records.qbo_link(db, gone).partner_id)
    sandbox.edit("Vendor", qbo_vendor(sandbox, "Northwind Traders"), Active=False)
    accounting.enqueue_upload(db, BILL, [gone, kept])
    summary = await deliver(rt)
    assert summary == "1 uploaded to QuickBooks, 1 failed (see the Errors tabs)"
    assert po(db, kept).accounting_status == AccountingStatus.IMPORTED
    assert [b["SyncToken"] for b in sandbox.bills()] == ["1"]
    assert records.upload_state(db, gone) == "error"
    assert po(db, gone).accounting_error_code == "2500"


async def test_a_deliverer_that_lost_its_lease_uploads_and_writes_nothing(rt, db, sandbox):
    po_id = add_po(db, add_vendor(db, sandbox))
    accounting.enqueue_upload(db, BILL, [po_id])
    paused = records.fence(db, holder="paused console")
    with db.session() as s:  # its lease ran out while it was stopped; another took over
        s.execute(
            update(ConnectorState)
            .where(ConnectorState.name == "quickbooks")
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
    records.fence(db, holder="worker")
    with pytest.raises(leases.LeaseLost):
        await accounting.deliver(rt, fence=paused)
    assert sandbox.bills() == []
    waiting = message_of(db, po_id)
    assert (waiting.status, waiting.attempts, waiting.claimed_by) == ("pending", 0, None)
