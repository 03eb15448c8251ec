"""Placeholder body, replaced by the engineer building this area."""

from textual.containers import Vertical


class Vendors(Vertical):
    pass
