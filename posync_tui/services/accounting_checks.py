"""Checks made before anything is sent to QuickBooks that look beyond the PO itself.

- Two POs whose references cut to the same 21-character DocNumber: QuickBooks would refuse the
  second with 6140 after it was sent (bills: per vendor; purchase orders: per company, as
  QuickBooks keeps them unique), so both are flagged in their queue rows before either goes.
- Lines with no QuickBooks item while no expense account is chosen on Accounting › Settings.

``facts_for`` reads both for a page of rows in two queries; the rules turn them into reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from posync_tui.models import (
    AccountingMapping,
    Item,
    MappingKind,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
)
from posync_tui.services.accounting_rules import (
    DOC_NUMBER_MAX,
    RowFacts,
    UploadKind,
    qbo_doc_number,
    reference_for,
)

PO = PurchaseOrder.__table__.c
LINE = PurchaseOrderLine.__table__.c
ITEM = Item.__table__.c


@dataclass(frozen=True)
class Candidate:
    """What a clash check reads of a PO."""

    id: int
    vendor_id: int
    number: str
    supplier_invoice_no: str | None


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def doc_clashes(s: Session, kind: UploadKind, pos: list[Candidate]) -> dict[int, tuple[str, ...]]:
    """For each PO, the numbers of the other POs whose reference cuts to its DocNumber (one
    query for all of them: a page of a queue reads it beside its rows)."""
    mine = {po.id: qbo_doc_number(reference_for(_po(po), kind)) for po in pos}
    near = [c for po in pos if mine[po.id] and (c := _near(kind, po)) is not None]
    if not near:
        return {}
    # A necessary condition in SQL (the other's reference starts like ours), then the rule.
    rows = s.execute(
        select(PO.id, PO.vendor_id, PO.number, PO.supplier_invoice_no).where(
            or_(*near), PO.status != POStatus.CANCELLED
        )
    ).all()
    docs: dict[tuple[int | None, str], list[tuple[int, str]]] = {}
    for pid, vid, number, inv in rows:
        doc = qbo_doc_number(reference_for(_po(Candidate(pid, vid, number, inv)), kind))
        # Bills: one DocNumber per vendor; purchase orders: per company.
        docs.setdefault((vid if kind == UploadKind.BILL else None, doc), []).append((pid, number))
    found: dict[int, tuple[str, ...]] = {}
    for po in pos:
        scope = po.vendor_id if kind == UploadKind.BILL else None
        others = sorted(n for pid, n in docs.get((scope, mine[po.id]), []) if pid != po.id)
        if others:
            found[po.id] = tuple(others)
    return found


def _near(kind: UploadKind, po: Candidate):
    if kind == UploadKind.BILL:
        lead = (po.supplier_invoice_no or "").strip()[:DOC_NUMBER_MAX]
        if not lead:
            return None
        return and_(
            PO.vendor_id == po.vendor_id,
            PO.supplier_invoice_no.like(_escaped(lead) + "%", escape="\\"),
        )
    return PO.number.like(_escaped(po.number.strip()[:DOC_NUMBER_MAX]) + "%", escape="\\")


def _po(c: Candidate) -> PurchaseOrder:
    return PurchaseOrder(
        id=c.id, vendor_id=c.vendor_id, number=c.number, supplier_invoice_no=c.supplier_invoice_no
    )


def unmapped_lines(s: Session, po_ids: list[int]) -> dict[int, int]:
    """For each PO, its shown lines with no QuickBooks item — 0 for all when an expense account
    is chosen (those lines are booked to it)."""
    chosen = s.execute(
        select(func.count())
        .select_from(AccountingMapping)
        .where(
            AccountingMapping.__table__.c.kind == str(MappingKind.EXPENSE_ACCOUNT),
            AccountingMapping.__table__.c.record_kind == "",
        )
    ).scalar_one()
    if chosen or not po_ids:
        return {}
    rows = s.execute(
        select(LINE.po_id, func.count())
        .select_from(PurchaseOrderLine.__table__.outerjoin(Item.__table__, ITEM.id == LINE.item_id))
        .where(
            LINE.po_id.in_(po_ids),
            LINE.hidden.is_(False),
            or_(ITEM.qbo_item_id.is_(None), ITEM.id.is_(None)),
        )
        .group_by(LINE.po_id)
    ).all()
    return {po_id: n for po_id, n in rows}


def facts_for(s: Session, kind: UploadKind, pos: list[Candidate]) -> dict[int, RowFacts]:
    clashes = doc_clashes(s, kind, pos)
    unmapped = unmapped_lines(s, [p.id for p in pos])
    return {p.id: RowFacts(clashes.get(p.id, ()), unmapped.get(p.id, 0)) for p in pos}


def candidate(po: PurchaseOrder) -> Candidate:
    return Candidate(po.id or 0, po.vendor_id, po.number, po.supplier_invoice_no)
