"""Despatch advices (DESADV, Onetrail seed): an Item Receipt for a standard PO, an Item
Fulfilment for a drop-ship PO, with the serial numbers per line and the tracking numbers.

Partial shipments add up on each line (``quantity_despatched``). A despatch of more than is
open on a line is flagged, not silently accepted: its shipment is kept with the reason and a
notification, and none of its quantities count until the operator has looked.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlmodel import Session

from connectors.edifact.messages import DespatchAdvice
from posync_tui import audit
from posync_tui.models import (
    NotificationKind,
    POStatus,
    PurchaseOrderLine,
    Shipment,
    ShipmentKind,
    ShipmentLine,
    SyncNotification,
    saved_id,
)
from posync_tui.services.edi_match import (
    ApplyError,
    Known,
    order_number,
)


def apply_despatch(
    s: Session,
    known: Known,
    vendor_id: int | None,
    despatch: DespatchAdvice,
    document_id: int | None,
    now: datetime,
) -> int:
    """Make the Item Receipt or Item Fulfilment of a despatch advice; the PO's id."""
    po = known.po(vendor_id, order_number(despatch))
    po_id = saved_id(po)
    if (po_id, despatch.number) in known.despatches:
        raise ApplyError(f"Despatch advice {despatch.number} was taken in already")
    known.despatches.add((po_id, despatch.number))
    lines = known.lines[po_id]
    taken: list[tuple[PurchaseOrderLine, Decimal, tuple[str, ...]]] = []
    per_line: dict[int, Decimal] = {}
    for n, dl in enumerate(despatch.lines, start=1):
        line = lines.matched(dl.buyer_line, dl.mpn, f"despatch line {dl.line_no or n}")
        taken.append((line, dl.quantity, dl.serials))
        per_line[saved_id(line)] = per_line.get(saved_id(line), Decimal(0)) + dl.quantity
    over = []
    for line in lines.lines:
        quantity = per_line.get(saved_id(line))
        if quantity is None:
            continue
        open_ = (line.quantity_confirmed or line.quantity_ordered) - line.quantity_despatched
        if quantity > open_:
            over.append(
                f"line {line.line_no}: {audit.shown(quantity)} despatched, "
                f"{audit.shown(max(open_, Decimal(0)))} open"
            )
    kind = ShipmentKind.FULFILMENT if po.drop_ship else ShipmentKind.RECEIPT
    shipment = {
        "created_at": now,
        "kind": kind,
        "po_id": po_id,
        "despatch_no": despatch.number,
        "despatch_date": despatch.despatched,
        "delivery_date": despatch.estimated_delivery,
        "tracking_numbers": "\n".join(despatch.tracking_numbers),
        "over_despatch": "; ".join(over) or None,
        "document_id": document_id,
    }
    shipment_lines = [
        {
            "po_line_id": saved_id(line),
            "quantity": quantity,
            "serials": "\n".join(serials),
        }
        for line, quantity, serials in taken
    ]
    known.insert(Shipment, shipment, [(ShipmentLine, "shipment_id", shipment_lines)])
    if over:
        s.add(
            SyncNotification(
                created_at=now,
                kind=NotificationKind.SYNC_ERROR,
                vendor_id=po.vendor_id,
                po_id=po_id,
                message=(
                    f"PO {po.number}: despatch advice {despatch.number} ships more than "
                    f"is open ({'; '.join(over)}): its {kind.value} is flagged and not counted"
                ),
            )
        )
        return po_id
    changes = []
    for line in lines.lines:
        quantity = per_line.get(saved_id(line))
        if quantity is None:
            continue
        despatched = line.quantity_despatched + quantity
        changes.append(_change(line, "quantity_despatched", line.quantity_despatched, despatched))
        line.quantity_despatched = despatched
        if kind == ShipmentKind.RECEIPT:
            received = line.quantity_received + quantity
            changes.append(_change(line, "quantity_received", line.quantity_received, received))
            line.quantity_received = received
    if kind == ShipmentKind.RECEIPT:
        _receive(po, lines.lines, changes)
    known.changes += changes
    po.updated_at = now
    return po_id


def _change(line: PurchaseOrderLine, field: str, old, new) -> audit.Change:
    return audit.Change("purchase_order_line", saved_id(line), field, old, new, line.po_id)


def _receive(po, lines: list[PurchaseOrderLine], changes: list[audit.Change]) -> None:
    shown = [line for line in lines if not line.hidden]
    complete = all(
        line.quantity_received >= (line.quantity_confirmed or line.quantity_ordered)
        for line in shown
    )
    status = POStatus.RECEIVED if complete else POStatus.PARTIAL
    if po.status in (POStatus.OPEN, POStatus.PARTIAL) and po.status != status:
        changes.append(audit.Change("purchase_order", po.id, "status", po.status, status, po.id))
        po.status = status
