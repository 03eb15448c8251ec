"""The PO's EDI tab (Onetrail seed): the EDI fields edited on an existing PO until it is
submitted, and a line's item MPN set from it (the fix when Save & Submit says an item has none).
The EDI setup screen lists the items an EDI order needs an MPN for that have none."""

from __future__ import annotations

from sqlmodel import select
from textual.widgets import DataTable, Input, Select, Static, TabbedContent

from posync_tui.events import note_change
from posync_tui.models import AuditEntry, Item, PurchaseOrder
from screens.edi_setup import EdiSetup, MpnForm
from screens.form import FieldError
from screens.po_edi_fields import EdiFieldsForm
from tests.console import console_app, settled
from tests.edi_world import edi_po
from tests.test_edi_console import fresh_po, hint, open_po
from tests.waiting import until


async def edi_tab(pilot, po_id: int):
    screen = await open_po(pilot, po_id)
    tabs = screen.query_one(TabbedContent)
    while tabs.active != "edi-tab":
        await pilot.press("t")
    await settled(pilot)
    return screen


def summary(screen) -> str:
    return str(screen.query_one("#edi-summary", Static).render())


async def test_the_edi_fields_are_edited_on_an_existing_po(db):
    po_id = fresh_po(db)
    async with console_app(db).run_test(size=(80, 24)) as pilot:
        screen = await edi_tab(pilot, po_id)
        assert hint(screen) == ""  # not what the Accounting tab's cursor was on, passing by
        await pilot.press("E")
        await settled(pilot)
        form = pilot.app.screen
        assert isinstance(form, EdiFieldsForm)
        form.query_one("#special_order_type", Select).value = "Special Bid"
        await pilot.press("ctrl+s")  # the reference is missing: refused at its field
        await settled(pilot)
        said = form.query_one("#special_bid_reference-error", FieldError).message
        assert said == "Special Bid pricing needs the Special Bid/Deal Reference"
        form.query_one("#special_bid_reference", Input).value = "BID-42"
        await settled(pilot)
        assert form.query_one("#special_bid_reference-error", FieldError).message == ""
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert pilot.app.screen is screen
        assert "Special pricing: Special Bid BID-42" in summary(screen)
    with db.reader() as s:
        po = s.get(PurchaseOrder, po_id)
        audited = s.exec(
            select(AuditEntry.new_value).where(AuditEntry.field == "special_bid_reference")
        ).all()
    assert (po.special_order_type, po.special_bid_reference) == ("Special Bid", "BID-42")
    assert audited == ["BID-42"]


async def test_a_submitted_po_s_edi_fields_are_not_editable(db):
    po_id = edi_po(db)  # Submitted
    async with console_app(db).run_test(size=(80, 24)) as pilot:
        screen = await edi_tab(pilot, po_id)
        await pilot.press("E")
        await settled(pilot)
        assert pilot.app.screen is screen
        said = [n.message for n in pilot.app._notifications]
    assert "PO-0000100 is submitted: its EDI fields can no longer change" in said


async def test_a_line_s_missing_mpn_is_set_from_the_edi_tab_and_the_po_submits(db):
    po_id = fresh_po(db)
    with db.session() as s:
        s.exec(select(Item).where(Item.sku == "KB-200")).one().mpn = None
    async with console_app(db).run_test(size=(80, 24)) as pilot:
        screen = await edi_tab(pilot, po_id)
        await pilot.press("S")
        await settled(pilot)
        assert "Line 1: item KB-200 has no MPN." in str(screen.query_one("#hint").render())
        await pilot.press("enter")  # the cursor is on line 1
        await settled(pilot)
        form = pilot.app.screen
        assert isinstance(form, MpnForm)
        form.query_one("#mpn", Input).value = "KB-200+US"
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert pilot.app.screen is screen
        lines = screen.query_one("#edi-lines", DataTable)
        assert str(lines.get_row_at(0)[2]) == "KB-200+US"
        assert hint(screen) == "MPN of KB-200 saved · S: Save & Submit Electronically"
        await pilot.press("S")
        await settled(pilot)
        assert "Submit status: Submitting" in summary(screen)
        assert hint(screen) == "Submitting: the order goes to the EDI hub"
        with db.session() as s:  # the hub took it (what the delivery engine records)
            s.get(PurchaseOrder, po_id).edi_submit_status = "Submitted"
            note_change(s, "purchase_order", [po_id])
        await until(lambda: hint(screen) == "PO-0000100: Submitted", what="the outcome said")


async def test_edi_setup_lists_the_items_without_an_mpn_and_sets_one(db):
    edi_po(db)
    with db.session() as s:
        s.exec(select(Item).where(Item.sku == "MS-5")).one().mpn = None
        s.add(Item(sku="ZZ-1", description="Nobody's EDI item"))  # on no EDI PO, no vendor
    async with console_app(db).run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await pilot.press("d")
        await settled(pilot)
        await pilot.press("c")
        await settled(pilot)
        setup = pilot.app.screen
        assert isinstance(setup, EdiSetup)
        items = setup.query_one("#items", DataTable)
        assert [str(items.get_row_at(i)[0]) for i in range(items.row_count)] == ["MS-5"]
        await pilot.press("m")
        await settled(pilot)
        form = pilot.app.screen
        assert isinstance(form, MpnForm)
        form.query_one("#mpn", Input).value = "MS-5-BLK"
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert pilot.app.screen is setup
        assert items.row_count == 0
    with db.reader() as s:
        assert s.exec(select(Item.mpn).where(Item.sku == "MS-5")).one() == "MS-5-BLK"
