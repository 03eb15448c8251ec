"""Timestamps are stored in UTC and shown in the operator's local time."""

from __future__ import annotations

from datetime import datetime


def local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone().strftime(fmt)


def local_time(value: datetime | None) -> str:
    return local(value, "%H:%M:%S")
