"""Small records for tests: a PO with one line, as the accounting tests need it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from posync_tui import events, leases, links
from posync_tui.leases import Fence
from posync_tui.models import OutboxMessage, PartnerLink, PurchaseOrder, PurchaseOrderLine


def add_po(
    db, vendor_id: int, number: str = "PO-0000001", *, order_date=date(2026, 11, 2), **fields
) -> int:
    """A PO of ten hex bolts at 12.00 (total 120.00); ``fields`` set any other PO field."""
    with db.session() as s:
        po = PurchaseOrder(
            number=number,
            vendor_id=vendor_id,
            order_date=order_date,
            total=Decimal("120.00"),
            line_count=1,
            **fields,
        )
        s.add(po)
        s.flush()
        s.add(
            PurchaseOrderLine(
                po_id=po.id,
                line_no=1,
                description="Hex bolts M8",
                quantity_ordered=Decimal(10),
                unit_cost=Decimal("12.00"),
            )
        )
        return po.id


def fence(db, name: str = "quickbooks", holder: str | None = None) -> Fence:
    """The lease of ``name`` for this process (or ``holder``), as the scheduler takes it."""
    return leases.acquire(db, name, holder or events.ORIGIN, ttl=600).fence()


def upload(
    db,
    po_id: int,
    kind: str = "bill",
    status: str = "failed",
    *,
    code: str | None = None,
    error: str | None = None,
) -> int:
    """A QuickBooks upload of the PO in ``status`` (e.g. refused with QuickBooks' code and
    message, as the Errors tabs show it); its outbox message's id."""
    with db.session() as s:
        po = s.get(PurchaseOrder, po_id)
        po.accounting_error_code, po.accounting_error = code, error
        message = OutboxMessage(
            connector="quickbooks",
            kind=kind,
            record_kind="purchase_order",
            record_id=po_id,
            idempotency_key=f"{db.installation_id()}:qbo:{kind}:{po_id}:test",
            status=status,
            error_code=code,
            last_error=error,
        )
        s.add(message)
        s.flush()
        return message.id


def upload_state(db, po_id: int) -> str | None:
    """Where the PO's upload stands: "waiting", "error", "decision", or None."""
    from posync_tui.services.po_accounting import current_upload

    with db.reader() as s:
        upload = current_upload(s, po_id)
    return upload[1] if upload else None


def uploaded(db, po_id: int, partner_kind: str, partner_id: str, doc_number: str) -> None:
    """The PO was made in QuickBooks as ``partner_kind`` ("Bill", "PurchaseOrder") earlier."""
    with db.session() as s:
        made = links.Made(po_id, partner_kind, partner_id, doc_number)
        links.link(s, "quickbooks", "purchase_order", [made])


def qbo_link(db, po_id: int) -> PartnerLink | None:
    """What the PO became in QuickBooks (its link), or None."""
    with db.reader() as s:
        return links.link_of(s, "quickbooks", "purchase_order", po_id)
