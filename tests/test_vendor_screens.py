"""The vendors screen and the Edit Vendor form, as an operator uses them (Ascend seed)."""

from __future__ import annotations

import pytest
from sqlmodel import select
from textual.widgets import Checkbox, Input, Select

from posync_tui.models import AuditEntry, Integration, POStatus, PurchaseOrder, Vendor
from screens.confirm import Confirm
from screens.form import FieldError
from screens.vendor_form import VendorForm
from tests.console import console_app, settled
from tests.supplier_world import make_world


@pytest.fixture
def vendors(db):
    """PEAK: integrated (B2B), auto-sync off, 2 open POs, a draft and a closed one. HARB: not
    integrated."""
    with db.session() as s:
        peak = Vendor(
            code="PEAK",
            name="Peak Outdoor Wholesale",
            integration=Integration.B2B,
            supplier_account="ACC-1003",
        )
        harb = Vendor(code="HARB", name="Harbor Packaging Co.")
        other = Vendor(
            code="ATLAS", name="Atlas", integration=Integration.B2B, supplier_account="ACC-1000"
        )
        s.add_all([peak, harb, other])
        s.flush()
        for n, status in enumerate([POStatus.OPEN, POStatus.DRAFT, POStatus.PARTIAL]):
            s.add(PurchaseOrder(number=f"PO-{n + 1}", vendor_id=peak.id, status=status))
        s.add(PurchaseOrder(number="PO-9", vendor_id=peak.id, status=POStatus.CLOSED))
        ids = {"PEAK": peak.id, "HARB": harb.id}
    return ids


def vendor(db, vendor_id) -> Vendor:
    with db.reader() as s:
        return s.get(Vendor, vendor_id)


def auto_synced_pos(db) -> dict[str, bool]:
    with db.reader() as s:
        return {po.number: po.auto_sync for po in s.exec(select(PurchaseOrder))}


async def open_form(pilot, code: str) -> VendorForm:
    """v, filter the vendors by code, enter: the Edit Vendor form."""
    await pilot.press("v")
    await settled(pilot)
    pilot.app.screen.body.focus_table()
    await pilot.press("slash", *code, "enter")
    await settled(pilot)
    await pilot.press("enter")
    await settled(pilot)
    form = pilot.app.screen
    assert isinstance(form, VendorForm) and form.vendor.code == code
    return form


async def retype(pilot, form: VendorForm, text: str) -> None:
    """Replace the supplier account as typed (the last key pressed for real)."""
    field = form.query_one("#supplier_account", Input)
    field.focus()
    await pilot.pause()
    field.value = text[:-1]
    field.cursor_position = len(field.value)
    await pilot.press(*text[-1:] or ["backspace"])
    await pilot.pause()


async def until_asked(pilot) -> Confirm:
    """The save worker waits on the question: wait for it to show (not for the worker)."""
    for _ in range(200):
        if isinstance(pilot.app.screen, Confirm):
            return pilot.app.screen
        await pilot.pause(0.01)
    raise AssertionError(f"no question was asked; the screen is {pilot.app.screen}")


def error_at(form: VendorForm, field: str) -> str:
    error = form.query_one(f"#{field}-error", FieldError)
    return error.message if error.display else ""


async def test_the_vendors_screen_lists_every_vendor_with_its_open_pos(db, vendors):
    app = console_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("v")
        await settled(pilot)
        table = app.screen.body.table
        assert table.row_count == 3
        rows = {table._row_at(i).data["code"]: table._row_at(i).data for i in range(3)}
        assert rows["PEAK"]["open_pos"] == 2 and rows["PEAK"]["integration"] == "b2b"
        assert rows["HARB"]["open_pos"] == 0 and not rows["HARB"]["auto_sync"]


async def test_auto_sync_appears_on_the_edit_vendor_form_only_for_integrated_suppliers(db, vendors):
    app = console_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, "HARB")
        row = form.query_one("#auto_sync-row")
        assert not row.display
        form.query_one("#integration", Select).value = Integration.B2B.value
        await pilot.pause()
        assert row.display
        form.query_one("#integration", Select).value = Integration.EDI.value
        await pilot.pause()
        assert not row.display

        form = None
        await pilot.press("escape")  # changed: asks first
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")
        await settled(pilot)
        form = await open_form(pilot, "PEAK")
        assert form.query_one("#auto_sync-row").display
        assert form.query_one("#auto_sync", Checkbox).value is False


