"""Snapshots of the Accounting screen's tabs at 80×24, on the fixed demo data set.

Two POs are put on the Errors tabs and one gets a supplier invoice number long enough that its
reference is cut to 21 characters for QuickBooks. Local time is UTC so times do not move.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from posync_tui.config import QuickBooksSettings, Settings
from posync_tui.demo_data import seed_demo
from posync_tui.models import AccountingDiscrepancy, PurchaseOrder
from tests import records
from tests.console import console_app, settled

pytestmark = pytest.mark.usefixtures("local_time_utc")

FIXED = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


def _edit(db, number: str, *, upload: tuple[str, str] | None = None, **fields) -> None:
    """Set fields of a PO; ``upload`` (kind, code): QuickBooks refused its upload."""
    with db.session() as s:
        po = s.exec(select(PurchaseOrder).where(PurchaseOrder.number == number)).one()
        for name, value in fields.items():
            setattr(po, name, value)
    if upload is not None:
        kind, code = upload
        records.upload(db, po.id, kind, code=code, error=fields["accounting_error"])


@pytest.fixture
def app(db):
    seed_demo(db, now=FIXED)
    _edit(db, "PO-0000007", supplier_invoice_no="SUPPLIER-INVOICE-2025-000123")
    _edit(
        db,
        "PO-0000001",
        upload=("bill", "6140"),
        accounting_error_code="6140",
        accounting_error="QuickBooks error 6140: QuickBooks already has a transaction with this "
        "reference number (DocNumber); change the supplier invoice number or the PO reference",
    )
    _edit(
        db,
        "PO-0000002",
        upload=("purchase_order", "2500"),
        accounting_error_code="2500",
        accounting_error="QuickBooks error 2500: it refers to a record QuickBooks does not know "
        "(VendorRef), such as a vendor, item or account that was deleted or made inactive",
    )
    settings = Settings(quickbooks=QuickBooksSettings(upload_pos_as_purchase_orders=False))
    return console_app(db, settings=settings)


def on_tab(key: str, *moves: str):
    async def run_before(pilot) -> None:
        await settled(pilot)
        await pilot.press("a")
        await settled(pilot)
        await pilot.press(key, *moves)
        await settled(pilot)

    return run_before


def test_purchases_supplier_invoices(app, snap_compare):
    # The cursor on the last reference, longer than QuickBooks' 21 characters.
    assert snap_compare(app, terminal_size=(80, 24), run_before=on_tab("1", "end"))


def test_purchases_purchase_orders_with_the_setting_off(app, snap_compare):
    assert snap_compare(app, terminal_size=(80, 24), run_before=on_tab("2"))


def test_errors_supplier_invoices(app, snap_compare):
    assert snap_compare(app, terminal_size=(80, 24), run_before=on_tab("3"))


def test_errors_purchase_orders(app, snap_compare):
    assert snap_compare(app, terminal_size=(80, 24), run_before=on_tab("4"))


def test_contacts(app, snap_compare):
    assert snap_compare(app, terminal_size=(80, 24), run_before=on_tab("5"))


def test_settings(app, snap_compare):
    # The demo's books: Cost of Goods Sold, the A/P account and Net 30 chosen; the rest not yet.
    assert snap_compare(app, terminal_size=(80, 24), run_before=on_tab("6"))


def test_discrepancies(app, db, snap_compare):
    # What a read-back found: a bill whose DocNumber an accountant changed, a deleted PO.
    with db.session() as s:
        first, second = s.exec(select(PurchaseOrder).order_by(PurchaseOrder.number).limit(2))
        s.add_all(
            [
                AccountingDiscrepancy(po_id=first.id, entity="Bill", qbo_id="1001",
                                      field="DocNumber", posync_value="INV-1/PO-0000001",
                                      qbo_value="INV-1 checked"),
                AccountingDiscrepancy(po_id=second.id, entity="PurchaseOrder", qbo_id="1002",
                                      field="state", posync_value="active",
                                      qbo_value="deleted"),
            ]
        )  # fmt: skip
    assert snap_compare(app, terminal_size=(80, 24), run_before=on_tab("7"))
