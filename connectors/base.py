"""What every partner client shares: an httpx.AsyncClient, retries with backoff, typed errors."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)


class ConnectorError(Exception):
    """A partner call failed. ``message`` is plain words an operator can act on."""

    retryable = False

    def __init__(self, message: str, *, status: int | None = None, detail: Any = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.detail = detail


class PartnerUnavailable(ConnectorError):
    """Timed out, refused the connection, or answered 5xx."""

    retryable = True


class RateLimited(ConnectorError):
    retryable = True

    def __init__(self, message: str, *, retry_after: float, status: int | None = 429):
        super().__init__(message, status=status)
        self.retry_after = retry_after


class MalformedResponse(ConnectorError):
    """The partner answered, but not in the shape its contract promises."""


class Rejected(ConnectorError):
    """The partner refused the request (4xx other than 429)."""


def retry_after_seconds(response: httpx.Response, default: float = 1.0) -> float:
    value = response.headers.get("Retry-After")
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return max(0.0, parsed.timestamp() - time.time())


def make_client(
    base_url: str,
    *,
    timeout: float = 10.0,
    transport: httpx.AsyncBaseTransport | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.AsyncClient:
    # httpx imports these on a client's first request, which would hold an event loop for
    # ~100 ms; a caller that makes the client in a thread (the console) pays for them there.
    import anyio._backends._asyncio  # noqa: F401
    import httpcore  # noqa: F401

    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(timeout),
        transport=transport,
        headers={"User-Agent": "posync", **(headers or {})},
    )


async def send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    partner: str,
    attempts: int = 4,
    max_wait: float = 30.0,
    classify: Callable[[httpx.Response], ConnectorError | None] | None = None,
    sleep: Callable[[float], Any] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """Send a request; retry timeouts, 5xx and 429 with backoff (honouring Retry-After).

    ``classify`` may turn a response into a partner-specific error (e.g. a QuickBooks Fault);
    by default 429 → RateLimited, 5xx → PartnerUnavailable, other 4xx → Rejected.
    """
    classify = classify or _default_classify(partner)

    def _wait(retry_state) -> float:
        exc = retry_state.outcome.exception()
        if isinstance(exc, RateLimited):
            return min(exc.retry_after, max_wait)
        return wait_exponential_jitter(multiplier=0.2, max=max_wait, jitter=0.2)(retry_state)

    retrying = AsyncRetrying(
        stop=stop_after_attempt(attempts),
        wait=_wait,
        retry=retry_if_exception(lambda e: isinstance(e, ConnectorError) and e.retryable),
        reraise=True,
        **({"sleep": sleep} if sleep else {}),
    )
    async for attempt in retrying:
        with attempt:
            try:
                response = await client.request(method, url, **kwargs)
            except httpx.TimeoutException as exc:
                raise PartnerUnavailable(f"{partner} did not answer in time ({exc!r})") from exc
            except httpx.TransportError as exc:
                raise PartnerUnavailable(f"{partner} cannot be reached ({exc})") from exc
            error = classify(response)
            if error is not None:
                raise error
            return response
    raise AssertionError("unreachable")  # tenacity re-raises the last error


def _default_classify(partner: str) -> Callable[[httpx.Response], ConnectorError | None]:
    def classify(response: httpx.Response) -> ConnectorError | None:
        if response.status_code == 429:
            return RateLimited(
                f"{partner} asked us to slow down",
                retry_after=retry_after_seconds(response),
            )
        if response.status_code >= 500:
            return PartnerUnavailable(
                f"{partner} failed with HTTP {response.status_code}", status=response.status_code
            )
        if response.status_code >= 400:
            return Rejected(
                f"{partner} refused the request: HTTP {response.status_code} {_short(response)}",
                status=response.status_code,
            )
        return None

    return classify


def _short(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:200]


def json_body(response: httpx.Response, *, partner: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise MalformedResponse(
            f"{partner} sent a body that is not JSON: {_short(response)!r}"
        ) from exc


class JsonClient:
    """A partner spoken to in JSON over HTTP: bearer key, retries, typed errors.

    Subclasses name their ``partner`` (for messages) and add the contract's calls on top of
    ``get_json``. Use as ``async with``.
    """

    partner = "the partner"

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout: float = 10.0,
        attempts: int = 4,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
        self._client = make_client(base_url, timeout=timeout, transport=transport, headers=headers)
        self._attempts = attempts

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get_json(self, url: str, **params: Any) -> Any:
        """GET ``url`` with the given query parameters (None ones left out); the parsed body."""
        params = {k: v for k, v in params.items() if v is not None}
        response = await send(
            self._client, "GET", url, partner=self.partner, attempts=self._attempts, params=params
        )
        return json_body(response, partner=self.partner)
