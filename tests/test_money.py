"""The one money rule, and typed numbers refused at the field with a message."""

from __future__ import annotations

from decimal import Decimal

import pytest

from posync_tui import money, numbers


def test_a_line_total_is_rounded_half_up_in_the_currency_s_precision():
    assert money.line_total(Decimal(3), Decimal("0.3335"), "USD") == Decimal("1.00")
    assert money.line_total(Decimal(1), Decimal("0.005"), "USD") == Decimal("0.01")
    assert money.line_total(Decimal(7), Decimal("10.5"), "JPY") == Decimal("74")
    assert money.line_total(Decimal(1), Decimal("1.2345"), "KWD") == Decimal("1.235")


def test_a_po_total_is_the_sum_of_its_rounded_lines():
    lines = [(Decimal(1), Decimal("0.005"))] * 3
    assert money.po_total(lines, "USD") == Decimal("0.03")  # not 0.015 → 0.02
    assert money.shown(Decimal("325668.1656"), "USD") == "325,668.17"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0.0001", "Quantity has at most 3 decimal places"),
        ("-0", "Quantity must be more than 0"),
        ("0", "Quantity must be more than 0"),
        ("1_000", "Quantity must be a plain number, e.g. 12 or 4.25"),
        ("1e15", "Quantity must be a plain number, e.g. 12 or 4.25"),
        ("10000000", "Quantity must be less than 10,000,000"),
    ],
)
def test_a_quantity_is_refused_with_a_message(typed, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        numbers.quantity(typed)


def test_a_quantity_takes_three_decimals_and_thousands_commas():
    assert numbers.quantity("1,000.125") == Decimal("1000.125")
    assert numbers.quantity("0", positive=False) == 0


@pytest.mark.parametrize("typed", ["1e15", "1e30", "1" + "0" * 30, "-0", "4.12345"])
def test_a_unit_cost_out_of_bounds_is_refused_with_a_message(typed):
    with pytest.raises(ValueError, match="^Unit cost "):
        numbers.unit_cost(typed)
