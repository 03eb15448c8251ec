"""Fuzzing what operators type (issue 20: "every form field refuses invalid values at the field;
nothing is saved half-way"): the field rules of the forms, fed generated text. Each rule takes a
value it can store or refuses it with words for the field; never another exception, and never
a value the database cannot hold (quantities and costs below 10,000,000, a few decimals).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlmodel import func, select

from connectors import edifact
from connectors.currencies import is_currency
from posync_tui import numbers
from posync_tui.db import Database
from posync_tui.models import (
    AuditEntry,
    ChangeLogEntry,
    EdiChargeType,
    EdiPaymentTerms,
    SalesOrder,
    SalesOrderLine,
)
from posync_tui.services.customer_orders import (
    SEND,
    OrderInvalid,
    OrderLine,
    read_order,
    save_order,
)
from posync_tui.services.edi_orders import SPECIAL
from posync_tui.services.edi_po import EdiFields, check_fields
from posync_tui.services.edi_setup import (
    SetupInvalid,
    charge_types,
    check_gln,
    payment_terms,
    save_charge_type,
    save_payment_terms,
)
from posync_tui.services.po_detail import PO_STATUSES, max_length
from posync_tui.services.supplier_sync_operator import LINE_EDITABLE, PO_EDITABLE
from posync_tui.services.vendor_list import check_vendor
from posync_tui.services.warehouse_batches import parse_last_modified
from screens.edi_setup import ChargeTypeForm, TermsForm
from screens.po_actions import DATES, OPTIONAL, parse_value
from screens.po_actions import NUMBERS as PO_NUMBERS
from screens.product_form import FIELDS, check_product
from tests.edi_data import BACK
from tests.edi_data import ORDER as EDI_ORDER
from tests.reliability.fuzz import TEXT, TIMEOUT, fuzz_settings, report, tally
from tests.test_customer_orders import make_world

# What a terminal delivers is UTF-8: a lone surrogate can be neither typed nor pasted.
TYPED_TEXT = TEXT.map(lambda t: t.encode("utf-8", "replace").decode())
# What an operator might type into a number field, plus the numbers themselves.
TYPED = st.one_of(
    TYPED_TEXT,
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(min_value=0, max_value=10**8, places=5).map(str),
    st.integers(-(10**12), 10**12).map(lambda n: f"{n:,}"),
    st.text(alphabet="0123456789.,-e_ ", max_size=12),
)

pytestmark = TIMEOUT


@pytest.fixture(scope="module", autouse=True)
def _report(request):
    yield from report(request)


def _stored(value: Decimal, places: int) -> None:
    """``value`` is a number the database keeps as it is."""
    assert value.is_finite() and not value.is_signed() and value < numbers.MOST
    assert value == value.quantize(Decimal(1).scaleb(-places))


@fuzz_settings(ci=150, full=10_000)
@given(text=TYPED)
@example(text="1e3")
@example(text="-0")
def test_a_quantity_or_unit_cost_is_a_storable_number_or_refused_in_words(text):
    tally("test_a_quantity_or_unit_cost_is_a_storable_number_or_refused_in_words")
    for parse, places in ((numbers.quantity, 3), (numbers.unit_cost, 4)):
        try:
            value = parse(text)
        except ValueError as exc:
            assert str(exc) and str(exc)[0].isupper()
        else:
            _stored(value, places)


@fuzz_settings(ci=60, full=10_000)
@given(value=st.decimals(min_value=0, max_value=Decimal("9999999.999"), places=3))
def test_every_storable_quantity_is_taken_as_typed(value):
    tally("test_every_storable_quantity_is_taken_as_typed")
    assert numbers.quantity(f"{value:f}", positive=False) == value
    assert numbers.quantity(f"{value:,f}", positive=False) == value


@fuzz_settings(ci=100, full=10_000)
@given(values=st.fixed_dictionaries({}, optional={field: TYPED for field, _, _ in FIELDS}))
@example(values={"sku": "S", "description": "D", "unit_cost": "1e10"})
@example(values={"sku": "S", "description": "D", "unit_cost": "1_000"})
def test_the_product_form_takes_only_values_it_can_store(values):
    tally("test_the_product_form_takes_only_values_it_can_store")
    problems = check_product(values)
    assert set(problems) <= {field for field, _, _ in FIELDS}
    assert all(isinstance(m, str) and m for m in problems.values())
    for field, _, longest in FIELDS:
        if field not in problems:
            assert len(values.get(field, "")) <= longest
    if "unit_cost" not in problems and values.get("unit_cost"):
        _stored(numbers.unit_cost(values["unit_cost"]), 4)  # the one rule for costs


@fuzz_settings(ci=100, full=10_000)
@given(text=st.none() | TYPED_TEXT | st.text(alphabet="0123456789", min_size=12, max_size=14),
       enabled=st.booleans())  # fmt: skip
def test_a_gln_is_thirteen_digits_with_their_check_digit_or_refused(text, enabled):
    tally("test_a_gln_is_thirteen_digits_with_their_check_digit_or_refused")
    problem = check_gln(text, enabled)
    value = (text or "").strip()
    if problem is None and value:
        assert len(value) == 13 and value.isascii() and value.isdigit()
    assert problem is None or (isinstance(problem, str) and problem)


@fuzz_settings(ci=60, full=10_000)
@given(
    integration=st.sampled_from(["none", "b2b", "edi"]) | TYPED_TEXT,
    account=st.none() | TYPED_TEXT,
    auto_sync=st.booleans(),
)
def test_a_vendors_fields_are_taken_or_refused_at_the_field(integration, account, auto_sync):
    tally("test_a_vendors_fields_are_taken_or_refused_at_the_field")
    problems = check_vendor(integration, account, auto_sync)
    assert set(problems) <= {"integration", "supplier_account", "auto_sync"}
    assert all(isinstance(m, str) and m for m in problems.values())


NOW = datetime(2026, 7, 31, 12, 0, tzinfo=UTC)


@fuzz_settings(ci=100, full=10_000)
@given(
    text=TYPED_TEXT
    | st.from_regex(r"\d{1,4}-\d{1,2}-\d{1,2}( \d{1,2}:\d{2})?", fullmatch=True)
    | st.from_regex(r"\d{1,2}/\d{1,2}(/\d{2,4})?( \d{1,2}:\d{2})?", fullmatch=True)
)
@example(text="0001-01-01")
@example(text="9999-12-31 23:59")
def test_last_modified_is_a_past_date_or_refused_in_words(text):
    tally("test_last_modified_is_a_past_date_or_refused_in_words")
    try:
        when = parse_last_modified(text, now=NOW)
    except ValueError as exc:
        assert str(exc).startswith("Last Modified")
    else:
        assert when.tzinfo is not None and when <= NOW


# --- the PO detail's field editor ----------------------------------------------------------------

EDITED = sorted(
    [("purchase_order", f) for f in PO_EDITABLE - {"auto_sync"}]  # auto-sync is a toggle
    + [("purchase_order_line", f) for f in LINE_EDITABLE]
)


@fuzz_settings(ci=150, full=10_000)
@given(
    edited=st.sampled_from(EDITED), text=TYPED | st.from_regex(r"\d{4}-\d{2}-\d{2}", fullmatch=True)
)
@example(edited=("purchase_order", "currency"), text="€€€€")
@example(edited=("purchase_order", "currency"), text="usd")
def test_a_po_field_edit_is_a_value_the_field_holds_or_refused_in_words(edited, text):
    tally("test_a_po_field_edit_is_a_value_the_field_holds_or_refused_in_words")
    record, field = edited
    try:
        value = parse_value(record, field, text)
    except ValueError as exc:
        assert str(exc) and str(exc)[0].isupper()
        return
    if value is None:
        assert field in OPTIONAL
    elif field in PO_NUMBERS:
        _stored(value, 4 if field == "unit_cost" else 3)
    elif field in DATES:
        assert isinstance(value, date)
    elif field == "status":
        assert value in PO_STATUSES
    elif field == "currency":
        assert is_currency(value)
    else:
        assert len(value) <= (max_length(record, field) or len(value))


# --- the PO form's EDI fields -------------------------------------------------------------------


@fuzz_settings(ci=100, full=10_000)
@given(
    kind=st.none() | st.sampled_from(list(SPECIAL)) | TYPED_TEXT,
    reference=st.none() | TYPED_TEXT | st.text(max_size=40),
)
@example(kind="Special Bid", reference="€")
@example(kind="Special Bid", reference="\x00")
def test_edi_fields_the_form_takes_go_into_an_orders_as_typed(kind, reference):
    tally("test_edi_fields_the_form_takes_go_into_an_orders_as_typed")
    problems = check_fields(EdiFields(kind, reference))
    assert set(problems) <= {"special_order_type", "special_bid_reference"}
    assert all(isinstance(m, str) and m for m in problems.values())
    if problems or not (kind or "").strip():
        return
    taken = replace(
        EDI_ORDER, special_order_type=SPECIAL[kind.strip()], special_reference=reference.strip()
    )
    (read_back,) = edifact.parse(edifact.build(edifact.Interchange(BACK, (taken,)))).messages
    assert read_back.special_reference == taken.special_reference


# --- forms that save: refused at a field and nothing written, or saved as typed ----------------

WRITTEN = (SalesOrder, SalesOrderLine, EdiPaymentTerms, EdiChargeType, AuditEntry, ChangeLogEntry)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('forms') / 'posync.db'}")
    database.upgrade()
    yield database, make_world(database)
    database.dispose()


def _rows(db: Database) -> dict[str, int]:
    with db.reader() as s:
        return {t.__tablename__: s.exec(select(func.count()).select_from(t)).one() for t in WRITTEN}


def _refused_whole(db: Database, save: Callable[[], Any], error: type[ValueError]) -> Any:
    """What ``save()`` returned, or the ``error`` it raised having written nothing."""
    before = _rows(db)
    try:
        return save()
    except error as exc:
        assert _rows(db) == before
        return exc


@fuzz_settings(ci=25, full=2_000)
@given(text=TYPED)
@example(text="1_000")
@example(text="-0")
def test_a_customer_order_quantity_is_saved_as_typed_or_refused_at_its_field(world, text):
    tally("test_a_customer_order_quantity_is_saved_as_typed_or_refused_at_its_field")
    db, ids = world
    line = OrderLine(None, ids["egg12"], text, SEND)
    result = _refused_whole(
        db, lambda: save_order(db, None, ids["ship"], ids["main"], [line]), OrderInvalid
    )
    if isinstance(result, OrderInvalid):
        assert [(p.field, p.line) for p in result.problems] == [("quantity", 1)]
        assert result.problems[0].message[0].isupper()
    else:
        (saved,) = read_order(db, result).lines
        assert saved.quantity == Decimal(text.strip().replace(",", ""))


SETUP_TEXT = TYPED_TEXT | st.text(max_size=70)
DAYS = TYPED | st.integers(0, 400).map(str)


@fuzz_settings(ci=40, full=2_000)
@given(
    identifier=SETUP_TEXT,
    terms=SETUP_TEXT,
    percent=TYPED,
    discount_days=DAYS,
    net_days=DAYS,
)
@example(identifier="5:3:D:30", terms="2% 10 Net 30", percent="NaN", discount_days="", net_days="")
@example(identifier="5:3:D:30", terms="2% 10 Net 30", percent="2", discount_days="²", net_days="")
@example(identifier="5:3", terms="Net", percent="1.23456", discount_days="", net_days="9" * 30)
@example(identifier="5:3", terms="x" * 41, percent="", discount_days="", net_days="")
def test_payment_terms_are_saved_as_typed_or_refused_at_a_field(
    world, identifier, terms, percent, discount_days, net_days
):
    tally("test_payment_terms_are_saved_as_typed_or_refused_at_a_field")
    db, _ = world
    result = _refused_whole(
        db,
        lambda: save_payment_terms(db, identifier, terms, percent, discount_days, net_days),
        SetupInvalid,
    )
    if isinstance(result, SetupInvalid):
        assert result.field in {field for field, _ in TermsForm.FIELDS} and result.message
        return
    (saved,) = [row for row in payment_terms(db) if row.identifier == identifier.strip()]
    assert saved.terms == terms.strip()
    assert saved.discount_percent == Decimal(percent.strip().replace(",", "") or "0")
    assert (saved.discount_days, saved.net_days) == (
        int(discount_days.strip() or "0"),
        int(net_days.strip() or "0"),
    )


@fuzz_settings(ci=25, full=2_000)
@given(code=SETUP_TEXT, name=SETUP_TEXT, account=SETUP_TEXT)
@example(code="FC", name="Freight", account="x" * 61)
def test_a_charge_type_is_saved_as_typed_or_refused_at_a_field(world, code, name, account):
    tally("test_a_charge_type_is_saved_as_typed_or_refused_at_a_field")
    db, _ = world
    result = _refused_whole(db, lambda: save_charge_type(db, code, name, account), SetupInvalid)
    if isinstance(result, SetupInvalid):
        assert result.field in {field for field, _ in ChargeTypeForm.FIELDS} and result.message
        return
    (saved,) = [row for row in charge_types(db) if row.code == code.strip().upper()]
    assert (saved.name, saved.expense_account) == (name.strip(), account.strip())
