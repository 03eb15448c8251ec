"""Checks made before anything is sent to QuickBooks that look beyond the PO itself.

- Two POs whose references cut to the same 21-character DocNumber: QuickBooks would refuse the
  second with 6140 after it was sent (bills: per vendor; purchase orders: per company, as
  QuickBooks keeps them unique), so both are flagged in their queue rows before either goes.
- Lines with no QuickBooks item while no expense account is chosen on Accounting › Settings.

Each check is one SQL condition on ``purchase_order`` (``CLASHES[kind]``, ``UNMAPPED``): the
ready count puts them in its WHERE (``CHECKS_PASS``), and ``facts_for`` reads, for a page of
rows, the same conditions' details (the other POs' numbers, the unmapped lines) — so the queue
row, the PO's verdict, the upload and the count never disagree.
"""

from __future__ import annotations

from sqlalchemy import and_, case, exists, func, not_, or_, select, tuple_
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select

from posync_tui.models import (
    AccountingMapping,
    Item,
    MappingKind,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
)
from posync_tui.services.accounting_rules import DOC_NUMBER_MAX, RowFacts, UploadKind

PO = PurchaseOrder.__table__.c
LINE = PurchaseOrderLine.__table__.c
ITEM = Item.__table__.c
MAPPING = AccountingMapping.__table__.c
ASKED = PurchaseOrder.__table__.alias("asked_po").c
_CHUNK = 500  # ids per IN (...) list


def doc_number(kind: UploadKind, c=PO) -> ColumnElement:
    """``qbo_doc_number(reference_for(po, kind))`` in SQL: the reference cut to 21 characters
    (a bill's: the supplier invoice number, then the PO's number, joined by "/")."""
    number: ColumnElement = func.trim(c.number)
    reference: ColumnElement
    if kind == UploadKind.PURCHASE_ORDER:
        reference = number
    else:
        invoice = func.trim(func.coalesce(c.supplier_invoice_no, ""))
        reference = case(
            (invoice == "", number),
            (number == "", invoice),
            else_=invoice.op("||")("/").op("||")(number),
        )
    return func.substr(reference, 1, DOC_NUMBER_MAX)


def _scope(kind: UploadKind, c=PO) -> tuple[ColumnElement, ...]:
    """What must be unique in QuickBooks: a bill's DocNumber per vendor, a purchase order's
    per company (``c``: the columns of ``purchase_order`` or of an alias of it)."""
    doc = doc_number(kind, c)
    return (c.vendor_id, doc) if kind == UploadKind.BILL else (doc,)


def _shared(kind: UploadKind) -> Select:
    """The DocNumbers (in their scope) that two POs not cancelled would both send."""
    # An alias: a subquery on the table itself would be correlated with the outer query.
    other = PurchaseOrder.__table__.alias("other_po").c
    scope = _scope(kind, other)
    return (
        select(*scope)
        .where(other.status != POStatus.CANCELLED, doc_number(kind, other) != "")
        .group_by(*scope)
        .having(func.count() > 1)
    )


# A PO not cancelled whose DocNumber another PO not cancelled would send too.
CLASHES = {kind: tuple_(*_scope(kind)).in_(_shared(kind)) for kind in UploadKind}

EXPENSE_ACCOUNT_CHOSEN: ColumnElement = exists().where(
    MAPPING.kind == str(MappingKind.EXPENSE_ACCOUNT), MAPPING.record_kind == ""
)
_LINES = PurchaseOrderLine.__table__.outerjoin(Item.__table__, ITEM.id == LINE.item_id)
# A shown line with no QuickBooks item (booked to the expense account, when one is chosen).
UNMAPPED_LINE: ColumnElement = and_(
    LINE.hidden.is_(False), or_(ITEM.qbo_item_id.is_(None), ITEM.id.is_(None))
)
UNMAPPED: ColumnElement = and_(
    not_(EXPENSE_ACCOUNT_CHOSEN),
    exists(select(LINE.id).select_from(_LINES).where(LINE.po_id == PO.id, UNMAPPED_LINE)),
)


def checks_pass(kind: UploadKind) -> ColumnElement:
    """The POs that pass every check here (the ready count's share of the rules)."""
    return and_(not_(CLASHES[kind]), not_(UNMAPPED))


def doc_clashes(s: Session, kind: UploadKind, po_ids: list[int]) -> dict[int, tuple[str, ...]]:
    """For each PO, the numbers of the other POs (not cancelled) that send its DocNumber."""
    scope = _scope(kind)
    found: dict[int, tuple[str, ...]] = {}
    for start in range(0, len(po_ids), _CHUNK):
        chunk = po_ids[start : start + _CHUNK]
        asked = {
            pid: tuple(key)
            for pid, *key in s.execute(
                select(PO.id, *scope).where(PO.id.in_(chunk), doc_number(kind) != "")
            )
        }
        sharing: dict[tuple, list[tuple[int, str]]] = {}
        for pid, number, *key in s.execute(
            select(PO.id, PO.number, *scope).where(
                PO.status != POStatus.CANCELLED,
                tuple_(*scope).in_(select(*_scope(kind, ASKED)).where(ASKED.id.in_(list(asked)))),
            )
        ):
            sharing.setdefault(tuple(key), []).append((pid, number))
        for pid, mine in asked.items():
            others = sorted(number for other, number in sharing.get(mine, []) if other != pid)
            if others:
                found[pid] = tuple(others)
    return found


def unmapped_lines(s: Session, po_ids: list[int]) -> dict[int, int]:
    """For each PO, its shown lines with no QuickBooks item — none when an expense account is
    chosen (those lines are booked to it)."""
    if not po_ids or s.execute(select(EXPENSE_ACCOUNT_CHOSEN)).scalar_one():
        return {}
    found: dict[int, int] = {}
    for start in range(0, len(po_ids), _CHUNK):
        query = (
            select(LINE.po_id, func.count())
            .select_from(_LINES)
            .where(LINE.po_id.in_(po_ids[start : start + _CHUNK]), UNMAPPED_LINE)
            .group_by(LINE.po_id)
        )
        found.update((po_id, n) for po_id, n in s.execute(query))
    return found


def facts_for(s: Session, kind: UploadKind, po_ids: list[int]) -> dict[int, RowFacts]:
    """The checks' details for these POs (two queries a chunk)."""
    clashes = doc_clashes(s, kind, po_ids)
    unmapped = unmapped_lines(s, po_ids)
    return {i: RowFacts(clashes.get(i, ()), unmapped.get(i, 0)) for i in po_ids}
