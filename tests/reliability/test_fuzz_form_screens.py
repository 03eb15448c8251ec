"""Junk typed into the console's forms (issue 20: "every form field refuses invalid values at the
field; nothing is saved half-way"): a fixed list of hostile strings, each typed into a field of
a real form on a real database and saved with ctrl+s. Each is refused with a message under that
field, the database is as it was, and the console still answers; then good values save.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import func, select
from textual.widgets import Input, Static

from posync_tui.models import AuditEntry, EdiPaymentTerms, SalesOrder, SalesOrderLine
from posync_tui.services.customer_orders import read_order
from posync_tui.services.edi_setup import payment_terms
from screens.customer_order_form import CustomerOrderForm
from screens.edi_setup import TermsForm
from screens.po_widgets import EditBar
from tests.console import console_app, settled
from tests.reliability.fuzz import TIMEOUT
from tests.supplier_world import make_world as supplier_world
from tests.test_customer_order_screens import SIZE, errors, open_orders, pick, type_in
from tests.test_customer_orders import make_world
from tests.test_po_detail import cell, header_field, open_po

pytestmark = TIMEOUT

# Numbers that are not, or not storable: NaN, a superscript digit, overflow, Python's own
# syntax, markup and an escape sequence, a sign, a control character, a right-to-left override,
# full-width digits with too many decimals.
JUNK = [
    "NaN",
    "²",
    "9" * 30,
    "1_0",
    "[b]1[/b]",
    "\x1b[31m1",
    "-1",
    "1\x00",
    "\u202e12",
    "１.２３４５６",
]
# Fewer where a form has more fields or costs more to fill (each save is a round trip).
SOME_JUNK = ["NaN", "1_0", "²", "\x1b[31m1", "１.２３４５６"]


def _rows(db) -> tuple[int, ...]:
    with db.reader() as s:
        return tuple(
            s.exec(select(func.count()).select_from(table)).one()
            for table in (EdiPaymentTerms, SalesOrder, SalesOrderLine, AuditEntry)
        )


async def _refused_at(pilot, form, field: str, db, before: tuple[int, ...]) -> None:
    await pilot.press("ctrl+s")
    await settled(pilot)
    assert pilot.app.screen is form
    assert errors(form).get(field), (field, form.query_one(f"#{field}", Input).value)
    assert _rows(db) == before


async def test_junk_in_the_payment_terms_form_is_refused_at_its_field(db):
    app = console_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        form = TermsForm(db, None)
        await app.push_screen(form)
        await settled(pilot)
        before = _rows(db)
        good = {"identifier": "5:3:D:30", "terms": "2% 10 Net 30", "net_days": "30"}
        for field, value in good.items():
            form.query_one(f"#{field}", Input).value = value
        for field, junk in (
            ("discount_percent", JUNK),
            ("discount_days", SOME_JUNK[:3]),
            ("net_days", SOME_JUNK[:3]),
        ):
            for text in junk:
                form.query_one(f"#{field}", Input).value = text
                await _refused_at(pilot, form, field, db, before)
            form.query_one(f"#{field}", Input).value = good.get(field, "2")

        await pilot.press("ctrl+s")
        await settled(pilot)
        assert app.screen is not form, errors(form)
        (saved,) = payment_terms(db)
        assert (saved.discount_percent, saved.discount_days, saved.net_days) == (
            Decimal(2),
            2,
            30,
        )


async def test_junk_in_a_customer_order_quantity_is_refused_at_its_field(db):
    world = make_world(db)
    app = console_app(db)
    async with app.run_test(size=SIZE) as pilot:
        orders = await open_orders(pilot)
        await pilot.press("N")
        await settled(pilot)
        form = app.screen
        assert isinstance(form, CustomerOrderForm)
        await pick(pilot, "ship_to", "hen")
        form.query_one("#division").focus()
        await pilot.press("enter", "down", "enter")
        await pick(pilot, "line-1-item", "EGG-30")
        form.query_one("#line-1-status").focus()
        await pilot.press("enter", "down", "enter")
        await settled(pilot)
        before = _rows(db)
        for text in SOME_JUNK:
            form.query_one("#line-1-quantity", Input).value = text
            await _refused_at(pilot, form, "line-1-quantity", db, before)

        await type_in(pilot, "line-1-quantity", "24")
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert app.screen is not form, errors(form)
        order = read_order(db, orders.table.cursor_key)
        assert [(line.item_id, line.quantity) for line in order.lines] == [
            (world["egg30"], Decimal(24))
        ]


@pytest.fixture
def supplier(db):
    yield from supplier_world(db)


async def test_junk_in_the_po_detail_editor_is_refused_at_the_field(supplier):
    world = supplier
    po_id, _ = world.make_po(sent=False)  # never synced: every field is the operator's

    def state() -> tuple:
        return (_rows(world.db), world.po(po_id).currency, world.lines(po_id)[2].quantity_ordered)

    before = state()
    rt = world.rt
    app = console_app(
        world.db, settings=rt.settings, sandbox=rt.sandbox, sandbox_server=rt.sandbox_server
    )
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_po(pilot, po_id)
        editor = screen.query_one(EditBar)
        for place, junk in (("currency", ["€€€", "[b]USD[/b]"]), ("ordered", SOME_JUNK[2:])):
            for text in junk:
                if place == "currency":
                    await header_field(pilot, screen, "currency")
                else:
                    await cell(pilot, screen, 1, "ordered")
                await pilot.press("enter")
                editor.query_one(Input).value = text
                await pilot.press("enter")
                await settled(pilot)
                assert editor.is_open and pilot.app.screen is screen, (place, text)
                said = editor.query_one("#edit-help", Static)
                assert said.has_class("error") and str(said.render()), (place, text)
                await pilot.press("escape")
    assert state() == before
