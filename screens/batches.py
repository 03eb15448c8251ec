"""Warehouse batches (Ovotrack customer order sync): staged, sent, received, committed.

The batch flow arrives with its own issue; until then this area says so plainly.
"""

from __future__ import annotations

from textual.containers import Vertical
from textual.widgets import Static


class Batches(Vertical):
    DEFAULT_CSS = "Batches { height: 1fr; }"

    def compose(self):
        yield Static(
            "Warehouse batches: no batch flow is configured in this version of posync.\n"
            "Customer order batches for Ovotrack (send / receive / commit) will appear here.",
            classes="empty-state",
        )
