"""GS1 Global Location Numbers: 13 digits, the last a mod-10 check digit."""

from __future__ import annotations


def check_digit(digits: str) -> int:
    """The GS1 check digit of ``digits`` (the number without it): weights 3,1,3,… from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def gln_problem(text: str) -> str | None:
    """Why ``text`` is not a GLN, in words for a field's error, or None if it is one."""
    if len(text) != 13 or not text.isascii() or not text.isdigit():
        return f"a GLN is 13 digits, not {text!r}"
    expected = check_digit(text[:12])
    if int(text[12]) != expected:
        return f"GLN {text} has check digit {text[12]}; it should be {expected}"
    return None


def is_gln(text: str) -> bool:
    return gln_problem(text) is None
