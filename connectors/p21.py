"""Prophet 21 (P21) client: export a PO, write and read its backorder links, read backorders.

P21 has no public API for this; posync's contract (docs/p21.md) is small JSON over HTTP that a
real adapter (P21's middleware, or a service on its database) implements. Links are rows of
P21's ``oe_line_po`` table: a sales-order line (order_number, line_number) covered by a PO line
(po_no, po_line_number) for ``quantity_on_po``.

- ``PUT /purchase-orders/{po_no}``: the PO, header and lines (made or replaced whole); 422
  ``unknown item`` names an item P21 does not know.
- ``PUT /purchase-orders/{po_no}/links``: the PO's whole link set, applied in ONE transaction
  (links not in the set are released, quantities adjusted, new ones added): all land or none;
  422 ``closed sales order`` names an order that can no longer be linked.
- ``GET /purchase-orders/{po_no}`` and ``GET /purchase-orders/{po_no}/links``: what P21 holds
  (404: no such PO), to learn whether an export whose answer was lost arrived.
- ``GET /backorders?item_id=``: open sales-order lines on backorder, oldest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter

from connectors.base import ConnectorError, PartnerClient, Rejected, path
from connectors.bodies import Reply
from connectors.validation import Amount, Day, OptionalText, Text, Whole, validate

PARTNER = "Prophet 21"


@dataclass(frozen=True)
class P21Line:
    line_number: Whole
    item_id: Text
    quantity: Amount
    unit_cost: Amount
    cancelled: bool = False


@dataclass(frozen=True)
class P21PurchaseOrder:
    po_no: Text
    vendor_id: Text
    order_date: Day | None
    lines: list[P21Line]

    def as_json(self) -> dict[str, Any]:
        return {
            "po_no": self.po_no,
            "vendor_id": self.vendor_id,
            "order_date": self.order_date.isoformat() if self.order_date else None,
            "lines": [
                {
                    "line_number": ln.line_number,
                    "item_id": ln.item_id,
                    "quantity": str(ln.quantity),
                    "unit_cost": str(ln.unit_cost),
                    "cancelled": ln.cancelled,
                }
                for ln in self.lines
            ],
        }


@dataclass(frozen=True)
class LinkRequest:
    """One wanted row of ``oe_line_po`` for a PO."""

    order_number: str
    line_number: int
    po_line_number: int
    quantity_on_po: Decimal

    def as_json(self) -> dict[str, Any]:
        return {
            "order_number": self.order_number,
            "line_number": self.line_number,
            "po_line_number": self.po_line_number,
            "quantity_on_po": str(self.quantity_on_po),
        }


@dataclass(frozen=True)
class OeLinePo:
    """A row of P21's ``oe_line_po``, as P21 answers it."""

    order_number: Text
    line_number: Whole
    po_no: Text
    po_line_number: Whole
    quantity_on_po: Amount
    connection_type: Text
    completed: Text
    delete_flag: Text
    cancel_flag: Text
    date_created: OptionalText = None
    date_last_modified: OptionalText = None

    @property
    def active(self) -> bool:
        return "Y" not in (self.delete_flag, self.cancel_flag, self.completed)

    def wanted(self) -> LinkRequest:
        return LinkRequest(
            self.order_number, self.line_number, self.po_line_number, self.quantity_on_po
        )


@dataclass(frozen=True)
class Backorder:
    order_number: Text
    line_number: Whole
    item_id: Text
    customer_id: Text
    order_date: Day
    qty_backordered: Amount
    qty_on_po: Amount


@dataclass(frozen=True)
class _Links:
    po_no: Text
    links: list[OeLinePo]


@dataclass(frozen=True)
class _Order:
    po_no: Text
    vendor_id: Text
    order_date: Day | None
    lines: list[P21Line]


@dataclass(frozen=True)
class _Backorders:
    lines: list[Backorder]


_LINKS = TypeAdapter(_Links)
_ORDER = TypeAdapter(_Order)
_BACKORDERS = TypeAdapter(_Backorders)


class P21Refused(Rejected):
    """P21 refused the request for a reason of its own (``code``: "unknown item",
    "closed sales order", ...); ``subject`` names the item or order at fault."""

    def __init__(self, code: str, message: str, subject: str | None, status: int):
        super().__init__(message, status=status)
        self.code, self.subject = code, subject


class P21Client(PartnerClient):
    """Async client of the P21 contract above. Use as ``async with``."""

    partner = PARTNER

    async def export_po(self, po: P21PurchaseOrder, *, key: str) -> P21PurchaseOrder:
        reply = await self.put(
            path("purchase-orders", po.po_no), json=po.as_json(), idempotency_key=key
        )
        return reply.json_as(parse_order)

    async def purchase_order(self, po_no: str) -> P21PurchaseOrder | None:
        """The PO as P21 holds it, or None if P21 has no such PO."""
        try:
            reply = await self.get(path("purchase-orders", po_no))
        except Rejected as exc:
            if exc.status == 404:
                return None
            raise
        return reply.json_as(parse_order)

    async def write_links(
        self, po_no: str, links: list[LinkRequest], *, key: str
    ) -> list[OeLinePo]:
        """Make the PO's active links exactly ``links`` (one transaction at P21)."""
        body = {"links": [link.as_json() for link in links]}
        reply = await self.put(
            path("purchase-orders", po_no, "links"), json=body, idempotency_key=key
        )
        return reply.json_as(parse_links)

    async def links(self, po_no: str) -> list[OeLinePo]:
        """The PO's active links (none for a PO P21 does not have)."""
        try:
            reply = await self.get(path("purchase-orders", po_no, "links"))
        except Rejected as exc:
            if exc.status == 404:
                return []
            raise
        return reply.json_as(parse_links)

    async def backorders(self, item_id: str) -> list[Backorder]:
        """Open sales-order lines of the item on backorder, oldest first."""
        reply = await self.get("/backorders", params={"item_id": item_id})
        return reply.json_as(parse_backorders)

    def classify(self, reply: Reply) -> ConnectorError | None:
        error = super().classify(reply)
        if isinstance(error, Rejected) and reply.status == 422:
            try:
                body = reply.json()["error"]
                code, message = str(body["code"]), str(body["message"])
                subject = body.get("subject")
            except (ConnectorError, KeyError, TypeError):
                return error
            return P21Refused(code, message, None if subject is None else str(subject), 422)
        return error


def parse_order(body: Any) -> P21PurchaseOrder:
    order = validate(_ORDER, body, f"{PARTNER}'s purchase order")
    return P21PurchaseOrder(order.po_no, order.vendor_id, order.order_date, order.lines)


def parse_links(body: Any) -> list[OeLinePo]:
    return validate(_LINKS, body, f"{PARTNER}'s oe_line_po rows").links


def parse_backorders(body: Any) -> list[Backorder]:
    return validate(_BACKORDERS, body, f"{PARTNER}'s answer").lines


__all__ = [
    "PARTNER",
    "Backorder",
    "LinkRequest",
    "OeLinePo",
    "P21Client",
    "P21Line",
    "P21PurchaseOrder",
    "P21Refused",
    "parse_backorders",
    "parse_links",
    "parse_order",
]
