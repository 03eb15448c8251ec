"""Finding the PO and the PO line an inbound EDI message names.

Lines are matched by the buyer's line reference (RFF+LI) first, then by MPN (PIA …:MF).
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from posync_tui.models import Item, PurchaseOrder, PurchaseOrderLine

SOURCE = "edi"  # the audit source of every change an EDI message makes


class ApplyError(ValueError):
    """A message that reads well but does not fit posync's records (unknown PO, unknown line,
    a duplicate document): nothing of its interchange is applied."""


def find_po(s: Session, vendor_id: int | None, number: str | None) -> PurchaseOrder:
    """The PO ``number`` (RFF+ON) of the sending vendor; ApplyError when posync has none."""
    if not number:
        raise ApplyError("The message names no PO (RFF+ON)")
    po = s.exec(select(PurchaseOrder).where(PurchaseOrder.number == number)).first()
    if po is None or (vendor_id is not None and po.vendor_id != vendor_id):
        raise ApplyError(f"Unknown PO reference {number!r}: no such PO of this supplier")
    return po


class Lines:
    """A PO's lines with their items' MPNs, for matching."""

    def __init__(self, s: Session, po_id: int):
        rows = s.exec(
            select(PurchaseOrderLine, Item)
            .join(Item, col(Item.id) == col(PurchaseOrderLine.item_id), isouter=True)
            .where(PurchaseOrderLine.po_id == po_id)
            .order_by(col(PurchaseOrderLine.line_no))
        ).all()
        self.lines = [line for line, _ in rows]
        self.mpn = {line.id: (item.mpn if item else None) for line, item in rows}

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
