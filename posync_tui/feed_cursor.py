"""The feed's cursor contract: a partner's page is checked before anything of it is applied.

The contract of a cursor (see ``feed``): an integer sequence, 0 ≤ n < 2**63, sent as text or a
number; none means "from the start". Each entry carries its own sequence number, above the cursor
sent, increasing. The partner's next cursor must be well-formed, must move forward from the one
sent when the page has entries (and stay where it is when it has none), and must not go past the
last entry delivered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.base import ConnectorError
from posync_tui.db import Database
from posync_tui.models import ConnectorState

SEQ_LIMIT = 2**63  # a cursor or sequence number fits a signed 64-bit integer


@dataclass(frozen=True)
class Entry:
    """One entry of a partner's feed: ``key`` names the partner's record that changed."""

    seq: int
    key: str
    notified_at: datetime | None = None


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    next_cursor: Any  # as the partner sent it: checked by ``check_page``


class FeedRefused(ConnectorError):
    """The partner's page breaks the feed contract (its cursor, its sequence numbers): nothing
    of it is applied. Not retryable: it will not heal by itself."""


# --- the cursor ------------------------------------------------------------------------------


def read_cursor(db: Database, connector: str) -> str | None:
    with db.reader() as session:
        state = session.get(ConnectorState, connector)
        return state.cursor if state else None


def parse_cursor(value: Any) -> int | None:
    """A cursor as the contract has it (see the module docstring), or None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if isinstance(value, int) and 0 <= value < SEQ_LIMIT:
        return value
    return None


def check_page(partner: str, sent: str | None, page: Page) -> None:
    """``FeedRefused`` if the page breaks the contract (see the module docstring)."""
    start = parse_cursor(sent) if sent is not None else None
    after = -1 if start is None else start
    previous = after
    for entry in page.entries:
        seq = entry.seq if isinstance(entry.seq, int) and not isinstance(entry.seq, bool) else None
        if seq is None or not after < seq < SEQ_LIMIT:
            raise FeedRefused(
                f"{partner} sent an entry numbered {shown(entry.seq)} after cursor "
                f"{shown(sent)}: refused, nothing of that page was applied"
            )
        if seq <= previous:
            raise FeedRefused(
                f"{partner} sent its entries out of order ({previous}, then {seq}): refused, "
                f"nothing of that page was applied"
            )
        previous = seq
    nxt = parse_cursor(page.next_cursor)
    why = None
    if nxt is None:
        why = "is not a whole number"
    elif page.entries and nxt <= after:
        why = "does not move forward"
    elif not page.entries and nxt != (start or 0):
        why = "moves without delivering any entry"
    elif page.entries and nxt > previous:
        why = f"jumps past entries it did not deliver (the last one delivered was {previous})"
    if why is not None:
        raise FeedRefused(
            f"{partner} sent next cursor {shown(page.next_cursor)} after cursor {shown(sent)}, "
            f"which {why}: refused, nothing of that page was applied"
        )


def shown(value: Any) -> str:
    text = repr(value) if not isinstance(value, int) else str(value)
    return text if len(text) <= 40 else text[:40] + "…"
