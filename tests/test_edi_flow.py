"""The EDI flow against the sandbox hub over HTTP (Onetrail seed): submit, answers, despatches
and invoices taken in on the "edi_hub" job; bad interchanges set aside; a lost answer resumed."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from sqlmodel import select

from connectors.edifact import Interchange, build
from connectors.sandbox import edi_hub as edi_hub_sandbox
from posync_tui.config import Settings
from posync_tui.models import (
    DocumentStatus,
    EdiDocument,
    OutboxMessage,
    PurchaseOrder,
    PurchaseOrderLine,
    QuarantinedEntry,
    Shipment,
    VendorBill,
)
from posync_tui.runtime import Runtime
from posync_tui.services import edi_sync
from posync_tui.services.edi_partner import EDI
from posync_tui.services.edi_submit import submit
from posync_tui.services.edi_sync import quarantine_of, reprocess
from tests import records
from tests.edi_data import BACK, RESPONSE
from tests.edi_world import edi_po, hub_runtime, served_hub


@pytest.fixture
def hub():
    with served_hub() as served:
        yield served


@pytest.fixture
def rt(db, hub) -> Runtime:
    return hub_runtime(db, hub)


def fresh_po(db, **fields) -> int:
    po_id = edi_po(db, **fields)
    with db.session() as s:
        s.get(PurchaseOrder, po_id).edi_submit_status = None
    return po_id


def run(rt) -> str:
    return asyncio.run(EDI.jobs[0].run(rt, records.fence(rt.db, "edi_hub")))


def po(db, po_id) -> PurchaseOrder:
    with db.reader() as s:
        return s.get(PurchaseOrder, po_id)


def documents(db) -> list[EdiDocument]:
    with db.reader() as s:
        return list(s.exec(select(EdiDocument).order_by(EdiDocument.id)))


@pytest.mark.parametrize("listed", ["with their text", "without: downloaded"])
def test_submitted_changed_shipped_and_invoiced(rt, hub, listed, monkeypatch):
    sandbox = hub[0]
    if listed == "without: downloaded":  # as a hub lists a large document
        monkeypatch.setattr(edi_hub_sandbox, "LISTED_CONTENT", 0)
    po_id = fresh_po(rt.db)
    sandbox.script(behaviour="change", quantity=8, ship=2, invoice=True, freight="9.50")
    submit(rt.db, po_id, rt.settings.edi)
    said = run(rt)
    got = po(rt.db, po_id)
    assert got.edi_submit_status == "Submitted", said
    assert got.edi_accept_status == "Changed and Accepted"
    types = [(d.direction, d.message_type, d.status) for d in documents(rt.db)]
    assert types[0] == ("out", "ORDERS", "sent")
    assert ("in", "ORDRSP", "applied") in types
    with rt.db.reader() as s:
        assert len(s.exec(select(Shipment)).all()) == 2
        bill = s.exec(select(VendorBill)).one()
    assert bill.status == "held"  # freight (FC) is not set up
    assert [d["acknowledged"] for d in sandbox.inbox()] == [True] * len(sandbox.inbox())


@pytest.mark.parametrize(("qualifiers", "confirmed"), [(("113", "187"), 8), (("113",), None)])
def test_the_hub_s_confirmed_qualifiers_come_from_the_edi_settings(
    db, hub, qualifiers, confirmed
):
    """A supplier that writes its confirmed quantities as QTY+187: read as confirmed unless the
    [edi] settings say this hub's 187 means something else."""
    sandbox, partners, server = hub
    settings = Settings(edi={"confirmed_qualifiers": qualifiers})
    rt = Runtime(settings=settings, db=db, sandbox=partners, sandbox_server=server)
    po_id = fresh_po(db)
    sandbox.script(behaviour="change", quantity=8, confirmed_qualifier="187")
    submit(db, po_id, settings.edi)
    run(rt)
    with db.reader() as s:
        lines = s.exec(select(PurchaseOrderLine).where(PurchaseOrderLine.po_id == po_id)).all()
    assert {line.quantity_confirmed for line in lines if line.line_no == 1} == {confirmed}


def test_a_send_cut_off_is_retried_and_the_hub_answers_duplicate(rt, hub):
    sandbox = hub[0]
    po_id = fresh_po(rt.db)
    sandbox.lose_next_answers(1)
    submit(rt.db, po_id, rt.settings.edi)
    run(rt)
    assert po(rt.db, po_id).edi_submit_status == "Submitted"
    assert len(sandbox.received()) == 1


