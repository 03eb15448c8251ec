"""The typed errors every partner call ends in: an operator reads ``message``, code reads the rest.

``retryable``: the same call may work later (timeouts, 5xx, 429, a body cut off mid-way).
``throttled``: the partner asked us to slow down; retries of those have their own budget.
"""

from __future__ import annotations

from typing import Any


class ConnectorError(Exception):
    """A partner call failed. ``message`` is plain words an operator can act on."""

    retryable = False
    throttled = False
    # Seconds the partner asked us to wait before the next try (Retry-After), if it said.
    retry_after: float | None = None

    def __init__(self, message: str, *, status: int | None = None, detail: Any = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.detail = detail


class PartnerUnavailable(ConnectorError):
    """Timed out, refused the connection, answered 5xx, or cut its answer off part-way."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.retry_after = retry_after


class RateLimited(ConnectorError):
    retryable = True
    throttled = True

    def __init__(self, message: str, *, retry_after: float | None, status: int | None = 429):
        super().__init__(message, status=status)
        self.retry_after = retry_after


class MalformedResponse(ConnectorError):
    """The partner answered, but not in the shape its contract promises.

    Not retryable: the partner's data is bad, and asking again gets the same data. ``where``
    says what failed ("body", or a field path such as "$.lines[3].quantity_ordered"); ``raw``
    is the text received (cut at the body size limit), kept so the entry can be quarantined.
    """

    def __init__(
        self,
        message: str,
        *,
        where: str = "body",
        raw: str | None = None,
        status: int | None = None,
        detail: Any = None,
    ):
        super().__init__(message, status=status, detail=detail)
        self.where = where
        self.raw = raw


class Rejected(ConnectorError):
    """The partner refused the request (4xx other than 429)."""


class InvalidRequest(ConnectorError):
    """posync could not even build the request: a value cannot be put in a URL or a header."""

    def __init__(self, message: str, *, value: Any = None):
        super().__init__(message, detail=value)
        self.value = value
