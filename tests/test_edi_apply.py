"""Inbound EDI (Onetrail seed): order responses, despatch advices and supplier invoices applied
to posync's records, each interchange whole or not at all."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from connectors.edifact.messages import (
    Charge,
    DespatchAdvice,
    DespatchLine,
    Invoice,
    InvoiceLine,
    OrderResponse,
    Package,
    PaymentTerms,
    ResponseLine,
)
from posync_tui.models import (
    AuditEntry,
    DocumentStatus,
    EdiChargeType,
    EdiDocument,
    EdiPaymentTerms,
    PoAmendment,
    PurchaseOrder,
    PurchaseOrderLine,
    Shipment,
    ShipmentLine,
    SyncNotification,
    VendorBill,
    VendorBillExpense,
    utcnow,
)
from posync_tui.services.edi_apply import apply_interchange
from posync_tui.services.edi_invoice import held_bill_of, release
from posync_tui.services.edi_match import ApplyError
from tests.edi_world import BUYER, SUPPLIER, edi_po, interchange


def response(code: str, *lines: ResponseLine) -> OrderResponse:
    return OrderResponse(
        "R1", code, "PO-0000100", date(2026, 11, 3), BUYER, SUPPLIER, lines, message_ref="M7"
    )


def take(db, *messages, control_ref="1001"):
    with db.session() as s:
        return apply_interchange(
            s,
            interchange(*messages, control_ref=control_ref),
            "UNB...",
            f"h{control_ref}",
            utcnow(),
        ).id


def lines(db, po_id):
    with db.reader() as s:
        return s.exec(
            select(PurchaseOrderLine)
            .where(PurchaseOrderLine.po_id == po_id)
            .order_by(PurchaseOrderLine.line_no)
        ).all()


@pytest.mark.parametrize(
    ("header", "line_code", "po_status", "line_status"),
    [
        ("29", "5", "Accepted", "Accepted"),
        ("4", "3", "Changed and Accepted", "Changed and Accepted"),
        ("30", "6", "Changed and Accepted", "Changed and Accepted"),
        ("27", "7", "Rejected", "Rejected"),
        ("3", "2", "Deleted", "Deleted"),
    ],
)
def test_each_accept_status_lands_on_the_po_and_its_lines(
    any_db, header, line_code, po_status, line_status
):
    po_id = edi_po(any_db)
    take(
        any_db,
        response(
            header,
            ResponseLine(1, line_code, buyer_line=1, quantity=Decimal(10)),
            ResponseLine(2, line_code, buyer_line=2, quantity=Decimal(4)),
        ),
    )
    with any_db.reader() as s:
        assert s.get(PurchaseOrder, po_id).edi_accept_status == po_status
    got = lines(any_db, po_id)
    assert [line.edi_accept_status for line in got] == [line_status, line_status]
    assert len(got) == 2  # Rejected and Deleted lines are never deleted


def test_supplier_changes_are_amendments_with_audit_and_an_added_line_is_added(any_db):
    po_id = edi_po(any_db)
    take(
        any_db,
        response(
            "4",
            ResponseLine(
                1,
                "3",
                buyer_line=1,
                quantity=Decimal(8),
                price=Decimal("11.50"),
                delivery_date=date(2026, 11, 20),
            ),
            ResponseLine(2, "5", mpn="MS-5", quantity=Decimal(4)),  # matched by MPN
            ResponseLine(3, "1", mpn="CBL-1", quantity=Decimal(2), price=Decimal("3")),
        ),
    )
    got = lines(any_db, po_id)
    assert [line.edi_accept_status for line in got] == [
        "Changed and Accepted",
        "Accepted",
        "Added",
    ]
    assert got[0].quantity_confirmed == 8 and got[0].unit_cost == Decimal("11.50")
    assert got[2].quantity_ordered == 2 and got[2].missing_item
    with any_db.reader() as s:
        amendments = s.exec(select(PoAmendment).order_by(PoAmendment.id)).all()
        history = s.exec(select(AuditEntry).where(AuditEntry.po_id == po_id)).all()
    assert [(a.field, a.old_value, a.new_value, a.message_ref) for a in amendments] == [
        ("quantity", "10", "8", "M7"),
        ("unit_cost", "12", "11.5", "M7"),
        ("expected_date", None, "2026-11-20", "M7"),
        ("line", None, "added: CBL-1 × 2", "M7"),
    ]
    assert {"quantity", "unit_cost", "expected_date", "edi_accept_status"} <= {
        h.field for h in history
    }
    assert all(h.source == "edi" for h in history)


def test_split_lines_are_summed(any_db):
    po_id = edi_po(any_db)
    take(
        any_db,
        response(
            "29",
            ResponseLine(1, "5", buyer_line=1, quantity=Decimal(6)),
            ResponseLine(
                2, "6", buyer_line=1, quantity=Decimal(4), delivery_date=date(2026, 12, 1)
            ),
        ),
    )
    first = lines(any_db, po_id)[0]
    assert first.quantity_confirmed == 10
    assert first.edi_accept_status == "Changed and Accepted"


def test_unknown_line_or_po_applies_nothing(any_db):
    po_id = edi_po(any_db)
    with pytest.raises(ApplyError, match="Unknown line"):
        take(
            any_db,
            response(
                "4",
                ResponseLine(1, "3", buyer_line=1, quantity=Decimal(1)),
                ResponseLine(2, "5", buyer_line=9, quantity=Decimal(1)),
            ),
        )
    assert lines(any_db, po_id)[0].quantity_confirmed is None
    other = OrderResponse("R2", "29", "PO-9", date(2026, 11, 3), BUYER, SUPPLIER)
    with pytest.raises(ApplyError, match="Unknown PO reference"):
        take(any_db, other)
    with any_db.reader() as s:
        assert s.exec(select(PoAmendment)).all() == []
        assert s.exec(select(EdiDocument)).all() == []


def despatch(number, *lines, tracking=("1Z999",)):
    return DespatchAdvice(
        number,
        date(2026, 11, 4),
        SUPPLIER,
        BUYER,
        (Package("1", tuple(lines), tracking=tracking),),
        order_number="PO-0000100",
        despatched=date(2026, 11, 4),
    )


@pytest.mark.parametrize(
    ("drop_ship", "kind"), [(False, "Item Receipt"), (True, "Item Fulfilment")]
)
def test_a_despatch_is_a_receipt_or_a_fulfilment_with_serials_and_tracking(any_db, drop_ship, kind):
    po_id = edi_po(any_db, drop_ship=drop_ship)
    take(any_db, despatch("D1", DespatchLine(1, Decimal(2), buyer_line=1, serials=("S1", "S2"))))
    with any_db.reader() as s:
        shipment = s.exec(select(Shipment)).one()
        line = s.exec(select(ShipmentLine)).one()
    assert shipment.kind == kind and shipment.tracking_numbers == "1Z999"
    assert line.serials == "S1\nS2" and line.quantity == 2
    first = lines(any_db, po_id)[0]
    assert first.quantity_despatched == 2
    assert first.quantity_received == (0 if drop_ship else 2)


def test_partial_shipments_add_up_and_an_over_despatch_is_flagged(any_db):
    po_id = edi_po(any_db)
    take(any_db, despatch("D1", DespatchLine(1, Decimal(6), buyer_line=1)), control_ref="1")
    take(any_db, despatch("D2", DespatchLine(1, Decimal(4), buyer_line=1)), control_ref="2")
    assert lines(any_db, po_id)[0].quantity_received == 10
    take(any_db, despatch("D3", DespatchLine(1, Decimal(1), buyer_line=1)), control_ref="3")
    assert lines(any_db, po_id)[0].quantity_received == 10  # not silently accepted
    with any_db.reader() as s:
        flagged = s.exec(select(Shipment).where(Shipment.despatch_no == "D3")).one()
        note = s.exec(select(SyncNotification)).one()
    assert flagged.over_despatch == "line 1: 1 despatched, 0 open"
    assert "D3 ships more than is open" in note.message


def invoice(*charges, terms="5:3:D:30", due=date(2026, 12, 5)):
    return Invoice(
        "INV-1",
        date(2026, 11, 5),
        SUPPLIER,
        BUYER,
        "EUR",
        (
            InvoiceLine(
                1,
                Decimal(10),
                Decimal("11.50"),
                Decimal("115.00"),
                buyer_line=1,
                tax_rate=Decimal(21),
                tax_amount=Decimal("24.15"),
            ),
        ),
        order_number="PO-0000100",
        due=due,
        charges=charges,
        terms=PaymentTerms(identifier=terms) if terms else None,
    )


def test_a_bill_with_freight_booked_to_its_charge_type_and_terms_matched(any_db):
    po_id = edi_po(any_db)
    with any_db.session() as s:
        s.add(EdiChargeType(code="FC", name="Freight", expense_account="6100 Freight"))
        s.add(
            EdiPaymentTerms(
                identifier="5:3:D:30",
                terms="2% 10 Net 30",
                discount_percent=Decimal(2),
                discount_days=10,
            )
        )
    take(any_db, invoice(Charge("FC", Decimal("9.50"))))
    with any_db.reader() as s:
        bill = s.exec(select(VendorBill)).one()
        expense = s.exec(select(VendorBillExpense)).one()
        po = s.get(PurchaseOrder, po_id)
    assert bill.status == "open" and bill.subtotal == Decimal("124.50")
    assert bill.tax == Decimal("24.15")
    assert (expense.charge_code, expense.account, expense.amount) == (
        "FC",
        "6100 Freight",
        Decimal("9.50"),
    )
    assert bill.discount_percent == 2 and bill.discount_date == date(2026, 11, 15)
    assert bill.due_date == date(2026, 12, 5)  # the invoice's, not the terms'
    # What the QuickBooks upload reads: the invoice's number, date and rate on the PO.
    assert (po.supplier_invoice_no, po.invoice_date) == ("INV-1", date(2026, 11, 5))
    assert lines(any_db, po_id)[0].unit_cost == Decimal("11.50")


def test_an_unknown_charge_type_holds_the_bill_with_a_notification_until_released(any_db):
    po_id = edi_po(any_db)
    document_id = take(any_db, invoice(Charge("HD", Decimal("5"))))
    with any_db.reader() as s:
        bill = s.exec(select(VendorBill)).one()
        note = s.exec(select(SyncNotification)).one()
        assert s.get(PurchaseOrder, po_id).supplier_invoice_no is None
    assert bill.status == "held" and "unknown charge type HD" in note.message
    assert held_bill_of(any_db, document_id) == bill.id  # t on its document releases it
    with pytest.raises(ValueError, match="Set up charge type HD"):
        release(any_db, bill.id)
    with any_db.session() as s:
        s.add(EdiChargeType(code="HD", name="Handling", expense_account="6200"))
    assert release(any_db, bill.id) == "Bill INV-1 released"
    with any_db.reader() as s:
        assert s.get(PurchaseOrder, po_id).supplier_invoice_no == "INV-1"


def test_unrecognised_terms_invent_none(any_db):
    edi_po(any_db)
    take(any_db, invoice(terms="ZZ"))
    with any_db.reader() as s:
        bill = s.exec(select(VendorBill)).one()
    assert (bill.terms_id, bill.terms_identifier, bill.discount_percent) == (None, "ZZ", 0)
    assert bill.due_date == date(2026, 12, 5)


def test_the_same_interchange_twice_is_refused(any_db):
    edi_po(any_db)
    take(any_db, response("29", ResponseLine(1, "5", buyer_line=1)))
    with pytest.raises(ApplyError, match="taken in already"):
        take(any_db, response("29", ResponseLine(1, "5", buyer_line=1)))
    with any_db.reader() as s:
        assert [d.status for d in s.exec(select(EdiDocument)).all()] == [DocumentStatus.APPLIED]
