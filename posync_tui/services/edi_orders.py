"""A PO as an ORDERS interchange: GLNs in NAD, MPNs in PIA, quantities, prices, requested
dates, the partial-shipment instruction and the special bid or deal reference."""

from __future__ import annotations

from connectors.edifact import Envelope, Order, OrderLine, build_orders
from posync_tui.config import EdiSettings
from posync_tui.models import Item, PurchaseOrder, PurchaseOrderLine, Vendor, utcnow

SPECIAL = {"Special Bid": "special_bid", "Special Deal": "special_deal"}


def orders_interchange(
    po: PurchaseOrder,
    vendor: Vendor,
    lines: list[PurchaseOrderLine],
    items: dict[int, Item],
    settings: EdiSettings,
    control_ref: str,
) -> str:
    """The interchange's text; ValueError when the PO cannot be written (e.g. a character the
    character set cannot carry)."""
    assert vendor.gln  # validated before
    order_lines = []
    for line in lines:
        item = items[line.item_id] if line.item_id is not None else None
        assert item is not None and item.mpn  # validated before
        order_lines.append(
            OrderLine(
                line_no=line.line_no,
                mpn=item.mpn,
                quantity=line.quantity_ordered,
                price=line.unit_cost,
                requested_date=line.expected_date or po.expected_date,
                description=line.description,
                supplier_item=line.supplier_part_no or item.supplier_part_no,
            )
        )
    order = Order(
        number=po.number,
        issued=po.order_date or utcnow().date(),
        buyer=settings.our_gln,
        supplier=vendor.gln,
        lines=tuple(order_lines),
        currency=po.currency,
        requested_date=po.expected_date,
        partial_shipments=po.allow_partial_shipments,
        special_order_type=SPECIAL.get(po.special_order_type or ""),  # type: ignore[arg-type]
        special_reference=po.special_bid_reference or None,
    )
    envelope = Envelope(settings.our_gln, vendor.gln, control_ref, utcnow())
    return build_orders(order, envelope)
