"""The crash test's world: posync's database seeded through the real services with a mix of
outbound messages, and the tally of what the partners hold against what posync says.

Kinds (``KINDS``), about one fifth of the messages each: QuickBooks bills and purchase orders
(the accounting upload queues), EDI ORDERS (Save & Submit Electronically), Ovotrack order
lines (a batch's Send) and P21 exports. Every message travels through the one outbox.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import select

from connectors.edifact import parse
from connectors.quickbooks.records import ListEntry
from posync_tui.config import load_settings
from posync_tui.db import Database
from posync_tui.models import (
    AccountingStatus,
    Customer,
    CustomerLocation,
    Division,
    Item,
    MappingKind,
    OutboxMessage,
    OutboxStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    SalesOrder,
    SalesOrderLine,
    Vendor,
    WarehouseBatchLine,
    utcnow,
)
from posync_tui.models.warehouse import LineStage
from posync_tui.runtime import Runtime
from posync_tui.services import accounting, edi_submit, p21_export, warehouse_master
from posync_tui.services.accounting_mappings import choose
from posync_tui.services.warehouse_batches import import_batch
from posync_tui.services.warehouse_send import enqueue_send
from tests.reliability.partners import Partners

KINDS = ("bill", "qbo_po", "edi", "warehouse", "p21")
SUPPLIER_GLN = "5412345000020"  # the EDI vendor's


def environment(partners: Partners, database_url: str, data_dir: str, config: str) -> dict:
    """The ``POSYNC_*`` variables of a posync configured for the partners' process."""
    url, hello = partners.url, partners.hello
    env = {
        "POSYNC_DATABASE_URL": database_url,
        "POSYNC_DATA_DIR": data_dir,
        "POSYNC_CONFIG": config,  # none: only these variables configure it
        "POSYNC_QUICKBOOKS__BASE_URL": f"{url}/quickbooks",
        "POSYNC_QUICKBOOKS__TOKEN_URL": f"{url}/quickbooks/oauth2/v1/tokens/bearer",
        "POSYNC_QUICKBOOKS__CLIENT_ID": hello["client_id"],
        "POSYNC_QUICKBOOKS__CLIENT_SECRET": hello["client_secret"],
        "POSYNC_QUICKBOOKS__REALM_ID": hello["realm_id"],
        "POSYNC_QUICKBOOKS__REFRESH_TOKEN": hello["refresh_token"],
        "POSYNC_QUICKBOOKS__UPLOAD_POS_AS_PURCHASE_ORDERS": "true",
        "POSYNC_WAREHOUSE__BASE_URL": f"{url}/warehouse",
        "POSYNC_EDI__BASE_URL": f"{url}/edi_hub",
        "POSYNC_P21__BASE_URL": f"{url}/p21",
    }
    for section in ("QUICKBOOKS", "WAREHOUSE", "EDI", "P21"):
        # A tick every 2 s: the lease lasts 2.5 s, so a killed leader's successor comes soon.
        env[f"POSYNC_{section}__POLL_INTERVAL"] = "2"
        env[f"POSYNC_{section}__TIMEOUT"] = "10"
    return env


def sign_in(db: Database) -> None:
    """Make QuickBooks' first token refresh now, in this process, as an operator connects the
    company before any worker runs: a kill in the middle of a refresh (losing the only valid
    refresh token) is the security proof's, not this one's. Reads the ``POSYNC_*`` variables."""
    from posync_tui.services.accounting_connection import qbo_client

    async def query() -> None:
        async with qbo_client(Runtime(settings=load_settings(), db=db)) as client:
            await client.query_all("Vendor")

    asyncio.run(query())


