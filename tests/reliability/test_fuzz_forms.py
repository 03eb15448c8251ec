"""Fuzzing what operators type (issue 20: "every form field refuses invalid values at the field;
nothing is saved half-way"): the field rules of the forms, fed generated text. Each rule takes a
value it can store or refuses it with words for the field; never another exception, and never
a value the database cannot hold (quantities and costs below 10,000,000, a few decimals).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from posync_tui import numbers
from posync_tui.services.edi_setup import check_gln
from posync_tui.services.vendor_list import check_vendor
from posync_tui.services.warehouse_batches import parse_last_modified
from screens.product_form import FIELDS, check_product
from tests.reliability.fuzz import TEXT, TIMEOUT, fuzz_settings, report, tally

# What an operator might type into a number field, plus the numbers themselves.
TYPED = st.one_of(
    TEXT,
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
@given(text=st.none() | TEXT | st.text(alphabet="0123456789", min_size=12, max_size=14),
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
    integration=st.sampled_from(["none", "b2b", "edi"]) | TEXT,
    account=st.none() | TEXT,
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
    text=TEXT
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