async def test_changes_take_effect_only_when_the_form_is_saved(db, vendors):
    app = console_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, "PEAK")
        await retype(pilot, form, "ACC-7777")
        assert vendor(db, vendors["PEAK"]).supplier_account == "ACC-1003"  # not yet

        await pilot.press("ctrl+s")
        await settled(pilot)

        assert not isinstance(app.screen, VendorForm)
        assert vendor(db, vendors["PEAK"]).supplier_account == "ACC-7777"
        with db.reader() as s:
            (entry,) = s.exec(select(AuditEntry).where(AuditEntry.record_kind == "vendor"))
        assert (entry.field, entry.old_value, entry.new_value) == (
            "supplier_account",
            "ACC-1003",
            "ACC-7777",
        )
        assert entry.source == "operator"


async def test_leaving_with_unsaved_changes_asks_and_discarding_saves_nothing(db, vendors):
    app = console_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, "PEAK")
        await pilot.press("escape")  # nothing changed: leaves without asking
        await pilot.pause()
        assert not isinstance(app.screen, (VendorForm, Confirm))

        form = await open_form(pilot, "PEAK")
        await retype(pilot, form, "ACC-1")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")  # keep editing
        await pilot.pause()
        assert app.screen is form
        assert form.query_one("#supplier_account", Input).value == "ACC-1"

        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")  # discard
        await settled(pilot)
        assert not isinstance(app.screen, (VendorForm, Confirm))
        assert vendor(db, vendors["PEAK"]).supplier_account == "ACC-1003"


INVALID_ACCOUNTS = [
    ("", "needs the supplier account reference"),
    ("A" * 51, "At most 50 characters"),
    ("ACC 1", "no spaces"),
    ("ACC-1000", "already the supplier account of ATLAS"),  # checked by the service on save
]


async def test_an_invalid_value_is_refused_with_a_message_at_the_field(db, vendors):
    app = console_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, "PEAK")
        for account, message in INVALID_ACCOUNTS:
            await retype(pilot, form, account)
            await pilot.press("ctrl+s")
            await settled(pilot)
            assert app.screen is form  # still open, nothing saved
            assert message in error_at(form, "supplier_account")
            assert form.focused is form.query_one("#supplier_account", Input)
            assert vendor(db, vendors["PEAK"]).supplier_account == "ACC-1003"

            await pilot.press("x")  # typing again clears the message
            await pilot.pause()
            assert error_at(form, "supplier_account") == ""


async def test_turning_auto_sync_on_offers_to_auto_sync_the_open_pos_too(db, vendors):
    app = console_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, "PEAK")
        form.query_one("#auto_sync", Checkbox).value = True
        await pilot.press("ctrl+s")
        question = await until_asked(pilot)

        assert question.question == (
            "Also auto-sync the 2 open purchase orders of Peak Outdoor Wholesale?"
        )
        await pilot.press("y")
        await settled(pilot)

        assert not isinstance(app.screen, (VendorForm, Confirm))
        assert vendor(db, vendors["PEAK"]).auto_sync
        # PO-2 is a draft: not sent to the supplier, so not an open PO to offer.
        assert auto_synced_pos(db) == {"PO-1": True, "PO-2": False, "PO-3": True, "PO-9": False}


async def test_declining_the_offer_turns_auto_sync_on_for_the_vendor_only(db, vendors):
    app = console_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, "PEAK")
        form.query_one("#auto_sync", Checkbox).value = True
        await pilot.press("ctrl+s")
        await until_asked(pilot)
        await pilot.press("n")
        await settled(pilot)

        assert vendor(db, vendors["PEAK"]).auto_sync
        assert not any(auto_synced_pos(db).values())


@pytest.fixture
def world(db):
    yield from make_world(db)


async def test_accepting_the_offer_syncs_the_open_pos_now_and_sums_it_up(world):
    with world.db.session() as s:
        s.get(Vendor, world.vendor_id).auto_sync = False
    known, _ = world.make_po("PO-0000001", auto_sync=False)
    unknown, _ = world.make_po("PO-0000002", auto_sync=False, sent=False)
    with world.db.session() as s:
        s.get(PurchaseOrder, unknown).supplier_order_no = "SO-NOPE"
    rt = world.rt
    app = console_app(
        world.db, settings=rt.settings, sandbox=rt.sandbox, sandbox_server=rt.sandbox_server
    )
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, "ACME")
        form.query_one("#auto_sync", Checkbox).value = True
        await pilot.press("ctrl+s")
        await until_asked(pilot)
        await pilot.press("y")
        await settled(pilot)

        assert world.po(known).last_synced_at is not None  # synced now, not only flagged
        (summary,) = [n.message for n in app._notifications]
        assert summary == (
            "Saved vendor ACME: 1 of 2 open POs synced, 1 not\n"
            "PO-0000002: The supplier does not know order SO-NOPE"
        )
        assert not app.screen.query_one("#auto-sync-progress").display