def seed(db: Database, partners: Partners, messages: int, *, queue_uploads: bool = True) -> int:
    """About ``messages`` outbound messages, a fifth of each kind (how many: returned); the
    QuickBooks uploads are queued now or (``queue_uploads=False``) left to Upload All."""
    each = max(1, messages // len(KINDS))
    with db.session() as s:
        qbo_vendors = [
            Vendor(code=f"QBO{n}", name=f"QuickBooks vendor {n}", qbo_vendor_id=qbo_id)
            for n, qbo_id in enumerate(
                v["Id"] for v in partners.call("quickbooks", "vendors") if v.get("Active", True)
            )
        ]
        s.add_all(qbo_vendors)
        s.flush()
        for n in range(2 * each):
            bill = n < each
            _po(
                s,
                f"QB-{n + 1:05d}",
                qbo_vendors[n % len(qbo_vendors)].id,
                invoice=f"INV-{n + 1:05d}" if bill else None,
            )
    # Bill lines without a QuickBooks item book to an expense account (the sandbox company's).
    choose(db, MappingKind.EXPENSE_ACCOUNT, ListEntry("80", "Cost of Goods Sold", "COGS"))
    if queue_uploads:
        upload_all(db)
    _seed_edi(db, each)
    _seed_warehouse(db, partners, each)
    _seed_p21(db, partners, each)
    return each * len(KINDS)


def upload_all(db: Database) -> None:
    settings = load_settings(quickbooks={"upload_pos_as_purchase_orders": True})
    for tab, kind in (
        (accounting.QueueTab.SUPPLIER_INVOICES, "bill"),
        (accounting.QueueTab.PURCHASE_ORDERS, "purchase_order"),
    ):
        ids = accounting.queue_ids(db, tab)
        queued = accounting.enqueue_upload(db, kind, ids, settings=settings)
        assert ids and not queued.skipped, (queued.summary(), list(queued.skipped.items())[:3])


def _po(s, number: str, vendor_id: int | None, *, invoice: str | None = None, lines=()) -> int:
    po = PurchaseOrder(
        number=number,
        vendor_id=vendor_id,
        order_date=date(2026, 11, 2),
        supplier_invoice_no=invoice,
        invoice_date=date(2026, 11, 3) if invoice else None,
        accounting_status=AccountingStatus.NOT_IMPORTED,
        total=Decimal("7.00"),
        line_count=max(1, len(lines)),
    )
    s.add(po)
    s.flush()
    for n, (item_id, quantity) in enumerate(lines or [(None, 2)], 1):
        s.add(
            PurchaseOrderLine(
                po_id=po.id,
                line_no=n,
                item_id=item_id,
                description="Hex bolts",
                quantity_ordered=Decimal(quantity),
                unit_cost=Decimal("3.50"),
            )
        )
    return po.id


def _seed_edi(db: Database, count: int) -> None:
    with db.session() as s:
        vendor = Vendor(code="EURO", name="EuroTech", edi_enabled=True, gln=SUPPLIER_GLN)
        s.add(vendor)
        s.flush()
        item = Item(sku="KB-200", description="Keyboard", mpn="KB-200", vendor_id=vendor.id)
        s.add(item)
        s.flush()
        ids = [_po(s, f"EDI-{n + 1:05d}", vendor.id, lines=[(item.id, 3)]) for n in range(count)]
    settings = load_settings().edi
    for po_id in ids:
        edi_submit.submit(db, po_id, settings)


def _seed_warehouse(db: Database, partners: Partners, count: int) -> None:
    since = utcnow() - timedelta(seconds=1)
    with db.session() as s:
        division = Division(code="MAIN", name="Main", warehouse_interface=True)
        customer = Customer(code="C1", name="Greenfield Grocers")
        s.add_all([division, customer])
        s.flush()
        ship = CustomerLocation(
            customer_id=customer.id, code="SHIP", name="Dock", warehouse_interface=True
        )
        item = Item(sku="EGG-L", description="Eggs large")
        s.add_all([ship, item])
        s.flush()
        for n in range(0, count, 5):  # orders of five lines
            order = SalesOrder(
                number=f"SO-{n // 5 + 1:05d}",
                customer_id=customer.id,
                ship_to_id=ship.id,
                division_id=division.id,
            )
            s.add(order)
            s.flush()
            for line_no in range(1, min(5, count - n) + 1):
                s.add(
                    SalesOrderLine(
                        sales_order_id=order.id,
                        line_no=line_no,
                        item_id=item.id,
                        quantity=Decimal(line_no),
                        warehouse_interface_status="Send",
                        updated_at=utcnow(),
                    )
                )
    settings = load_settings(warehouse={"base_url": f"{partners.url}/warehouse"})
    asyncio.run(warehouse_master.send_master_data(Runtime(settings=settings, db=db)))
    batch_id = import_batch(db, since).batch_id
    assert batch_id is not None
    queued = enqueue_send(db, batch_id)
    assert queued.queued == count, queued


def _seed_p21(db: Database, partners: Partners, count: int) -> None:
    with db.session() as s:
        vendor = Vendor(code="ACME", name="Acme Supply")
        s.add(vendor)
        s.flush()
        item = Item(sku="BOLT-8", description="Bolt", vendor_id=vendor.id, unit_cost=Decimal(1))
        s.add(item)
        s.flush()
        ids = [_po(s, f"P21-{n + 1:05d}", vendor.id, lines=[(item.id, 4)]) for n in range(count)]
    partners.call("p21", "add_item", "BOLT-8", "Bolt")
    for po_id in ids:
        p21_export.export_po(db, po_id)


# --- the tally ---------------------------------------------------------------------------------


@dataclass
class Tally:
    """What the partners hold against posync: each message held once, its state the partner's."""

    messages: int = 0
    lost: list[str] = field(default_factory=list)  # posync's message, held by no partner
    duplicated: list[str] = field(default_factory=list)  # held more than once
    stuck: list[str] = field(default_factory=list)  # not settled as sent, or in between

    def line(self) -> str:
        return f"lost={len(self.lost)} duplicated={len(self.duplicated)} stuck={len(self.stuck)}"

    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.stuck)

    def details(self, most: int = 10) -> str:
        parts = (("lost", self.lost), ("duplicated", self.duplicated), ("stuck", self.stuck))
        return "; ".join(f"{name}: {found[:most]}" for name, found in parts if found)


