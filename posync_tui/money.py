"""The one money rule: amounts in their currency's precision, rounded half up, line by line.

A line's total is its quantity times its unit cost rounded to the currency's minor unit; a PO's
total is the sum of its rounded line totals. The PO list, the PO detail and the QuickBooks bill
all use these, so they agree to the cent. Unit costs keep their own precision (four decimals).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from connectors.currencies import minor_units, rounded

__all__ = ["line_total", "minor_units", "po_total", "rounded", "shown"]


def line_total(quantity: Decimal, unit_cost: Decimal, currency: str) -> Decimal:
    return rounded(quantity * unit_cost, currency)


def po_total(lines: Iterable[tuple[Decimal, Decimal]], currency: str) -> Decimal:
    """The sum of the (quantity, unit cost) lines' rounded totals."""
    return sum((line_total(q, c, currency) for q, c in lines), rounded(Decimal(0), currency))


def shown(amount: Decimal, currency: str) -> str:
    """The amount as the console shows it: grouped, in the currency's precision."""
    return f"{rounded(amount, currency):,.{minor_units(currency)}f}"
