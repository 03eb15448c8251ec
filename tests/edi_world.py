"""An EDI supplier, two items with MPNs and a submitted PO of two lines, for the EDI tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal

from connectors.edifact.messages import Envelope, Interchange
from connectors.sandbox.edi_hub import EdiHubSandbox
from connectors.sandbox.server import Sandbox, SandboxServer
from posync_tui.config import Settings
from posync_tui.db import Database
from posync_tui.models import Item, PurchaseOrder, PurchaseOrderLine, Vendor
from posync_tui.runtime import Runtime

BUYER = "5412345000013"
SUPPLIER = "5412345000020"


Hub = tuple[EdiHubSandbox, Sandbox, SandboxServer]


@contextmanager
def served_hub() -> Iterator[Hub]:
    """The sandbox hub on a loopback port: the hub, the sandbox, the server."""
    sandbox = EdiHubSandbox()
    partners = Sandbox([sandbox])
    with partners.serve() as server:
        yield sandbox, partners, server


def hub_runtime(db: Database, hub: Hub, settings: Settings | None = None) -> Runtime:
    """A runtime whose EDI hub is the served sandbox."""
    _, partners, server = hub
    return Runtime(settings=settings or Settings(), db=db, sandbox=partners, sandbox_server=server)


def edi_po(db, *, drop_ship: bool = False, number: str = "PO-0000100") -> int:
    """PO ``number`` to the EDI supplier: line 1 ten KB-200 at 12.00, line 2 four MS-5 at 30.00."""
    with db.session() as s:
        vendor = Vendor(code="EURO", name="EuroTech", edi_enabled=True, gln=SUPPLIER)
        s.add(vendor)
        s.flush()
        kb = Item(sku="KB-200", description="Keyboard", mpn="KB-200+US", vendor_id=vendor.id)
        ms = Item(sku="MS-5", description="Mouse", mpn="MS-5", vendor_id=vendor.id)
        s.add_all([kb, ms])
        s.flush()
        po = PurchaseOrder(
            number=number,
            vendor_id=vendor.id,
            order_date=date(2026, 11, 2),
            drop_ship=drop_ship,
            total=Decimal("240"),
            line_count=2,
            edi_submit_status="Submitted",
        )
        s.add(po)
        s.flush()
        for n, item, qty, cost in ((1, kb, 10, "12.00"), (2, ms, 4, "30.00")):
            s.add(
                PurchaseOrderLine(
                    po_id=po.id,
                    line_no=n,
                    item_id=item.id,
                    description=item.description,
                    quantity_ordered=Decimal(qty),
                    unit_cost=Decimal(cost),
                    buyer_line_ref=str(n),
                )
            )
        return po.id


def interchange(*messages, control_ref: str = "1001") -> Interchange:
    envelope = Envelope(SUPPLIER, BUYER, control_ref, datetime(2026, 11, 3, 9, 0, tzinfo=UTC))
    return Interchange(envelope, tuple(messages))
