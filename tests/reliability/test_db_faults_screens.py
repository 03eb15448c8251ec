"""Database faults met by an operator's action in the console (issue 20): the action's service
fails on a locked database (another program holds SQLite's write lock past the busy timeout)
or a full disk. The operator is told in one plain line, where that screen says its other
failures; nothing of the action is kept (its transaction rolled back); the screen stays usable
and the same keys do the action once the fault is gone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel, select

from posync_tui.models import (
    Customer,
    DocumentStatus,
    EdiChargeType,
    EdiDocument,
    PurchaseOrder,
    SalesOrder,
    SalesOrderLine,
    Vendor,
    VendorBill,
)
from posync_tui.services.accounting_discrepancies import list_discrepancies
from tests.console import console_app, settled
from tests.reliability.faults_db import WriteLock, short_busy_timeout
from tests.test_accounting_screen import qbo, sandbox
from tests.test_vendor_screens import vendors
from tests.waiting import until

__all__ = ["qbo", "sandbox", "vendors"]  # fixtures of other modules' tests

BUSY = "the database is busy: another program holds its write lock"


def everything(db) -> dict[str, list[tuple]]:
    """Every row of every table: what an action that failed must have left as it was."""
    with db.engine.connect() as conn:
        return {
            table.name: sorted(map(tuple, conn.execute(sa.select(table))), key=repr)
            for table in SQLModel.metadata.sorted_tables
        }


@contextmanager
def locked(db, lock: WriteLock, what: str = "action") -> Iterator[None]:
    """SQLite's write lock held through the body; afterwards every table as it was before."""
    before = everything(db)
    lock.take()
    try:
        yield
    finally:
        lock.release()
    assert everything(db) == before, f"a part of the {what} was kept"


