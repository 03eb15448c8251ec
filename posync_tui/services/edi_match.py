"""Finding the PO and the PO line an inbound EDI message names, and what a page of interchanges
refers to (``Known``).

Lines are matched by the buyer's line reference (RFF+LI) first, then by MPN (PIA …:MF).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert
from sqlalchemy import select as rows_of
from sqlmodel import Session, col, select

from connectors.edifact.messages import DespatchAdvice, Interchange, Invoice
from posync_tui import audit
from posync_tui.db import update_each
from posync_tui.models import (
    Direction,
    DocumentStatus,
    EdiChargeType,
    EdiDocument,
    EdiPaymentTerms,
    Item,
    PoAmendment,
    PurchaseOrder,
    PurchaseOrderLine,
    Shipment,
    Vendor,
    VendorBill,
    saved_id,
)

SOURCE = "edi"  # the audit source of every change an EDI message makes


class ApplyError(ValueError):
    """A message that reads well but does not fit posync's records (unknown PO, unknown line,
    a duplicate document): nothing of its interchange is applied."""


class Lines:
    """A PO's lines with their items' MPNs, for matching."""

    def __init__(self, rows: Iterable[tuple[PurchaseOrderLine, Item | None]] = ()):
        self.lines: list[PurchaseOrderLine] = []
        self.mpn: dict[int | None, str | None] = {}
        for line, item in rows:
            self.add(line, item.mpn if item else None)

    def add(self, line: PurchaseOrderLine, mpn: str | None) -> None:
        self.lines.append(line)
        self.mpn[line.id] = mpn

    def match(self, buyer_line: int | None, mpn: str | None) -> PurchaseOrderLine | None:
        if buyer_line is not None:
            line_ref = str(buyer_line)
            for line in self.lines:
                if (line.buyer_line_ref or str(line.line_no)) == line_ref:
                    return line
            return None
        if mpn:
            for line in self.lines:
                if self.mpn.get(line.id) == mpn:
                    return line
        return None

    def matched(self, buyer_line: int | None, mpn: str | None, where: str) -> PurchaseOrderLine:
        line = self.match(buyer_line, mpn)
        if line is None:
            said = f"line reference {buyer_line}" if buyer_line is not None else f"MPN {mpn!r}"
            raise ApplyError(f"Unknown line: {where} names {said}, which is on no line of the PO")
        return line


@dataclass
class Logged:
    """An interchange's row of the document log (``edi_document``), as the page writes it."""

    id: int
    po_id: int | None = None
    set_aside: bool = False  # set aside (failed) by an earlier poll
    taken: bool = False  # applied or set aside by an earlier poll or re-process
    values: dict[str, Any] = field(default_factory=dict)  # what the page changes, written last


# Rows that point at a new row: their model, the column that points, the rows.
Children = tuple[Any, str, list[dict[str, Any]]]


