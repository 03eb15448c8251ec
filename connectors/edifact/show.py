"""An interchange as plain JSON values and as a few lines for a person (``posync edi parse``)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from connectors.edifact.messages import (
    MESSAGE_TYPES,
    DespatchAdvice,
    Interchange,
    Invoice,
    Message,
    OrderResponse,
)


def to_json(interchange: Interchange) -> dict[str, Any]:
    """Every field, decimals as text and dates ISO; each message with its ``type`` and, for an
    order response, the accept statuses its codes map to."""
    return {
        "envelope": _plain(dataclasses.asdict(interchange.envelope)),
        "messages": [_message(m) for m in interchange.messages],
    }


def _message(message: Message) -> dict[str, Any]:
    shown = {"type": MESSAGE_TYPES[type(message)], **_plain(dataclasses.asdict(message))}
    if isinstance(message, OrderResponse):
        shown["status"] = _status(message.status)
        for line, status in zip(shown["lines"], message.lines, strict=True):
            line["status"] = _status(status.status)
    return shown


def _status(status: Any) -> str | None:
    return None if status is None else str(status)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def summary(interchange: Interchange) -> list[str]:
    """One line for the envelope, one per message."""
    envelope = interchange.envelope
    lines = [
        f"interchange {envelope.control_ref} from {envelope.sender} to {envelope.recipient}, "
        f"{envelope.prepared:%Y-%m-%d %H:%M}, {envelope.syntax}:{envelope.syntax_version}, "
        f"{len(interchange.messages)} message(s)"
    ]
    for message in interchange.messages:
        kind = MESSAGE_TYPES[type(message)]
        what = f"  {kind} {message.message_ref}: {message.number}"
        if isinstance(message, OrderResponse):
            what += f" for {message.order_number}, {_status(message.status) or 'not processed'}"
        elif isinstance(message, DespatchAdvice):
            what += f" for {message.order_number or '-'}, {len(message.packages)} package(s)"
        elif isinstance(message, Invoice):
            total = message.totals.total if message.totals else ""
            what += f" for {message.order_number or '-'}, total {total} {message.currency}"
        lines.append(f"{what}, {len(message.lines)} line(s)")
    return lines