def test_a_hub_failing_the_send_and_then_its_look_up_fails_the_job_each_time(rt, hub):
    """Each run the hub answers nothing of shows the job failing; the look-up of an ORDERS that
    may have arrived is tried again on the next run, not taken as "not there"."""
    sandbox = hub[0]
    po_id = fresh_po(rt.db)
    submit(rt.db, po_id, rt.settings.edi)
    tries = 4  # the client's attempts (each failing call takes them all)
    for _ in range(2):  # the send, then its look-up (the hub's inbox still answers)
        sandbox.faults.fail_next(tries, status=503)
        with pytest.raises(Exception, match="HTTP 503"):
            run(rt)
        assert po(rt.db, po_id).edi_submit_status == "Submitting"
        assert sandbox.received() == []
    with rt.db.reader() as s:
        message = s.exec(select(OutboxMessage)).one()
    assert (message.status, message.attempts, message.lookups) == ("pending", 1, 1)
    run(rt)
    assert po(rt.db, po_id).edi_submit_status == "Submitted"
    assert len(sandbox.received()) == 1


def test_a_crash_after_sending_resumes_the_po_from_submitting(rt, hub):
    """Killed after the hub took the ORDERS, before its answer was written: the next run sends
    the same interchange, the hub knows its control reference, the PO becomes Submitted."""
    sandbox = hub[0]
    po_id = fresh_po(rt.db)
    submit(rt.db, po_id, rt.settings.edi)
    (document,) = documents(rt.db)

    async def send_then_crash():
        async with EDI.client(rt) as client:
            await client.send(document.raw)

    asyncio.run(send_then_crash())
    with rt.db.session() as s:
        s.exec(select(OutboxMessage)).one().attempts = 1
    assert po(rt.db, po_id).edi_submit_status == "Submitting"
    run(rt)
    assert po(rt.db, po_id).edi_submit_status == "Submitted"
    assert len(sandbox.received()) == 1
    with rt.db.reader() as s:
        assert s.exec(select(OutboxMessage)).one().status == "sent"


def test_a_hub_that_refuses_fails_the_po_with_the_reason(rt, hub):
    sandbox = hub[0]
    po_id = fresh_po(rt.db)
    submit(rt.db, po_id, rt.settings.edi)
    sandbox.faults.fail_next(1, status=400)
    run(rt)
    got = po(rt.db, po_id)
    assert got.edi_submit_status == "Failed" and got.edi_submit_error


def test_malformed_interchanges_are_set_aside_and_the_next_still_processes(rt, hub):
    sandbox = hub[0]
    po_id = fresh_po(rt.db)
    sandbox.script(behaviour="accept")
    sandbox.drop("UNB+UNOC:3+5412345000020:14+5412345000013:14+260303:1405+X1'UNH+1+ORDRSP'")
    submit(rt.db, po_id, rt.settings.edi)
    run(rt)
    assert po(rt.db, po_id).edi_accept_status == "Accepted"
    failed = [d for d in documents(rt.db) if d.status == DocumentStatus.FAILED]
    assert len(failed) == 1 and failed[0].raw.startswith("UNB+UNOC:3")
    assert failed[0].error
    with rt.db.reader() as s:
        assert len(s.exec(select(QuarantinedEntry)).all()) == 1


def test_an_unknown_po_reference_is_set_aside_then_reprocessed_after_the_fix(rt, hub):
    sandbox = hub[0]
    po_id = fresh_po(rt.db, number="PO-X")
    with rt.db.session() as s:
        s.get(PurchaseOrder, po_id).number = "PO-Y"  # the supplier answers a number posync lacks
    answer = replace(RESPONSE, order_number="PO-X")
    sandbox.drop(build(Interchange(BACK, (answer,))))
    run(rt)
    (failed,) = documents(rt.db)
    assert failed.status == DocumentStatus.FAILED and "Unknown PO reference" in failed.error
    with rt.db.session() as s:
        s.get(PurchaseOrder, po_id).number = "PO-X"  # the operator's fix
    asyncio.run(reprocess(rt.db, quarantine_of(rt.db, failed.id)))
    (done,) = documents(rt.db)
    assert done.status == DocumentStatus.REPROCESSED and done.po_id == po_id


def test_the_next_page_is_read_ahead_and_acknowledged_only_once_its_cursor_is_stored(
    rt, hub, monkeypatch
):
    sandbox = hub[0]
    monkeypatch.setattr(edi_sync, "PAGE_SIZE", 2)
    monkeypatch.setattr(edi_sync, "MAX_PAGES", 2)
    po_id = fresh_po(rt.db)
    sandbox.script(behaviour="accept", ship=3, invoice=True)
    submit(rt.db, po_id, rt.settings.edi)
    run(rt)  # two pages of the five interchanges; the third, read ahead, is left
    assert [d["acknowledged"] for d in sandbox.inbox()] == [True] * 4 + [False]
    assert len([d for d in documents(rt.db) if d.direction == "in"]) == 4
    run(rt)
    assert [d.status for d in documents(rt.db) if d.direction == "in"] == ["applied"] * 5
    assert all(d["acknowledged"] for d in sandbox.inbox())