def tally(db: Database, partners: Partners) -> Tally:
    """Every outbox message against what its partner holds, and every record's state."""
    with db.reader() as s:
        rows = s.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        pos = {po.id: po for po in s.exec(select(PurchaseOrder))}
        lines = {line.id: line for line in s.exec(select(WarehouseBatchLine))}
        # Ovotrack knows a batch line as its customer order's number and line number.
        refs = {
            line_id: f"{number}/{line_no}"
            for line_id, number, line_no in s.exec(
                select(WarehouseBatchLine.id, SalesOrder.number, SalesOrderLine.line_no)
                .join(SalesOrderLine, SalesOrderLine.id == WarehouseBatchLine.sales_order_line_id)
                .join(SalesOrder, SalesOrder.id == SalesOrderLine.sales_order_id)
            )
        }
    held = _holdings(partners)
    found = Tally(messages=len(rows))
    for row in rows:
        name = f"{row.connector}#{row.id}"
        identity = _identity(row, pos, refs)
        copies = held.get(identity)
        if not copies:
            found.lost.append(f"{name} {identity}")
        elif len(copies) > 1:
            found.duplicated.append(f"{name} {identity} ×{len(copies)}")
        if row.status != OutboxStatus.SENT:
            found.stuck.append(f"{name} {identity} {row.status}: {row.last_error}")
        elif copies and row.partner_id not in copies:
            found.stuck.append(f"{name} {identity}: posync says {row.partner_id}, not {copies}")
    for po in pos.values():
        if po.edi_submit_status == "Submitting":
            found.stuck.append(f"PO {po.number} Submitting")
        if po.supplier_invoice_no and po.accounting_status != AccountingStatus.IMPORTED:
            found.stuck.append(f"PO {po.number} {po.accounting_status}")
    for line in lines.values():
        if line.stage != LineStage.SENT:
            found.stuck.append(f"batch line {line.id} {line.stage}")
    # What a partner holds that posync never sent (or sent under another identity) is a copy too.
    expected = {_identity(row, pos, refs) for row in rows}
    found.duplicated += [f"{key} unknown to posync" for key in held if key not in expected]
    return found


def _identity(row: OutboxMessage, pos: dict, refs: dict) -> tuple[str, str]:
    """What names the message's record at its partner."""
    if row.connector == "warehouse":
        return ("warehouse", refs[row.record_id])
    number = pos[row.record_id].number
    if row.connector == "quickbooks":
        return (row.kind, number)
    return (row.connector, number)


def _holdings(partners: Partners) -> dict[tuple[str, str], list[str]]:
    """Each record a partner holds, by identity: the partner's ids of its copies."""
    held: dict[tuple[str, str], list[str]] = {}

    def add(key: tuple[str, str], partner_id: str) -> None:
        held.setdefault(key, []).append(partner_id)

    for kind, method in (("bill", "bills"), ("purchase_order", "purchase_orders")):
        for record in partners.call("quickbooks", method):
            # "posync PO-1; reference …; key …": the PO posync made it from
            note = record.get("PrivateNote", "")
            add((kind, note.split(";")[0].removeprefix("posync ")), record["Id"])
    for line in partners.call("warehouse", "lines"):
        add(("warehouse", f"{line['order_no']}/{line['line_no']}"), line["id"])
    for receipt in partners.call("edi_hub", "received"):
        for message in parse(receipt["text"]).messages:
            add(("edi_hub", message.number), receipt["id"])
    for po in partners.call("p21", "purchase_orders"):
        add(("p21", po["po_no"]), po["po_no"])
    return held
