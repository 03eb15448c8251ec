"""Save & Submit Electronically (Onetrail seed): validate a PO, then send it as an ORDERS.

The button first validates that the PO can be submitted — its vendor is enabled for EDI and has
a GLN, every line's item has an MPN, and when special bid or deal pricing is used both special
fields are filled in — and lists EVERY failure. Then, in one transaction, the PO's EDI Submit
Status becomes "Submitting", the ORDERS interchange is built (its control reference numbered and
kept in the document log) and an outbox message is written. The delivery engine sends it
(``edi_deliver``): "Submitted" when the hub took it, "Failed" with the reason otherwise. A PO is
never left in Submitting: its message is retried after a crash (the same interchange, so the
hub knows it as a duplicate), and ``settle_stranded`` fails one whose message is gone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlmodel import Session, col, select

from posync_tui import audit
from posync_tui.config import EdiSettings
from posync_tui.db import Database
from posync_tui.delivery import note_outbox
from posync_tui.events import note_change
from posync_tui.models import (
    OPEN_OUTBOX_STATUSES,
    Direction,
    DocumentStatus,
    EdiDocument,
    EdiSubmitStatus,
    Item,
    OutboxMessage,
    PurchaseOrder,
    PurchaseOrderLine,
    Vendor,
    saved_id,
    utcnow,
)
from posync_tui.services.edi_orders import SPECIAL, orders_interchange

CONNECTOR = "edi_hub"
SPECIAL_ORDER_TYPES = tuple(SPECIAL)


class SubmitRefused(ValueError):
    """The PO cannot be submitted: every reason, in the order the form shows them."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Draft:
    """What validation reads of a PO, saved or still on the New PO form."""

    vendor_id: int | None
    item_ids: list[int | None]  # per line, in line order (None: a line without an item)
    special_order_type: str | None = None
    special_bid_reference: str | None = None


def problems(session: Session, draft: Draft) -> list[str]:
    """Every reason the PO cannot be submitted electronically (empty: it can)."""
    found: list[str] = []
    vendor = session.get(Vendor, draft.vendor_id) if draft.vendor_id is not None else None
    if vendor is None:
        found.append("Choose a vendor.")
    else:
        if not vendor.edi_enabled:
            found.append(f"Vendor {vendor.code} is not enabled for EDI.")
        if not vendor.gln:
            found.append(f"Vendor {vendor.code} has no GLN.")
    if not draft.item_ids:
        found.append("The PO has no lines.")
    items = _items(session, [i for i in draft.item_ids if i is not None])
    for n, item_id in enumerate(draft.item_ids, start=1):
        item = items.get(item_id) if item_id is not None else None
        if item is None:
            found.append(f"Line {n} has no item.")
        elif not (item.mpn or "").strip():
            found.append(f"Line {n}: item {item.sku} has no MPN.")
    kind = (draft.special_order_type or "").strip()
    reference = (draft.special_bid_reference or "").strip()
    if kind and kind not in SPECIAL_ORDER_TYPES:
        found.append(f"Special Order Type must be one of: {', '.join(SPECIAL_ORDER_TYPES)}.")
    if kind and not reference:
        found.append(f"{kind} pricing needs the Special Bid/Deal Reference.")
    if reference and not kind:
        found.append("A Special Bid/Deal Reference needs the Special Order Type.")
    return found


def draft_of(session: Session, po: PurchaseOrder) -> Draft:
    lines = _lines(session, saved_id(po))
    item_ids = [line.item_id for line in lines]
    return Draft(po.vendor_id, item_ids, po.special_order_type, po.special_bid_reference)


def submit(db: Database, po_id: int, settings: EdiSettings) -> int:
    """Validate the saved PO and queue its ORDERS (status "Submitting"); the outbox message id.

    Raises ``SubmitRefused`` with every problem (nothing changes), or ValueError when it was
    submitted already and is on its way."""
    installation = db.installation_id()  # asked first: it may write in its own transaction
    with db.session() as s:
        po = s.get(PurchaseOrder, po_id)
        if po is None:
            raise SubmitRefused(["The PO no longer exists."])
        found = problems(s, draft_of(s, po))
        if found:
            raise SubmitRefused(found)
        if po.edi_submit_status in (EdiSubmitStatus.SUBMITTING, EdiSubmitStatus.SUBMITTED):
            raise ValueError(f"PO {po.number} is {po.edi_submit_status.lower()} already.")
        return _queue(s, po, settings, installation)


