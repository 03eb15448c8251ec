"""Messages the app sends to its screens. They carry ids and plain values, never ORM objects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from posync_tui.services.status import ShellCounts


@dataclass
class Changed(Message, bubble=False):
    """Records changed (committed here or in another process): re-read what you show."""

    kind: str
    ids: tuple[int, ...]

    def can_replace(self, message: Message) -> bool:
        # A burst of identical notes collapses into one refresh.
        return isinstance(message, Changed) and (message.kind, message.ids) == (
            self.kind,
            self.ids,
        )


@dataclass
class DatabaseReady(Message, bubble=False):
    """The database is open and checked, the rest of the runtime still loading: the PO list
    may show its first page (the app's ``database``)."""


@dataclass
class RuntimeReady(Message, bubble=False):
    """Settings, database and partners are ready; screens may start reading."""


@dataclass
class ConnectorHealth:
    name: str
    short: str  # three letters on the status line
    state: str  # "ok", "failing", "not configured" or "not run yet"
    last_success: str  # already formatted for display, local time
    next_run: str
    failures: int
    last_error: str | None
    leader: str | None
    scheduled: bool  # False: no job of its own, called from other partners' jobs
    config_line: str  # what the config file needs when it is not configured


@dataclass
class HealthChanged(Message, bubble=False):
    connectors: list[ConnectorHealth]


@dataclass
class CountsChanged(Message, bubble=False):
    """The shell's always-visible counts (unreviewed notifications, partners' queues)."""

    counts: ShellCounts


@dataclass
class OpenPurchaseOrder(Message):
    """Open the PO detail for this PO (from any list; the app shows it in the PO area)."""

    po_id: int
