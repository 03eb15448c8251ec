"""Quantities and unit costs as the operator types them: one rule for every field.

A quantity has at most 3 decimal places and is below 10,000,000; a unit cost has at most 4 and
is below 10,000,000; neither is negative (nor "-0"). Only plain numbers are taken: digits, an
optional decimal point, thousands commas — not "1_000" (Python's own syntax) nor "1e15". Every
refusal is a ``ValueError`` whose message an operator reads at the field.
"""

from __future__ import annotations

import re
from decimal import Decimal

QUANTITY_PLACES = 3
COST_PLACES = 4
MOST = Decimal(10_000_000)  # quantities and unit costs stay below this
_PLAIN = re.compile(r"-?(\d{1,3}(,\d{3})+|\d+)(\.\d*)?|-?\.\d+")


def parse(text: str, name: str, places: int, *, positive: bool = False) -> Decimal:
    """Typed text as a number for the field ``name``; ValueError says what is wrong."""
    text = text.strip()
    if not _PLAIN.fullmatch(text):
        raise ValueError(f"{name} must be a plain number, e.g. 12 or 4.25")
    return checked(Decimal(text.replace(",", "")), name, places, positive=positive)


def checked(value: Decimal, name: str, places: int, *, positive: bool = False) -> Decimal:
    """``value`` if the field ``name`` may hold it; ValueError says why not."""
    if not value.is_finite():
        raise ValueError(f"{name} must be a number")
    if value.is_signed():  # "-0" too: a sign says the operator meant something else
        raise ValueError(f"{name} must be {'more than 0' if positive else '0 or more'}")
    if value >= MOST:
        raise ValueError(f"{name} must be less than {MOST:,}")
    exponent = int(value.as_tuple().exponent)  # an int: the value is finite
    if -exponent > places and value != value.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(f"{name} has at most {places} decimal places")
    if positive and value == 0:
        raise ValueError(f"{name} must be more than 0")
    return value


def quantity(text: str, name: str = "Quantity", *, positive: bool = True) -> Decimal:
    return parse(text, name, QUANTITY_PLACES, positive=positive)


def unit_cost(text: str, name: str = "Unit cost") -> Decimal:
    return parse(text, name, COST_PLACES)
