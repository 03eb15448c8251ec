"""The flows the database-fault tests drive, each against its simulated partner over HTTP.

A flow is an async context manager taking a migrated ``Database``: it sets up the world (records in
posync, the partner), and yields ``(operate, check)``. ``operate()`` is what the scheduler's job
or the operator's key does (run again after a failure, it does what is left); ``check()``
asserts the flow's end state: posync's records and the partner's, each effect exactly once.
Each flow's sandbox server is stopped when its block ends, however it ends (a ``with``).
"""

from __future__ import annotations

from contextlib import asynccontextmanager, closing
from decimal import Decimal

from sqlmodel import select

from posync_tui.models import (
    AccountingStatus,
    AuditEntry,
    DocumentStatus,
    EdiDocument,
    LineStage,
    OutboxMessage,
    OutboxStatus,
    PurchaseOrder,
    Shipment,
    VendorBill,
)


def _outbox(db) -> list[OutboxMessage]:
    with db.reader() as s:
        return list(s.exec(select(OutboxMessage)))


def _settled(db) -> None:
    """Nothing left in an in-between state: every message sent."""
    assert {m.status for m in _outbox(db)} == {OutboxStatus.SENT}


@asynccontextmanager
async def supplier_feed(db):
    """Supplier auto-sync: a poll applies the supplier's changes to a PO, with its audit."""
    from posync_tui.services.supplier_sync import poll
    from tests.supplier_world import lease, make_world

    # closing() ends the generator, and so its sandbox server, however the flow ends.
    with closing(make_world(db)) as worlds:
        world = next(worlds)
        po_id, order_no = world.make_po()
        world.supplier.change_line(order_no, 1, quantity_confirmed=10, unit_cost="4.10")
        world.supplier.change_line(order_no, 2, quantity_confirmed=4, expected_date="2026-12-01")
        world.supplier.change_order(order_no, expected_date="2026-12-03")

        async def operate():
            return await poll(world.rt, fence=lease(db), attempts=1)

        def check():
            lines = world.lines(po_id)
            assert (lines[1].quantity_confirmed, lines[1].unit_cost) == (10, Decimal("4.10"))
            assert lines[2].quantity_confirmed == 4
            with db.reader() as s:
                audits = [(a.field, a.new_value) for a in s.exec(select(AuditEntry))]
            assert sorted(audits) == sorted(set(audits)), "an audit entry written twice"
            assert ("quantity_confirmed", "4") in audits

        yield operate, check


@asynccontextmanager
async def warehouse_cycle(db):
    """Ovotrack: send a batch, receive what was shipped, commit it to the customer order."""
    from posync_tui.services.warehouse_batches import import_batch, stage_counts
    from posync_tui.services.warehouse_commit import commit_batch
    from posync_tui.services.warehouse_receive import receive_updates
    from posync_tui.services.warehouse_send import send_batch
    from tests.warehouse_world import a_day_ago, fence, open_world

    with open_world(db) as world:
        line_ids = world.order([(world.large, 6), (world.medium, 12)])
        await world.send_master_data()
        batch = import_batch(db, a_day_ago()).batch_id

        async def operate():
            await send_batch(world.rt, batch, fence=fence(db))
            if world.ovotrack.line_count():
                world.ovotrack.ship("SO-1", 2, 10)  # Ovotrack ships 10 of the 12 ordered
            await receive_updates(world.rt, batch)
            if stage_counts(db, batch)[LineStage.RECEIVED]:
                commit_batch(db, batch)

        def check():
            assert world.ovotrack.line_count() == 2
            assert stage_counts(db, batch)[LineStage.COMMITTED] == 2
            assert world.line(line_ids[1]).quantity == Decimal(10)
            assert world.line(line_ids[1]).warehouse_interface_status == "Committed"
            _settled(db)

        yield operate, check


