"""The one money rule: amounts in their currency's precision, rounded half up, line by line.

A line's total is its quantity times its unit cost rounded to the currency's minor unit; a PO's
total is the sum of its rounded line totals. The PO list, the PO detail and the QuickBooks bill
all use these, so they agree to the cent. Unit costs keep their own precision (four decimals).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 minor units where they are not two (the active codes; the rest have two).
_MINOR_UNITS = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG"), 0),
    **dict.fromkeys(("RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}


def minor_units(currency: str) -> int:
    """Digits after the decimal point in ``currency`` (2 for most)."""
    return _MINOR_UNITS.get(currency, 2)


def rounded(amount: Decimal, currency: str) -> Decimal:
    """``amount`` in the currency's precision, half up."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


def line_total(quantity: Decimal, unit_cost: Decimal, currency: str) -> Decimal:
    return rounded(quantity * unit_cost, currency)


def po_total(lines: Iterable[tuple[Decimal, Decimal]], currency: str) -> Decimal:
    """The sum of the (quantity, unit cost) lines' rounded totals."""
    return sum((line_total(q, c, currency) for q, c in lines), rounded(Decimal(0), currency))


def shown(amount: Decimal, currency: str) -> str:
    """The amount as the console shows it: grouped, in the currency's precision."""
    return f"{rounded(amount, currency):,.{minor_units(currency)}f}"
