"""Order responses (ORDRSP, Onetrail seed): the Accept Status of the PO and of each line, and
every change the supplier made as an Amendment.

Lines are matched by buyer line reference, then MPN; several response lines naming one buyer
line (a split) are summed. A Rejected line is never deleted (one hub means "on hold" by it), a
Deleted line is kept with its status, an Added line is added. Each change (quantity, price,
date, item) becomes a ``PoAmendment`` and an audit entry, so it shows on the PO's Amendments tab
and in its Changes history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from connectors.edifact.messages import OrderResponse, ResponseLine
from posync_tui import audit
from posync_tui.models import (
    AcceptStatus,
    Item,
    PurchaseOrder,
    PurchaseOrderLine,
    saved_id,
)
from posync_tui.services.edi_match import Known, Lines


@dataclass
class _Merged:
    """The response lines for one buyer line, summed."""

    line: PurchaseOrderLine
    status: AcceptStatus | None
    quantity: Decimal | None
    price: Decimal | None
    delivery_date: date | None
    mpn: str | None


def apply_response(
    s: Session,
    known: Known,
    vendor_id: int | None,
    response: OrderResponse,
    document_id: int | None,
    now: datetime,
) -> int:
    """Apply an order response to its PO; the PO's id. ApplyError: nothing applied."""
    po = known.po(vendor_id, response.order_number)
    lines = known.lines[saved_id(po)]
    merged: dict[int, _Merged] = {}
    added: list[ResponseLine] = []
    for n, rl in enumerate(response.lines, start=1):
        if rl.buyer_line is None and rl.status == AcceptStatus.ADDED:
            added.append(rl)
            continue
        line = lines.matched(rl.buyer_line, rl.mpn, f"response line {rl.line_no or n}")
        _merge(merged, line, rl)
    notes = _Notes(po, response.message_ref, document_id, now)
    for m in merged.values():
        _apply_line(notes, m, lines.mpn.get(m.line.id))
    for rl in added:
        _add_line(s, notes, po, lines, rl)
    if response.status is not None:
        status = AcceptStatus(response.status).value
        notes.po_field("edi_accept_status", po.edi_accept_status, status)
        po.edi_accept_status = status
    _retotal(po, lines)
    known.changes += notes.changes
    known.amendments += notes.amendments
    po.updated_at = now
    return saved_id(po)


def _merge(merged: dict[int, _Merged], line: PurchaseOrderLine, rl: ResponseLine) -> None:
    key = saved_id(line)
    seen = merged.get(key)
    if seen is None:
        status = AcceptStatus(rl.status) if rl.status else None
        merged[key] = _Merged(line, status, rl.quantity, rl.price, rl.delivery_date, rl.mpn)
        return
    # A split: the quantities add up; a line changed anywhere is changed.
    if rl.quantity is not None:
        seen.quantity = (seen.quantity or Decimal(0)) + rl.quantity
    if seen.status != (AcceptStatus(rl.status) if rl.status else None):
        seen.status = AcceptStatus.CHANGED
    seen.delivery_date = max(filter(None, (seen.delivery_date, rl.delivery_date)), default=None)


def _apply_line(notes: _Notes, m: _Merged, ordered_mpn: str | None) -> None:
    line = m.line
    status = m.status
    if status in (AcceptStatus.ACCEPTED, AcceptStatus.CHANGED, None):
        current = line.quantity_confirmed or line.quantity_ordered
        if m.quantity is not None and m.quantity != current:
            notes.line(line, "quantity", current, m.quantity)
            line.quantity_confirmed = m.quantity
        elif m.quantity is not None and line.quantity_confirmed is None:
            line.quantity_confirmed = m.quantity
        if m.price is not None and m.price != line.unit_cost:
            notes.line(line, "unit_cost", line.unit_cost, m.price)
            line.unit_cost = m.price
        if m.delivery_date is not None and m.delivery_date != line.expected_date:
            notes.line(line, "expected_date", line.expected_date, m.delivery_date)
            line.expected_date = m.delivery_date
        if m.mpn and ordered_mpn and m.mpn != ordered_mpn:
            # A substitute: recorded, the PO line's item stays for the operator to decide.
            notes.line(line, "item", ordered_mpn, m.mpn)
    if status is not None and status.value != line.edi_accept_status:
        notes.line(line, "edi_accept_status", line.edi_accept_status, status.value, amend=False)
        line.edi_accept_status = status.value


def _add_line(s: Session, notes: _Notes, po: PurchaseOrder, lines: Lines, rl: ResponseLine) -> None:
    item = s.exec(select(Item).where(Item.mpn == rl.mpn)).first() if rl.mpn else None
    quantity = rl.quantity or Decimal(0)
    line = PurchaseOrderLine(
        po_id=saved_id(po),
        line_no=max((line.line_no for line in lines.lines), default=0) + 1,
        item_id=item.id if item else None,
        supplier_part_no=None if item else rl.mpn,
        description=rl.description or (item.description if item else f"MPN {rl.mpn}"),
        quantity_ordered=quantity,
        quantity_confirmed=quantity,
        unit_cost=rl.price or Decimal(0),
        expected_date=rl.delivery_date,
        missing_item=item is None,
        edi_accept_status=AcceptStatus.ADDED.value,
    )
    s.add(line)
    s.flush()
    lines.add(line, item.mpn if item else None)
    notes.line(line, "line", None, f"added: {rl.mpn or '?'} × {audit.shown(quantity)}")


def _retotal(po: PurchaseOrder, lines: Lines) -> None:
    shown = [line for line in lines.lines if not line.hidden]
    po.total = sum(
        ((line.quantity_confirmed or line.quantity_ordered) * line.unit_cost for line in shown),
        Decimal(0),
    )
    po.line_count = len(shown)


class _Notes:
    """Amendments and audit entries of one response (written with its page's)."""

    def __init__(self, po: PurchaseOrder, message_ref: str, document_id: int | None, now):
        self.po, self.ref, self.document_id, self.now = po, message_ref, document_id, now
        self.changes: list[audit.Change] = []
        self.amendments: list[dict[str, Any]] = []

    def line(
        self, line: PurchaseOrderLine, field: str, old: Any, new: Any, *, amend: bool = True
    ) -> None:
        po_id = saved_id(self.po)
        if amend:
            self.amendments.append(
                {
                    "at": self.now,
                    "po_id": po_id,
                    "po_line_id": line.id,
                    "field": field,
                    "old_value": audit.shown(old),
                    "new_value": audit.shown(new),
                    "message_ref": self.ref,
                    "document_id": self.document_id,
                }
            )
        self.changes.append(
            audit.Change("purchase_order_line", saved_id(line), field, old, new, po_id)
        )

    def po_field(self, field: str, old: Any, new: Any) -> None:
        po_id = saved_id(self.po)
        self.changes.append(audit.Change("purchase_order", po_id, field, old, new, po_id))