@asynccontextmanager
async def p21_export(db):
    """Prophet 21: a PO exported with its backorder links (``oe_line_po``)."""
    from connectors.sandbox.p21 import P21Sandbox
    from connectors.sandbox.server import Sandbox
    from posync_tui.services import p21_export as export
    from tests.p21_world import P21World

    p21 = P21Sandbox()
    with Sandbox([p21]).serve() as server:
        world = P21World(db, p21, server)
        world.link_backorders()
        po = world.po("PO-A", ("BOLT-8", 6))
        export.export_po(db, po)

        async def operate():
            return await world.deliver(attempts=1)

        def check():
            expected = [("SO-1", 1, 1, Decimal(4)), ("SO-2", 1, 1, Decimal(2))]
            assert world.in_p21("PO-A") == expected
            assert len(p21.oe_line_po("PO-A")) == 2  # no row written twice
            assert world.links(po) == expected
            _settled(db)

        yield operate, check


@asynccontextmanager
async def quickbooks_upload(db):
    """QuickBooks Online: three POs uploaded as bills; their accounting status follows."""
    from connectors.sandbox.quickbooks import Limits, QuickBooksSandbox
    from connectors.sandbox.server import Sandbox
    from posync_tui.config import QuickBooksSettings, Settings
    from posync_tui.runtime import Runtime
    from posync_tui.services import accounting
    from tests import records
    from tests.test_accounting import add_po, add_vendor

    sandbox = QuickBooksSandbox(limits=Limits().scaled(0.05))
    partners = Sandbox([sandbox])
    with partners.serve() as server:
        settings = Settings(quickbooks=QuickBooksSettings(timeout=2))
        rt = Runtime(settings=settings, db=db, sandbox=partners, sandbox_server=server)
        vendor = add_vendor(db, sandbox)
        ids = [add_po(db, vendor, f"PO-{n}", invoice_no=f"INV-{n}") for n in range(3)]
        accounting.enqueue_upload(db, accounting.UploadKind.BILL, ids)

        async def operate():
            return await accounting.deliver(rt, fence=records.fence(db))

        def check():
            made = [b["DocNumber"] for b in sandbox.bills()]
            assert len(made) == len(set(made)) == 3, made  # each bill once
            with db.reader() as s:
                statuses = {p.accounting_status for p in s.exec(select(PurchaseOrder))}
            assert statuses == {AccountingStatus.IMPORTED}
            _settled(db)

        yield operate, check


@asynccontextmanager
async def edi_inbound(db):
    """The EDI hub: a PO's ORDERS sent, then its answer, two despatches and an invoice applied."""
    from connectors.sandbox.edi_hub import EdiHubSandbox
    from connectors.sandbox.server import Sandbox
    from posync_tui.config import Settings
    from posync_tui.runtime import Runtime
    from posync_tui.services.edi_partner import EDI
    from posync_tui.services.edi_submit import submit
    from tests import records
    from tests.edi_world import edi_po

    hub = EdiHubSandbox()
    partners = Sandbox([hub])
    with partners.serve() as server:
        rt = Runtime(settings=Settings(), db=db, sandbox=partners, sandbox_server=server)
        po_id = edi_po(db)
        with db.session() as s:
            s.get(PurchaseOrder, po_id).edi_submit_status = None
        hub.script(behaviour="change", quantity=8, ship=2, invoice=True)
        submit(db, po_id, rt.settings.edi)

        async def operate():
            return await EDI.jobs[0].run(rt, records.fence(db, "edi_hub"))

        def check():
            with db.reader() as s:
                po = s.get(PurchaseOrder, po_id)
                documents = list(s.exec(select(EdiDocument)))
                shipments = s.exec(select(Shipment)).all()
                bills = s.exec(select(VendorBill)).all()
            assert po.edi_accept_status == "Changed and Accepted"
            assert len(hub.received()) == 1  # one ORDERS at the hub
            kinds = sorted((d.direction, d.message_type) for d in documents)
            assert kinds == sorted(
                [("out", "ORDERS"), ("in", "ORDRSP"), ("in", "DESADV"), ("in", "DESADV")]
                + [("in", "INVOIC")]
            )
            assert {d.status for d in documents if d.direction == "in"} == {DocumentStatus.APPLIED}
            assert (len(shipments), len(bills)) == (2, 1)
            assert all(d["acknowledged"] for d in hub.inbox())
            _settled(db)

        yield operate, check


FLOWS = {
    "supplier feed": supplier_feed,
    "warehouse send-receive-commit": warehouse_cycle,
    "P21 export": p21_export,
    "QuickBooks upload": quickbooks_upload,
    "EDI inbound": edi_inbound,
}
