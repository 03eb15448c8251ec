"""The accounting side of one PO, as its detail shows it (Cin7 seed): read-only.

Built from the PO, its vendor and its QuickBooks link by the rules in ``accounting_rules`` (not
restated here): the Accounting Status, the bill's reference whole and the DocNumber QuickBooks
receives, what the PO became in QuickBooks (its link), the last upload error, and each
condition that keeps it from being synced as a bill now. ``upload_kind`` says what "upload
now" would make of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, object_session
from sqlmodel import col, select

from posync_tui.links import link_of
from posync_tui.models import (
    AccountingStatus,
    OutboxMessage,
    OutboxStatus,
    PartnerLink,
    PurchaseOrder,
    Vendor,
    saved_id,
)
from posync_tui.services.accounting import CONNECTOR, UPLOAD_STATE
from posync_tui.services.accounting_checks import facts_for
from posync_tui.services.accounting_queues import code_words, plain_error
from posync_tui.services.accounting_rules import (
    UploadKind,
    UploadState,
    bill_reference,
    blockers,
    is_unbilled,
    made_as,
    qbo_doc_number,
    reference_for,
)

KIND_WORDS = {UploadKind.BILL: "a bill", UploadKind.PURCHASE_ORDER: "a purchase order"}


@dataclass(frozen=True)
class POAccounting:
    accounting_status: str  # "Not Imported Yet Or Reset For Re-import" or "Imported"
    bill_reference: str  # shown whole
    doc_number: str  # what QuickBooks receives: the bill reference cut to 21 characters
    link: PartnerLink | None  # what the PO became in QuickBooks (a Bill or PurchaseOrder)
    upload_kind: str | None  # the kind of the last upload queued or refused
    upload_state: str | None  # None, "waiting", "error" or "decision"
    error_code: str | None  # "6140 duplicate number"
    error: str | None
    bill_blockers: tuple[str, ...]  # each condition failed; empty: it can be synced as a bill
    # Unbilled POs only, when the setting is on: why it cannot go as a QuickBooks purchase order.
    purchase_order_blockers: tuple[str, ...] | None
    purchase_order_reference: str

    @property
    def imported(self) -> bool:
        return self.accounting_status == AccountingStatus.IMPORTED

    @property
    def truncated(self) -> bool:
        return self.doc_number != self.bill_reference

    @property
    def waiting(self) -> bool:
        return self.upload_state == UploadState.WAITING

    @property
    def uploaded_as_purchase_order(self) -> bool:
        """Made as a QuickBooks purchase order: its bill is linked to it."""
        return made_as(self.link, UploadKind.PURCHASE_ORDER)

    @property
    def can_reset(self) -> bool:
        """The admin reset does something: the PO was imported, or its upload failed."""
        return self.imported or self.upload_state == UploadState.ERROR

    @property
    def upload_kind_now(self) -> UploadKind | None:
        """What "upload now" makes: a bill when it can be synced as one, else (an unbilled PO,
        the setting on) a QuickBooks purchase order; None when neither is allowed."""
        if not self.bill_blockers:
            return UploadKind.BILL
        if self.purchase_order_blockers == ():
            return UploadKind.PURCHASE_ORDER
        return None


def current_upload(s: Session, po_id: int) -> tuple[str, str] | None:
    """The kind and state ("waiting", "error", "decision") of the PO's current upload."""
    row = s.execute(
        select(OutboxMessage.kind, OutboxMessage.status)
        .where(
            col(OutboxMessage.connector) == CONNECTOR,
            col(OutboxMessage.record_kind) == "purchase_order",
            col(OutboxMessage.record_id) == po_id,
            col(OutboxMessage.status).in_(list(UPLOAD_STATE)),
        )
        .order_by(col(OutboxMessage.id).desc())
        .limit(1)
    ).first()
    return None if row is None else (row[0], str(UPLOAD_STATE[OutboxStatus(row[1])]))


def po_accounting(po: PurchaseOrder, vendor: Vendor | None, *, setting_on: bool) -> POAccounting:
    """Read in the PO's own session (its upload's state comes from the outbox, what it became
    from its link)."""
    session = object_session(po)
    assert session is not None, "read the PO in a session: its upload and link are read there"
    upload_kind, upload_state = current_upload(session, saved_id(po)) or (None, None)
    link = link_of(session, CONNECTOR, "purchase_order", saved_id(po))

    def reasons(kind: UploadKind) -> tuple[str, ...]:
        # The rules and checks Upload applies (enqueue_upload), so the verdict never says
        # "can be synced" for a PO that Upload then refuses.
        facts = facts_for(session, kind, [saved_id(po)])[saved_id(po)]
        return tuple(blockers(po, vendor, kind, link=link, setting_on=setting_on, facts=facts))

    reference = bill_reference(po)
    po_blockers = None
    if setting_on and is_unbilled(po) and link is None:
        po_blockers = reasons(UploadKind.PURCHASE_ORDER)
    return POAccounting(
        accounting_status=str(po.accounting_status),
        bill_reference=reference,
        doc_number=qbo_doc_number(reference),
        link=link,
        upload_kind=upload_kind,
        upload_state=upload_state,
        error_code=code_words(po.accounting_error_code) or None,
        error=plain_error(po.accounting_error_code, po.accounting_error) or None,
        bill_blockers=reasons(UploadKind.BILL),
        purchase_order_blockers=po_blockers,
        purchase_order_reference=reference_for(po, UploadKind.PURCHASE_ORDER),
    )
