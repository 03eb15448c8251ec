"""What a partner implements for the delivery engine, and the values they exchange.

The engine (``posync_tui.delivery``) hands an ``Adapter`` claimed ``Message``s; the adapter
builds a ``Request`` for each from its record, sends a batch, looks records up at the partner,
checks an ``Answer`` against what was sent, and writes what each ``Outcome`` means for the record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlmodel import Session

from posync_tui.models import OutboxMessage, OutboxStatus


@dataclass(frozen=True)
class Message:
    """A claimed outbox message, as the adapter builds its request from it."""

    id: int
    kind: str
    record_kind: str
    record_id: int
    key: str  # the idempotency key: unique per installation
    payload: dict
    attempts: int  # sends so far: above zero an earlier one may have reached the partner
    lookups: int


@dataclass(frozen=True)
class Request:
    """What the adapter will send for a message; ``payload`` is kept on the message so that a
    retry sends the same (e.g. the same document number)."""

    message: Message
    body: Any
    payload: dict


@dataclass(frozen=True)
class Answer:
    """What the partner holds for a message."""

    partner_id: str
    doc_number: str = ""
    warnings: tuple[str, ...] = ()
    record: Any = None  # the partner's own record, for the adapter's check


class Refused(Exception):
    """The partner (or the record's own rules, checked again) refused the message: final."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class NoAnswer(Exception):
    """The message may or may not have reached the partner (answer lost, timeout, 5xx)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotSent(Exception):
    """The partner certainly did not receive the batch (e.g. sign-in refused): no attempt is
    counted and the run stops with ``cause``."""

    def __init__(self, cause: Exception):
        super().__init__(str(cause))
        self.cause = cause


@dataclass(frozen=True)
class Outcome:
    """How a message ends this run: SENT, FAILED, DECISION, CANCELLED, or PENDING (later)."""

    status: OutboxStatus
    answer: Answer | None = None
    code: str | None = None
    text: str | None = None
    unsent: bool = False  # its attempt was counted but nothing left: take it back


class Recorder(Protocol):
    def record(self, session: Session, message: OutboxMessage, outcome: Outcome) -> None:
        """Write what the outcome means for the record (its status, notifications)."""

    def changed(self, session: Session, messages: Sequence[OutboxMessage]) -> None:
        """Note the change of these messages' records (once, after ``record`` for each)."""


class Adapter(Recorder, Protocol):
    """What a partner implements for the engine."""

    connector: str
    batch_size: int

    def build(self, session: Session, messages: Sequence[Message]) -> dict[int, Request | Refused]:
        """Each message's request, read from its record; a Refused for a record not ready."""

    async def send(self, requests: Sequence[Request]) -> dict[int, Answer | Exception]:
        """Send a batch; per message id an Answer, Refused or NoAnswer (missing: NoAnswer).
        Raises NotSent if nothing left; any other exception means the batch's fate is unknown."""

    async def look_up(self, requests: Sequence[Request]) -> dict[int, Answer]:
        """The partner's records made by these requests (by idempotency key / document number,
        and checked to be this installation's); a missing id means not found."""

    def check(self, request: Request, answer: Answer) -> str | None:
        """Why the answer is not what was sent (document number, party, amount), or None."""


@dataclass
class Tally:
    sent: int = 0
    failed: int = 0
    decision: int = 0
    later: int = 0
    not_sent: list[int] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        if outcome.status == OutboxStatus.SENT:
            self.sent += 1
        elif outcome.status == OutboxStatus.FAILED:
            self.failed += 1
        elif outcome.status == OutboxStatus.DECISION:
            self.decision += 1
        else:
            self.later += 1

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.decision + self.later

    def said(self, sent: str, failed: str = "failed", see: str = "") -> list[str]:
        """The run in plain words, e.g. ["3 exported to P21", "1 refused (see Notices)"]; ``see``
        names where the operator finds what needs them. Nothing delivered: nothing said."""
        if not self.total:
            return []
        see = f" (see {see})" if see else ""
        parts = [f"{self.sent:,} {sent}"]
        if self.failed:
            parts.append(f"{self.failed:,} {failed}{see}")
        if self.decision:
            parts.append(f"{self.decision:,} need a decision{see}")
        if self.later:
            parts.append(f"{self.later:,} to try again")
        return parts
