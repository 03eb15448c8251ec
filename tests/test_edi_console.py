"""The EDI flow in the console (Onetrail seed): Save & Submit Electronically on the PO, its
validation failures listed, the Amendments tab and the lines' accept statuses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import select
from textual.widgets import Checkbox, DataTable, Input, Select, Static, TabbedContent

from connectors.edifact import OrderResponse, ResponseLine
from posync_tui.models import Item, OutboxMessage, PurchaseOrder, Vendor, utcnow
from posync_tui.services.edi_apply import apply_interchange
from screens.form import FieldError
from screens.po_detail import PurchaseOrderDetail
from tests.console import console_app, settled
from tests.edi_world import BUYER, SUPPLIER, edi_po, interchange


def fresh_po(db) -> int:
    po_id = edi_po(db)
    with db.session() as s:
        s.get(PurchaseOrder, po_id).edi_submit_status = None
    return po_id


async def open_po(pilot, po_id: int) -> PurchaseOrderDetail:
    await settled(pilot)
    pilot.app.open_purchase_order(po_id)
    await settled(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, PurchaseOrderDetail)
    return screen


def hint(screen) -> str:
    return str(screen.query_one("#hint", Static).render())


async def test_save_and_submit_queues_the_order_and_shows_submitting(db):
    po_id = fresh_po(db)
    async with console_app(db).run_test(size=(80, 24)) as pilot:
        screen = await open_po(pilot, po_id)
        assert screen.query_one(TabbedContent).query("#edi-tab")
        await pilot.press("S")
        await settled(pilot)
        assert "Submitting" in hint(screen)
        summary = str(screen.query_one("#edi-summary", Static).render())
        assert "Submit status: Submitting" in summary
    with db.reader() as s:
        assert s.exec(select(OutboxMessage)).one().connector == "edi_hub"


async def test_every_validation_failure_is_listed(db):
    po_id = fresh_po(db)
    with db.session() as s:
        s.exec(select(Vendor)).one().gln = None
        s.exec(select(Item).where(Item.sku == "KB-200")).one().mpn = None
        s.get(PurchaseOrder, po_id).special_bid_reference = "BID-1"
    async with console_app(db).run_test(size=(80, 24)) as pilot:
        screen = await open_po(pilot, po_id)
        await pilot.press("S")
        await settled(pilot)
        said = hint(screen)
    assert said.startswith("Cannot submit:")
    for problem in (
        "Vendor EURO has no GLN.",
        "Line 1: item KB-200 has no MPN.",
        "A Special Bid/Deal Reference needs the Special Order Type.",
    ):
        assert problem in said
    with db.reader() as s:
        assert s.exec(select(OutboxMessage)).all() == []
        assert s.get(PurchaseOrder, po_id).edi_submit_status is None


def answered(db) -> None:
    response = OrderResponse(
        "R1",
        "4",
        "PO-0000100",
        date(2026, 11, 3),
        BUYER,
        SUPPLIER,
        (
            ResponseLine(1, "3", buyer_line=1, quantity=Decimal(8)),
            ResponseLine(2, "7", buyer_line=2),
            ResponseLine(3, "1", mpn="CBL-1", quantity=Decimal(2), price=Decimal(3)),
        ),
        message_ref="M7",
    )
    with db.session() as s:
        apply_interchange(s, interchange(response), "UNB…", "h1", utcnow())


async def test_the_amendments_tab_and_the_lines_accept_statuses(db):
    po_id = edi_po(db)
    answered(db)
    async with console_app(db).run_test(size=(80, 24)) as pilot:
        screen = await open_po(pilot, po_id)
        tabs = screen.query_one(TabbedContent)
        assert str(tabs.get_tab("amendments-tab").label) == "Amendments (2)"
        lines = screen.query_one("#edi-lines", DataTable)
        statuses = [str(lines.get_row_at(i)[-1]) for i in range(lines.row_count)]
        assert statuses == ["Changed and Accepted", "Rejected", "Added"]
        table = screen.query_one("#amendments", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
    assert sorted((r[2], r[3], r[4]) for r in rows) == [
        ("line", "— → added: CBL-1 × 2", "M7"),
        ("quantity", "10 → 8", "M7"),
    ]


async def test_the_edi_documents_area_shows_a_failed_one_and_its_raw_text(db):
    from posync_tui.services.edi_apply import log_failure
    from screens.edi_documents import RawDocument

    edi_po(db)
    answered(db)
    with db.session() as s:
        log_failure(s, "UNB+UNOC:3+X'\x1b[31m", "h2", "no UNZ", "segment 2 (UNH)", utcnow())
    async with console_app(db).run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await pilot.press("d")
        await settled(pilot)
        body = pilot.app.screen.body
        assert body.table.cursor_row.data["status"] == "failed"  # newest first
        error = str(pilot.app.screen.query_one("#error", Static).render())
        assert "no UNZ at segment 2 (UNH)" in error
        await pilot.press("enter")
        await settled(pilot)
        assert isinstance(pilot.app.screen, RawDocument)
        raw = str(pilot.app.screen.query_one("#raw", Static).render())
        assert "\x1b" not in raw  # shown through safe text


async def new_po_form(pilot):
    from tests.test_po_form import open_form, pick, type_in

    form = await open_form(pilot)
    await pick(pilot, form, "vendor", "EURO")
    line = form.query_one("#line-1-item", Input)
    assert line is not None
    await pick(pilot, form, "line-1-item", "KB-200")
    await type_in(pilot, form, "line-1-quantity", "3")
    return form


async def test_new_po_save_and_submit_electronically(db):
    edi_po(db)
    async with console_app(db).run_test(size=(80, 24)) as pilot:
        form = await new_po_form(pilot)
        form.query_one("#allow_partial", Checkbox).value = True
        await pilot.press("ctrl+e")
        await settled(pilot)
        assert not isinstance(pilot.app.screen, type(form))
    with db.reader() as s:
        po = s.exec(select(PurchaseOrder).order_by(PurchaseOrder.id.desc())).first()
        message = s.exec(select(OutboxMessage)).one()
    assert po.number != "PO-0000100" and po.edi_submit_status == "Submitting"
    assert po.allow_partial_shipments and message.record_id == po.id


async def test_new_po_save_and_submit_lists_every_failure_and_saves_nothing(db):
    edi_po(db)
    with db.session() as s:
        s.exec(select(Vendor)).one().edi_enabled = False
        s.exec(select(Item).where(Item.sku == "KB-200")).one().mpn = None
    async with console_app(db).run_test(size=(80, 24)) as pilot:
        form = await new_po_form(pilot)
        form.query_one("#special_order_type", Select).value = "Special Deal"
        await pilot.press("ctrl+e")
        await settled(pilot)
        said = form.query_one("#form-error", FieldError).message
    assert said == (
        "Cannot submit: Vendor EURO is not enabled for EDI. Line 1: item KB-200 has no MPN. "
        "Special Deal pricing needs the Special Bid/Deal Reference."
    )
    with db.reader() as s:
        assert len(s.exec(select(PurchaseOrder)).all()) == 1


async def test_new_po_special_pricing_without_its_reference_is_refused_at_the_field(db):
    edi_po(db)
    async with console_app(db).run_test(size=(80, 24)) as pilot:
        form = await new_po_form(pilot)
        form.query_one("#special_order_type", Select).value = "Special Bid"
        await pilot.press("ctrl+s")
        await settled(pilot)
        said = form.query_one("#special_bid_reference-error", FieldError).message
        assert pilot.app.screen is form
    assert said == "Special Bid pricing needs the Special Bid/Deal Reference"
    with db.reader() as s:
        assert len(s.exec(select(PurchaseOrder)).all()) == 1


async def test_new_po_is_not_saved_half_way_when_its_edi_fields_fail(db, monkeypatch):
    from posync_tui.services import edi_po as edi_po_service

    def fails(*_args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(edi_po_service, "apply_fields", fails)
    edi_po(db)
    async with console_app(db).run_test(size=(80, 24)) as pilot:
        form = await new_po_form(pilot)
        form.query_one("#allow_partial", Checkbox).value = True
        await pilot.press("ctrl+s")
        await settled(pilot)
        said = form.query_one("#form-error", FieldError).message
    assert said == "Not saved: disk full"
    with db.reader() as s:
        assert len(s.exec(select(PurchaseOrder)).all()) == 1


async def test_new_po_special_pricing_error_clears_when_its_type_is_chosen(db):
    edi_po(db)
    async with console_app(db).run_test(size=(80, 24)) as pilot:
        form = await new_po_form(pilot)
        form.query_one("#special_bid_reference", Input).value = "BID-1"
        await pilot.press("ctrl+s")
        await settled(pilot)
        error = form.query_one("#special_order_type-error", FieldError)
        assert error.message == "A Special Bid/Deal Reference needs the Special Order Type"
        form.query_one("#special_order_type", Select).value = "Special Bid"
        await settled(pilot)
        assert error.message == ""
