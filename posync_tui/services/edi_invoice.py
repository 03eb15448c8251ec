"""Supplier invoices (INVOIC, Onetrail seed): a Vendor Bill made from the original PO.

The line items, rates and tax come from the invoice. A charge (freight, packing…) becomes an
expense line booked to its charge type's account when the charge type is set up; otherwise the
bill is HELD, with a notification naming the unknown charge type, until it is set up and the
bill released (``release``). Payment terms are matched by the supplier's identifier so that
the discount applies; an identifier posync does not know is kept as sent and no terms are
invented. The due date is always the invoice's.

An open bill also fills in the PO's supplier invoice number, invoice date and line rates, so
that the existing QuickBooks upload queue (Cin7 seed) sends the bill as the supplier invoiced
it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from connectors.edifact.messages import Invoice
from posync_tui import audit
from posync_tui.db import Database
from posync_tui.events import note_change
from posync_tui.models import (
    BillStatus,
    NotificationKind,
    PurchaseOrder,
    PurchaseOrderLine,
    SyncNotification,
    VendorBill,
    VendorBillExpense,
    VendorBillLine,
    saved_id,
    utcnow,
)
from posync_tui.services.edi_match import (
    SOURCE,
    ApplyError,
    Known,
    charge_accounts,
)


def apply_invoice(
    s: Session,
    known: Known,
    vendor_id: int | None,
    invoice: Invoice,
    document_id: int | None,
    now: datetime,
) -> int:
    """Make the Vendor Bill of a supplier invoice; the PO's id. ApplyError: nothing applied."""
    po = known.po(vendor_id, invoice.order_number)
    if (po.vendor_id, invoice.number) in known.invoices:
        raise ApplyError(f"Invoice {invoice.number} was taken in already")
    known.invoices.add((po.vendor_id, invoice.number))
    lines = known.lines[saved_id(po)]
    matched = [
        (lines.matched(il.buyer_line, il.mpn, f"invoice line {il.line_no or n}"), il)
        for n, il in enumerate(invoice.lines, start=1)
    ]
    subtotal = sum((il.amount for _, il in matched), Decimal(0)) + sum(
        (c.amount for c in invoice.charges), Decimal(0)
    )
    tax = (
        invoice.totals.tax
        if invoice.totals
        else sum((il.tax_amount or Decimal(0) for il in invoice.lines), Decimal(0))
    )
    identifier = invoice.terms.identifier if invoice.terms else None
    terms = known.terms(identifier) if identifier else None
    bill = {
        "created_at": now,
        "po_id": saved_id(po),
        "vendor_id": po.vendor_id,
        "invoice_no": invoice.number,
        "invoice_date": invoice.issued,
        "due_date": invoice.due,
        "currency": invoice.currency,
        "terms_identifier": identifier,
        "terms_id": terms.id if terms else None,
        "discount_percent": terms.discount_percent if terms else Decimal(0),
        "discount_date": invoice.issued + timedelta(days=terms.discount_days)
        if terms and terms.discount_percent
        else None,
        "subtotal": subtotal,
        "tax": tax,
        "total": subtotal + tax,
        "document_id": document_id,
        "status": BillStatus.OPEN,
        "held_reason": None,
    }
    accounts = known.accounts()
    unknown = sorted({c.code for c in invoice.charges if c.code not in accounts})
    if unknown:
        bill |= _hold(s, po, invoice.number, unknown, now)
    bill_lines = [
        {
            "po_line_id": saved_id(line),
            "quantity": il.quantity,
            "rate": il.price,
            "amount": il.amount,
            "tax_rate": il.tax_rate or Decimal(0),
            "tax": il.tax_amount or Decimal(0),
        }
        for line, il in matched
    ]
    expenses = [
        {
            "charge_code": charge.code,
            "account": accounts.get(charge.code),
            "amount": charge.amount,
        }
        for charge in invoice.charges
    ]
    known.insert(
        VendorBill,
        bill,
        [(VendorBillLine, "bill_id", bill_lines), (VendorBillExpense, "bill_id", expenses)],
    )
    if not unknown:
        rates = [(line, il.price) for line, il in matched]
        known.changes += _to_po(po, invoice.number, invoice.issued, invoice.due, rates, now)
    return saved_id(po)


def release(db: Database, bill_id: int) -> str:
    """Release a held bill once its charge types are set up; what it did in plain words.

    ValueError names the charge types still unknown."""
    with db.session() as s:
        bill = s.get_one(VendorBill, bill_id)
        if bill.status != BillStatus.HELD:
            return f"Bill {bill.invoice_no} is not held"
        accounts = charge_accounts(s)
        expenses = s.exec(select(VendorBillExpense).where(VendorBillExpense.bill_id == bill_id))
        unknown = []
        for expense in expenses:
            expense.account = accounts.get(expense.charge_code)
            if expense.account is None:
                unknown.append(expense.charge_code)
        if unknown:
            raise ValueError(f"Set up charge type {', '.join(sorted(set(unknown)))} first")
        po = s.get_one(PurchaseOrder, bill.po_id)
        bill_lines = s.exec(select(VendorBillLine).where(VendorBillLine.bill_id == bill_id)).all()
        rates = [(s.get_one(PurchaseOrderLine, bl.po_line_id), bl.rate) for bl in bill_lines]
        bill.status, bill.held_reason = BillStatus.OPEN, None
        now = utcnow()
        changes = _to_po(po, bill.invoice_no, bill.invoice_date, bill.due_date, rates, now)
        audit.record(s, changes, source=SOURCE, at=now)
        note_change(s, "purchase_order", [saved_id(po)])
        return f"Bill {bill.invoice_no} released"


def held_bill_of(db: Database, document_id: int) -> int | None:
    """The held bill an inbound invoice made, if any (what ``release`` takes)."""
    with db.reader() as s:
        return s.exec(
            select(VendorBill.id).where(
                VendorBill.document_id == document_id, VendorBill.status == BillStatus.HELD
            )
        ).first()


def _hold(
    s: Session, po: PurchaseOrder, invoice_no: str, unknown: list[str], now
) -> dict[str, Any]:
    """A notification of the unknown charge types; the bill's columns that hold it."""
    codes = ", ".join(unknown)
    s.add(
        SyncNotification(
            created_at=now,
            kind=NotificationKind.SYNC_ERROR,
            vendor_id=po.vendor_id,
            po_id=po.id,
            message=(
                f"PO {po.number}: invoice {invoice_no} is held: unknown charge type "
                f"{codes}. Set it up under EDI setup, then release the bill"
            ),
        )
    )
    return {
        "status": BillStatus.HELD,
        "held_reason": f"Unknown charge type {codes}: set it up, then release the bill",
    }


def _to_po(
    po: PurchaseOrder,
    invoice_no: str,
    invoice_date: date,
    due_date: date | None,
    rates: list[tuple[PurchaseOrderLine, Decimal]],
    now: datetime,
) -> list[audit.Change]:
    """The invoice's number, dates and rates on the PO, as the QuickBooks upload reads them
    (its due date is the bill's DueDate); the changes, for the audit log."""
    po_id = saved_id(po)
    changes = audit.changed(
        po,
        {
            "supplier_invoice_no": invoice_no,
            "invoice_date": invoice_date,
            "invoice_due_date": due_date,
        },
        record_kind="purchase_order",
        po_id=po_id,
    )
    for line, rate in rates:
        changes += audit.changed(
            line, {"unit_cost": rate}, record_kind="purchase_order_line", po_id=po_id
        )
    po.updated_at = now
    return changes
