"""Small records for tests: a PO with one line, as the accounting tests need it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from posync_tui.models import PurchaseOrder, PurchaseOrderLine


def add_po(
    db, vendor_id: int, number: str = "PO-0000001", *, order_date=date(2026, 11, 2), **fields
) -> int:
    """A PO of ten hex bolts at 12.00 (total 120.00); ``fields`` set any other PO field."""
    with db.session() as s:
        po = PurchaseOrder(
            number=number,
            vendor_id=vendor_id,
            order_date=order_date,
            total=Decimal("120.00"),
            line_count=1,
            **fields,
        )
        s.add(po)
        s.flush()
        s.add(
            PurchaseOrderLine(
                po_id=po.id,
                line_no=1,
                description="Hex bolts M8",
                quantity_ordered=Decimal(10),
                unit_cost=Decimal("12.00"),
            )
        )
        return po.id