def said(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


def plainly(text: str, fault: str) -> bool:
    """The fault said in its plain words: no SQL, no exception name, no traceback."""
    return fault in text and "[SQL" not in text and "Error" not in text and "\n" not in text


@pytest.fixture
def lock(db):
    """Another program's write lock on ``db`` (held by the test when it says so)."""
    short_busy_timeout(db)
    held = WriteLock(db)
    yield held
    held.close()


# --- the PO detail: a special order, Save & Submit Electronically -----------------------------


def special_order_world(db):
    from tests.supplier_world import make_world

    world = next(make_world(db))
    po_id, _ = world.make_po(sent=False)
    with db.session() as s:
        customer = Customer(code="C1", name="Corner Store")
        s.add(customer)
        s.flush()
        order = SalesOrder(number="SO-9", customer_id=customer.id)
        s.add(order)
        s.flush()
        s.add(
            SalesOrderLine(
                sales_order_id=order.id,
                line_no=1,
                item_id=world.widget_id,
                quantity=Decimal(2),
                special_order=True,
            )
        )
    return world, po_id


async def assign_special_order(pilot, screen) -> None:
    """Enter on line 1's special-order cell, Enter on the offered special order."""
    from textual.widgets import DataTable

    from screens.po_actions import SpecialOrderPicker

    table = screen.query_one("#lines", DataTable)
    table.focus()
    table.cursor_coordinate = (0, table.get_column_index("special"))
    await pilot.press("enter")
    await until(lambda: isinstance(pilot.app.screen, SpecialOrderPicker), what="the picker")
    await pilot.press("enter")
    await settled(pilot)


def hint(screen) -> str:
    from textual.widgets import Static

    return str(screen.query_one("#hint", Static).render())


async def test_a_special_order_not_saved_on_a_locked_database_says_so_and_keeps_nothing(db, lock):
    world, po_id = special_order_world(db)
    rt = world.rt
    app = console_app(
        db, settings=rt.settings, sandbox=rt.sandbox, sandbox_server=rt.sandbox_server
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        app.open_purchase_order(po_id)
        await settled(pilot)
        screen = app.screen
        with locked(db, lock, "assignment"):
            await assign_special_order(pilot, screen)
            await until(lambda: "Not saved" in hint(screen), what="the fault said")
            assert hint(screen) == f"Not saved: {BUSY}" and plainly(hint(screen), BUSY)
            assert f"Not saved: {BUSY}" in said(app)

        assert app.screen is screen
        await assign_special_order(pilot, screen)  # the same keys, the lock gone
        await until(lambda: hint(screen).startswith("Saved"), what="saved")
    assert world.lines(po_id)[1].special_order_line_id is not None


async def test_save_and_submit_on_a_locked_database_queues_nothing_and_says_so(db, lock):
    from posync_tui.models import OutboxMessage
    from tests.edi_world import edi_po

    po_id = edi_po(db)
    with db.session() as s:
        s.get(PurchaseOrder, po_id).edi_submit_status = None
    db.installation_id()  # made before the lock, as any console start has it
    app = console_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        app.open_purchase_order(po_id)
        await settled(pilot)
        screen = app.screen
        with locked(db, lock, "submit"):
            await pilot.press("S")
            await until(lambda: "Not submitted" in hint(screen), what="the fault said")
            assert hint(screen) == f"Not submitted: {BUSY}"

        await pilot.press("S")
        await until(lambda: "Submitting" in hint(screen), what="submitted")
    with db.reader() as s:
        assert s.exec(select(OutboxMessage)).one().connector == "edi_hub"
        assert s.get(PurchaseOrder, po_id).edi_submit_status == "Submitting"


# --- EDI documents: release a held bill, re-process a set-aside interchange -------------------


async def open_edi_documents(pilot):
    await settled(pilot)
    await pilot.press("d")
    await settled(pilot)
    return pilot.app.screen.body


async def test_a_held_bill_released_on_a_locked_database_stays_held_and_says_so(db, lock):
    from connectors.edifact.messages import Charge
    from tests.edi_world import edi_po
    from tests.test_edi_apply import invoice, take

    po_id = edi_po(db)
    take(db, invoice(Charge("HD", Decimal("5"))))
    with db.session() as s:
        s.add(EdiChargeType(code="HD", name="Handling", expense_account="6200"))
    app = console_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        body = await open_edi_documents(pilot)
        assert body.table.cursor_row.data["type"] == "INVOIC"
        with locked(db, lock, "release"):
            await pilot.press("t")
            await until(lambda: any("Not released" in n for n in said(app)), what="the fault")
            assert f"Not released: {BUSY}" in said(app)

        await pilot.press("t")
        await until(lambda: "Bill INV-1 released" in said(app), what="released")
    with db.reader() as s:
        assert s.exec(select(VendorBill)).one().status == "open"
        assert s.get(PurchaseOrder, po_id).supplier_invoice_no == "INV-1"


async def test_an_interchange_re_processed_on_a_locked_database_stays_set_aside(db, lock):
    from connectors.edifact import OrderResponse, ResponseLine, build
    from connectors.sandbox.edi_hub import EdiHubSandbox
    from connectors.sandbox.server import Sandbox
    from posync_tui.config import Settings
    from posync_tui.runtime import Runtime
    from posync_tui.services.edi_partner import EDI
    from tests import records
    from tests.edi_world import BUYER, SUPPLIER, edi_po, interchange

    po_id = edi_po(db)
    with db.session() as s:
        s.get(PurchaseOrder, po_id).number = "PO-Y"  # the hub answers a number posync lacks
    from datetime import date

    answer = OrderResponse(
        "R1",
        "4",
        "PO-0000100",
        date(2026, 11, 3),
        BUYER,
        SUPPLIER,
        (ResponseLine(1, "3", buyer_line=1, quantity=Decimal(8)),),
        message_ref="M1",
    )
    hub = EdiHubSandbox()
    partners = Sandbox([hub])
    with partners.serve() as server:
        hub.drop(build(interchange(answer, control_ref="S1")))
        rt = Runtime(Settings(), db, sandbox=partners, sandbox_server=server)
        await EDI.jobs[0].run(rt, records.fence(db, "edi_hub"))
    with db.session() as s:
        s.get(PurchaseOrder, po_id).number = "PO-0000100"  # the operator's fix

    app = console_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        body = await open_edi_documents(pilot)
        assert body.table.cursor_row.data["status"] == "failed"
        with locked(db, lock, "re-processing"):
            await pilot.press("t")
            await until(lambda: any("Not re-processed" in n for n in said(app)), what="the fault")
            assert f"Not re-processed: {BUSY}" in said(app)

        await pilot.press("t")
        await until(lambda: "Interchange" in said(app)[-1], what="re-processed")
    with db.reader() as s:
        document = s.exec(select(EdiDocument).where(EdiDocument.direction == "in")).one()
    assert document.status == DocumentStatus.REPROCESSED and document.po_id == po_id


# --- Accounting › Discrepancies: accept, re-sync ------------------------------------------------


@pytest.fixture
def discrepancies(db, qbo, sandbox):
    """PO-1 and PO-2 uploaded as bills, each then changed in QuickBooks."""
    from posync_tui.services import accounting
    from posync_tui.services.accounting import UploadKind
    from tests import records
    from tests.test_accounting_books import run_read_back
    from tests.test_accounting_screen import add_po, add_vendor, runtime_of

    vendor = add_vendor(db, sandbox)
    first, second = add_po(db, vendor, "PO-1", "INV-1"), add_po(db, vendor, "PO-2", "INV-2")
    accounting.enqueue_upload(db, UploadKind.BILL, [first, second])
    rt = runtime_of(db, qbo)

    async def made() -> None:
        await accounting.deliver(rt, fence=records.fence(db))
        bills = {b["DocNumber"]: b for b in sandbox.bills()}
        sandbox.edit("Bill", bills["INV-1/PO-1"]["Id"], DocNumber="INV-1 checked")
        sandbox.edit("Bill", bills["INV-2/PO-2"]["Id"], TotalAmt=1)
        await run_read_back(rt)

    return made


@pytest.mark.parametrize(("key", "words"), [("a", "accepted"), ("s", "re-synced")])
async def test_a_discrepancy_acted_on_while_the_database_is_locked_stays_and_says_so(
    key, words, db, qbo, discrepancies, lock
):
    from screens.confirm import Confirm
    from tests.test_accounting_screen import app_for, open_accounting

    await discrepancies()
    app = app_for(db, qbo, jobs=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_accounting(pilot, "discrepancies")
        fault = f"PO PO-1 was not {words}: {BUSY}"
        with locked(db, lock, f"{key} action"):
            await pilot.press(key)
            await until(lambda: isinstance(app.screen, Confirm), what="the question")
            await pilot.press("y")
            await until(lambda: fault in said(app), what="the fault said")
            assert plainly(fault, BUSY)

        await pilot.press(key)  # the screen answers the same keys once the lock is gone
        await until(lambda: isinstance(app.screen, Confirm), what="the question again")
        await pilot.press("y")
        await until(lambda: len(said(app)) > 1 and "PO PO-1" in said(app)[-1], what="done")
        assert "not" not in said(app)[-1]
    assert "PO-1" not in [d.number for d in list_discrepancies(db)]


async def test_a_new_po_saved_then_not_submitted_for_a_locked_database_says_saved_not_sent(
    db, lock
):
    """The lock is taken right after the PO's own transaction: the PO is saved, its submit
    rolled back. The operator is told just that (never "Not saved", which would have them
    save a second PO), and submits it from its detail once the lock is gone."""
    from posync_tui.models import OutboxMessage
    from screens.po_detail import PurchaseOrderDetail
    from screens.po_form import PurchaseOrderForm
    from tests.edi_world import edi_po
    from tests.reliability.faults_db import AfterCommits
    from tests.test_edi_console import new_po_form

    edi_po(db)
    db.installation_id()
    app = console_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await new_po_form(pilot)
        saved = AfterCommits(db, 1, lock.take)
        await pilot.press("ctrl+e")
        fault = f"Saved, not submitted: {BUSY}"
        await until(lambda: fault in said(app), what="the fault said")
        saved.remove()
        await until(lambda: not isinstance(app.screen, PurchaseOrderForm), what="the form closed")
        with db.reader() as s:
            po = s.exec(select(PurchaseOrder).order_by(PurchaseOrder.id.desc())).first()
            assert s.exec(select(OutboxMessage)).all() == []
        assert po.number != "PO-0000100" and po.edi_submit_status is None
        lock.release()

        screen = app.screen
        assert isinstance(screen, PurchaseOrderDetail) and screen.po_id == po.id
        await settled(pilot)
        await pilot.press("S")
        await until(lambda: "Submitting" in hint(screen), what="submitted")
    with db.reader() as s:
        assert s.exec(select(OutboxMessage)).one().record_id == po.id


# --- the audit's other actions: notifications reviewed, a PO exported to Prophet 21 ----------


async def test_notifications_reviewed_on_a_locked_database_stay_unreviewed_and_it_says_so(db, lock):
    from posync_tui.models import SyncNotification, Vendor

    with db.session() as s:
        vendor = Vendor(code="ATLAS", name="Atlas")
        s.add(vendor)
        s.flush()
        s.add(SyncNotification(kind="sync_error", vendor_id=vendor.id, message="order SO-9 bad"))
    app = console_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await pilot.press("n")
        await settled(pilot)
        app.screen.body.focus_table()
        with locked(db, lock):
            await pilot.press("r")  # the cursor row reviewed
            await until(lambda: f"Not reviewed: {BUSY}" in said(app), what="the fault said")

        await pilot.press("r")
        await until(lambda: _all_reviewed(db), what="reviewed")


def _all_reviewed(db) -> bool:
    from posync_tui.models import SyncNotification

    with db.reader() as s:
        return all(n.reviewed for n in s.exec(select(SyncNotification)))


async def test_a_po_exported_to_p21_on_a_locked_database_queues_nothing_and_says_so(db, lock):
    from connectors.sandbox.p21 import P21Sandbox
    from connectors.sandbox.server import Sandbox
    from tests.p21_world import P21World

    p21 = P21Sandbox()
    with Sandbox([p21]).serve() as server:
        world = P21World(db, p21, server)
        world.link_backorders()
        po = world.po("PO-A", ("BOLT-8", 6))
        app = console_app(db, settings=world.rt.settings)
        async with app.run_test(size=(80, 24)) as pilot:
            await settled(pilot)
            app.open_purchase_order(po)
            await settled(pilot)
            screen = app.screen
            with locked(db, lock):
                await pilot.press("X")
                await until(lambda: "Not exported" in hint(screen), what="the fault said")
                assert hint(screen) == f"Not exported: {BUSY}"

            await pilot.press("X")
            await until(lambda: "Queued for export" in hint(screen), what="queued")


# --- the Edit Vendor form: its fields and its EDI fields, all or nothing --------------------


async def test_the_edit_vendor_form_on_a_locked_database_saves_all_of_it_or_nothing(
    db, vendors, lock
):
    from textual.widgets import Input

    from screens.form import FieldError
    from screens.vendor_form import VendorForm
    from tests.reliability.faults_db import AfterCommits
    from tests.test_vendor_screens import open_form, retype, vendor

    app = console_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, "PEAK")
        await retype(pilot, form, "ACC-7777")
        form.query_one("#gln", Input).value = "5412345000020"
        await pilot.pause()
        with locked(db, lock):  # before the save: nothing of it can be written
            await pilot.press("ctrl+s")
            error = form.query_one("#form-error", FieldError)
            await until(lambda: error.display, what="the fault said")
            assert error.message == f"Not saved: {BUSY}" and app.screen is form

        # The lock taken again right after the save's first commit: the whole form was in it.
        struck = AfterCommits(db, 1, lock.take)
        await pilot.press("ctrl+s")
        await until(lambda: not isinstance(app.screen, VendorForm), what="saved")
        struck.remove()
        lock.release()
    saved = vendor(db, vendors["PEAK"])
    assert (saved.supplier_account, saved.gln) == ("ACC-7777", "5412345000020")


async def test_a_vendor_saved_before_its_edi_fields_were_read_keeps_them(db, vendors):
    """The EDI fields' read is slow (or failed: said at the form): a save meanwhile keeps the
    vendor's EDI fields as they are, never saves the form's blank ones over them."""
    import threading

    from sqlalchemy import event
    from textual.worker import NoActiveWorker, get_current_worker

    from screens.vendor_form import VendorForm
    from tests.test_vendor_screens import retype, vendor

    with db.session() as s:
        peak = s.get_one(Vendor, vendors["PEAK"])
        peak.edi_enabled, peak.gln = True, "5412345000020"
    gate = threading.Event()

    def slow_edi_read(*_args) -> None:
        try:
            group = get_current_worker().group
        except NoActiveWorker:
            return
        if group == "vendor-form-edi":
            gate.wait(30)

    event.listen(db._sessions, "after_begin", slow_edi_read)
    app = console_app(db)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("v")
            await settled(pilot)
            app.screen.body.focus_table()
            await pilot.press("slash", *"PEAK", "enter")
            await settled(pilot)
            await pilot.press("enter")
            await until(lambda: isinstance(app.screen, VendorForm), what="the form")
            form = app.screen
            await retype(pilot, form, "ACC-7777")
            await pilot.press("ctrl+s")
            await until(lambda: not isinstance(app.screen, VendorForm), what="saved")
            gate.set()
            await settled(pilot)
    finally:
        gate.set()
        event.remove(db._sessions, "after_begin", slow_edi_read)
    saved = vendor(db, vendors["PEAK"])
    assert saved.supplier_account == "ACC-7777"
    assert (saved.edi_enabled, saved.gln) == (True, "5412345000020")