class Known:
    """What a page of interchanges refers to, read up front in one query per kind rather than
    several per message: the senders' vendors, the POs named with their lines, the documents,
    despatch advices and invoices taken in before, the payment terms and charge types. The
    page's own messages are added as they apply, so a later one of the page sees an earlier.
    Its POs and lines are the session's records (written with the transaction); what the page
    only adds (log rows filled in, audit entries, amendments) is kept here and written by
    ``write``, a statement each for the whole page rather than ORM objects."""

    def __init__(self, s: Session, interchanges: Sequence[Interchange], hub_ids: Sequence[str]):
        senders = {i.sender for i in interchanges}
        messages = [m for i in interchanges for m in i.messages]
        numbers = {n for n in map(order_number, messages) if n}
        self.vendors = {
            v.gln: v for v in s.exec(select(Vendor).where(col(Vendor.gln).in_(senders)))
        }
        self.applied = {
            (sender, ref)
            for sender, ref in s.exec(
                select(EdiDocument.sender, EdiDocument.control_ref).where(
                    EdiDocument.direction == Direction.IN,
                    col(EdiDocument.sender).in_(senders),
                    col(EdiDocument.control_ref).in_({i.control_ref for i in interchanges}),
                    col(EdiDocument.status).in_(
                        (DocumentStatus.APPLIED, DocumentStatus.REPROCESSED)
                    ),
                )
            )
        }
        c = EdiDocument.__table__.c
        set_aside = and_(c.processed_at.is_not(None), c.status == DocumentStatus.FAILED)
        taken = c.processed_at.is_not(None)
        self.documents: dict[str | None, Logged] = {
            hub_id: Logged(id_, po_id, bool(again), bool(before))
            for hub_id, id_, po_id, again, before in s.connection().execute(
                rows_of(c.hub_id, c.id, c.po_id, set_aside, taken).where(
                    c.direction == Direction.IN, c.hub_id.in_(hub_ids)
                )
            )
        }
        self.changes: list[audit.Change] = []
        self.amendments: list[dict[str, Any]] = []
        self.inserts: list[tuple[Any, dict[str, Any], Sequence[Children]]] = []
        self.pos: dict[str, PurchaseOrder] = {}
        for po in s.exec(
            select(PurchaseOrder)
            .where(col(PurchaseOrder.number).in_(numbers))
            .order_by(col(PurchaseOrder.id))
        ):
            self.pos.setdefault(po.number, po)
        po_ids = [saved_id(po) for po in self.pos.values()]
        self.lines = {po_id: Lines() for po_id in po_ids}
        for line, item in s.exec(
            select(PurchaseOrderLine, Item)
            .join(Item, col(Item.id) == col(PurchaseOrderLine.item_id), isouter=True)
            .where(col(PurchaseOrderLine.po_id).in_(po_ids))
            .order_by(col(PurchaseOrderLine.po_id), col(PurchaseOrderLine.line_no))
        ):
            self.lines[line.po_id].add(line, item.mpn if item else None)
        self.despatches = set(
            s.exec(
                select(Shipment.po_id, Shipment.despatch_no).where(col(Shipment.po_id).in_(po_ids))
            ).all()
        )
        invoice_numbers = {m.number for m in messages if isinstance(m, Invoice)}
        self.invoices = set(
            s.exec(
                select(VendorBill.vendor_id, VendorBill.invoice_no).where(
                    col(VendorBill.invoice_no).in_(invoice_numbers)
                )
            ).all()
        )
        self._s = s
        self._terms: dict[str, EdiPaymentTerms] | None = None
        self._accounts: dict[str, str] | None = None

    def insert(self, model: Any, values: dict[str, Any], children: Sequence[Children] = ()) -> None:
        """A new row (a shipment, a bill) and the rows that point at it, written with the
        page's: nothing the page applies reads them back. Rows of a model have the same keys."""
        self.inserts.append((model, values, children))

    def write(self, now: datetime) -> None:
        """The page's log rows, new rows, audit entries and amendments, a statement or two
        each (its POs' and lines' changes are the session's)."""
        conn = self._s.connection()
        logged = [(d.id, d.values) for d in self.documents.values() if d.values]
        update_each(self._s, EdiDocument.__table__, logged)
        for model in dict.fromkeys(model for model, _, _ in self.inserts):
            made = [(values, children) for m, values, children in self.inserts if m is model]
            table = model.__table__
            ids = conn.execute(
                insert(table).returning(table.c.id, sort_by_parameter_order=True),
                [values for values, _ in made],
            ).scalars()
            rows: dict[Any, list[dict[str, Any]]] = {}
            for id_, (_, children) in zip(ids, made, strict=True):
                for child, column, child_rows in children:
                    rows.setdefault(child, []).extend(row | {column: id_} for row in child_rows)
            for child, child_rows in rows.items():
                insert_rows(self._s, child, child_rows)
        audit.record(conn, self.changes, source=SOURCE, at=now)
        insert_rows(self._s, PoAmendment, self.amendments)

    def po(self, vendor_id: int | None, number: str | None) -> PurchaseOrder:
        """The PO ``number`` (RFF+ON) of the sending vendor; ApplyError when posync has none."""
        if not number:
            raise ApplyError("The message names no PO (RFF+ON)")
        po = self.pos.get(number)
        if po is None or (vendor_id is not None and po.vendor_id != vendor_id):
            raise ApplyError(f"Unknown PO reference {number!r}: no such PO of this supplier")
        return po

    def terms(self, identifier: str) -> EdiPaymentTerms | None:
        if self._terms is None:
            self._terms = {t.identifier: t for t in self._s.exec(select(EdiPaymentTerms))}
        return self._terms.get(identifier)

    def accounts(self) -> dict[str, str]:
        """Charge type → expense account."""
        if self._accounts is None:
            self._accounts = charge_accounts(self._s)
        return self._accounts


def insert_rows(s: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """Rows nothing else in the transaction reads back, in one statement (no ORM objects)."""
    if rows:
        s.connection().execute(insert(table.__table__), rows)


def charge_accounts(s: Session) -> dict[str, str]:
    return {c.code: c.expense_account for c in s.exec(select(EdiChargeType)).all()}


def order_number(message: Any) -> str | None:
    """The PO a message names (RFF+ON; a despatch advice's may be on its lines only)."""
    if isinstance(message, DespatchAdvice) and not message.order_number:
        return next((line.order_number for line in message.lines if line.order_number), None)
    return getattr(message, "order_number", None)
