"""Upload Selected / Upload All, and the admin's reset for re-import (Cin7 seed).

``enqueue_upload`` checks the rules (and the checks beyond one PO: a DocNumber clash, unmapped
lines) and writes one outbox message per ready PO, in the transaction that marks it waiting;
``reset_for_reimport`` puts an imported PO back in its queue. Both are re-exported by
``services.accounting``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from posync_tui import audit
from posync_tui.config import Settings
from posync_tui.db import Database
from posync_tui.delivery import Outcome, note_outbox, noted, settle
from posync_tui.events import note_change
from posync_tui.links import links_of
from posync_tui.models import (
    OPEN_OUTBOX_STATUSES,
    AccountingStatus,
    OutboxMessage,
    OutboxStatus,
    PurchaseOrder,
    Vendor,
    saved_id,
    utcnow,
)
from posync_tui.services.accounting import CONNECTOR, WAITING_STATUSES, _setting_on
from posync_tui.services.accounting_checks import facts_for
from posync_tui.services.accounting_rules import UploadKind, blockers

_CHUNK = 500  # ids per IN (...) list


# --- Upload Selected / Upload All -------------------------------------------------------------


@dataclass
class EnqueueResult:
    queued: list[int] = field(default_factory=list)
    message_ids: list[int] = field(default_factory=list)  # the outbox messages written
    skipped: dict[int, list[str]] = field(default_factory=dict)  # PO id → reasons

    def summary(self) -> str:
        text = f"{len(self.queued)} queued for QuickBooks"
        return f"{text}, {len(self.skipped)} not ready" if self.skipped else text


def enqueue_upload(
    db: Database, kind: UploadKind | str, po_ids: Iterable[int], *, settings: Settings | None = None
) -> EnqueueResult:
    """Queue POs for upload as bills or as QuickBooks purchase orders.

    Each ready PO gets an outbox row (its idempotency key is the record's requestid) in the same
    transaction that marks it waiting; POs that are not ready are reported with their reasons.
    Safe to call twice (a waiting PO is not queued again) and from two consoles at once.
    """
    kind = UploadKind(kind)
    ids = list(dict.fromkeys(po_ids))
    try:
        return _enqueue(db, kind, ids, _setting_on(settings))
    except IntegrityError:
        # Another console queued some of the same POs at the same moment: read again.
        return _enqueue(db, kind, ids, _setting_on(settings))


def _enqueue(db: Database, kind: UploadKind, ids: list[int], setting_on: bool) -> EnqueueResult:
    result = EnqueueResult()
    installation = db.installation_id()
    with db.session() as s:
        found: dict[int, PurchaseOrder] = {}
        current: dict[int, OutboxMessage] = {}
        links = links_of(s, CONNECTOR, "purchase_order", ids)
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            found.update(
                (saved_id(po), po)
                for po in s.exec(select(PurchaseOrder).where(col(PurchaseOrder.id).in_(chunk)))
            )
            current.update(
                (m.record_id, m)
                for m in s.exec(
                    select(OutboxMessage).where(
                        OutboxMessage.connector == CONNECTOR,
                        OutboxMessage.record_kind == "purchase_order",
                        col(OutboxMessage.record_id).in_(chunk),
                        col(OutboxMessage.status).in_([*OPEN_OUTBOX_STATUSES, OutboxStatus.FAILED]),
                    )
                )
            )
        vendors = _vendors(s, {po.vendor_id for po in found.values()})
        facts = facts_for(s, kind, list(found))
        for po_id in ids:
            po = found.get(po_id)
            if po is None:
                result.skipped[po_id] = ["The PO no longer exists."]
                continue
            earlier = current.get(po_id)
            if earlier is not None and earlier.status in WAITING_STATUSES:
                result.skipped[po_id] = ["Already waiting to upload to QuickBooks."]
                continue
            if earlier is not None and earlier.status == OutboxStatus.DECISION:
                result.skipped[po_id] = [DECIDE_FIRST]
                continue
            vendor, link = vendors.get(po.vendor_id), links.get(po_id)
            reasons = blockers(
                po, vendor, kind, link=link, setting_on=setting_on, facts=facts[po_id]
            )
            if reasons:
                result.skipped[po_id] = reasons
                continue
            if earlier is not None:  # refused before: this upload replaces it
                earlier.status, earlier.updated_at = OutboxStatus.CANCELLED, utcnow()
            result.message_ids.append(add_outbox(s, po, kind, installation))
            result.queued.append(po_id)
        if result.queued:
            note_change(s, "purchase_order", result.queued)
            note_outbox(s, CONNECTOR, result.message_ids)
    return result


DECIDE_FIRST = (
    "It may already be in QuickBooks: on the Errors tab, look it up again, send it again, "
    "mark it done with its QuickBooks id, or cancel it."
)


def add_outbox(
    s: Session,
    po: PurchaseOrder,
    kind: UploadKind,
    installation: str,
    payload: dict | None = None,
) -> int:
    """One upload's outbox message (``payload``: e.g. a re-sync's ``{"resync": true}``)."""
    earlier = s.exec(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.connector == CONNECTOR,
            OutboxMessage.record_kind == "purchase_order",
            OutboxMessage.record_id == po.id,
            OutboxMessage.kind == kind,
        )
    ).one()
    # A new key per upload: QuickBooks replays the answer to a known requestid, so a re-sync
    # after a fix must not reuse the key of the attempt it refused. The installation's id makes
    # it unique among every posync database uploading to the same company.
    message = OutboxMessage(
        connector=CONNECTOR,
        kind=str(kind),
        record_kind="purchase_order",
        record_id=saved_id(po),
        idempotency_key=f"{installation}:qbo:{kind}:{po.id}:{earlier + 1}",
        payload=json.dumps(payload, sort_keys=True) if payload else None,
    )
    s.add(message)
    po.accounting_error = po.accounting_error_code = None
    po.updated_at = utcnow()
    s.flush()
    return saved_id(message)


def _vendors(s: Session, ids: Iterable[int]) -> dict[int, Vendor]:
    ids = list(ids)
    if not ids:
        return {}
    return {v.id: v for v in s.exec(select(Vendor).where(col(Vendor.id).in_(ids))) if v.id}


# --- admin ------------------------------------------------------------------------------------


class ResetRefused(Exception):
    """A PO cannot be reset for re-import now; the message says why and what to do."""


def reset_for_reimport(db: Database, po_id: int, *, by: str = "operator") -> None:
    """Admin: set Accounting Status back to "Not Imported Yet Or Reset For Re-import".

    The QuickBooks id is kept: the next sync replaces that bill instead of making a second one.
    A PO uploaded as a QuickBooks purchase order stays blocked from bill sync (see the rules).
    A waiting or refused upload is cancelled; one being sent right now, or one that may have
    reached QuickBooks without posync knowing its id, is not: ResetRefused says why.
    """
    from posync_tui.services.accounting_deliver import QuickBooksRecords

    with db.session() as s:
        po = s.get(PurchaseOrder, po_id)
        if po is None:
            raise LookupError(f"PO {po_id} does not exist")
        for message in s.exec(
            select(OutboxMessage).where(
                OutboxMessage.connector == CONNECTOR,
                OutboxMessage.record_kind == "purchase_order",
                OutboxMessage.record_id == po_id,
                col(OutboxMessage.status).in_([*OPEN_OUTBOX_STATUSES, OutboxStatus.FAILED]),
            )
        ):
            if message.status == OutboxStatus.CLAIMED:
                raise ResetRefused(
                    f"PO {po.number} is being uploaded to QuickBooks right now: reset it once "
                    "the upload has finished."
                )
            if message.status == OutboxStatus.DECISION:
                raise ResetRefused(f"PO {po.number}: {DECIDE_FIRST}")
            cancelled = Outcome(OutboxStatus.CANCELLED, text=f"reset for re-import by {by}")
            settle(s, message, cancelled, QuickBooksRecords())
            noted(s, [message], QuickBooksRecords())
        changes = {"accounting_status": AccountingStatus.NOT_IMPORTED}
        audit.edit(s, po, changes, record_kind="purchase_order", po_id=po.id, source=by)
        po.accounting_error = po.accounting_error_code = None
        po.updated_at = utcnow()
        note_change(s, "purchase_order", [po_id])