def _queue(s: Session, po: PurchaseOrder, settings: EdiSettings, installation: str) -> int:
    vendor = s.get_one(Vendor, po.vendor_id)
    lines = _lines(s, saved_id(po))
    items = _items(s, [line.item_id for line in lines if line.item_id is not None])
    for line in lines:
        line.buyer_line_ref = line.buyer_line_ref or str(line.line_no)
    document = EdiDocument(
        direction=Direction.OUT,
        message_type="ORDERS",
        sender=settings.our_gln,
        vendor_id=vendor.id,
        control_ref=_placeholder(),
        po_id=po.id,
        status=DocumentStatus.WAITING,
        raw="",
    )
    s.add(document)
    s.flush()
    # Numbered by the log, unique per sender and kept: a re-send is the same interchange.
    document.control_ref = f"{saved_id(document):09d}"
    try:
        document.raw = orders_interchange(po, vendor, lines, items, settings, document.control_ref)
    except ValueError as exc:
        raise SubmitRefused([f"The order cannot be written as EDI: {exc}"]) from None
    audit.edit(
        s,
        po,
        {"edi_submit_status": EdiSubmitStatus.SUBMITTING, "edi_submit_error": None},
        record_kind="purchase_order",
        po_id=po.id,
    )
    po.updated_at = utcnow()
    message = OutboxMessage(
        connector=CONNECTOR,
        kind="ORDERS",
        record_kind="purchase_order",
        record_id=saved_id(po),
        idempotency_key=f"{installation}:edi:{document.control_ref}",
        payload=json.dumps({"document_id": document.id, "control_ref": document.control_ref}),
    )
    s.add(message)
    s.flush()
    note_outbox(s, CONNECTOR, [saved_id(message)])
    note_change(s, "purchase_order", [saved_id(po)])
    note_change(s, "edi_document", [saved_id(document)])
    return saved_id(message)


def settle_stranded(db: Database) -> int:
    """Fail every PO left in Submitting with no message on its way (how many)."""
    with db.session() as s:
        open_ids = select(OutboxMessage.record_id).where(
            col(OutboxMessage.connector) == CONNECTOR,
            col(OutboxMessage.status).in_(OPEN_OUTBOX_STATUSES),
        )
        stranded = s.exec(
            select(PurchaseOrder).where(
                col(PurchaseOrder.edi_submit_status) == EdiSubmitStatus.SUBMITTING.value,
                col(PurchaseOrder.id).not_in(open_ids),
            )
        ).all()
        for po in stranded:
            fail(s, po, "The submission was interrupted before it reached the hub: submit again.")
        if stranded:
            note_change(s, "purchase_order", [saved_id(po) for po in stranded])
        return len(stranded)


def fail(s: Session, po: PurchaseOrder, reason: str) -> None:
    changes = {"edi_submit_status": EdiSubmitStatus.FAILED, "edi_submit_error": reason}
    audit.edit(s, po, changes, record_kind="purchase_order", po_id=po.id, source=CONNECTOR)
    po.updated_at = utcnow()


def _lines(s: Session, po_id: int) -> list[PurchaseOrderLine]:
    return list(
        s.exec(
            select(PurchaseOrderLine)
            .where(PurchaseOrderLine.po_id == po_id, col(PurchaseOrderLine.hidden).is_(False))
            .order_by(col(PurchaseOrderLine.line_no))
        ).all()
    )


def _items(s: Session, ids: list[int]) -> dict[int, Item]:
    if not ids:
        return {}
    return {i.id: i for i in s.exec(select(Item).where(col(Item.id).in_(ids))).all() if i.id}


def _placeholder() -> str:
    from uuid import uuid4

    return uuid4().hex[:14]
