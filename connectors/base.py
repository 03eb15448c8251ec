"""What every partner client shares: one HTTP client base, one retry policy, typed errors.

A partner's client subclasses ``PartnerClient``, names its ``partner`` (for messages) and adds
its contract's calls on top of ``get``/``post``/``put`` (JSON or text bodies both ways). Every
call goes through ``RetryPolicy``: timeouts, connection errors, 5xx, 429 and answers cut off
part-way are tried again with backoff, honouring Retry-After; a 4xx refusal never is. Path
segments go through ``path()``; answers are size- and depth-limited (``connectors.bodies``).
"""

from __future__ import annotations

import asyncio
import functools
import json
import math
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from tenacity import AsyncRetrying, RetryCallState, wait_exponential_jitter

from connectors.bodies import MAX_BODY, MAX_DEPTH, Reply, read_limited
from connectors.errors import (
    ConnectorError,
    InvalidRequest,
    MalformedResponse,
    PartnerUnavailable,
    RateLimited,
    Rejected,
)

__all__ = [
    "ConnectorError",
    "InvalidRequest",
    "MalformedResponse",
    "PartnerClient",
    "PartnerUnavailable",
    "RateLimited",
    "Rejected",
    "Reply",
    "RetryPolicy",
    "path",
    "retry_after_seconds",
]

T = TypeVar("T")
THREADED_BODY = 32 * 1024  # bytes: a partner's answer this big is parsed in a thread
Sleep = Callable[[float], Awaitable[Any]]


def path(*segments: object) -> str:
    """A URL path from segments, each percent-encoded whole ("a/b?c" stays one segment).

    A segment that cannot be a path segment at all (empty, "." or "..", which servers resolve
    away, or text that is not Unicode) is an InvalidRequest naming it.
    """
    parts = []
    for segment in segments:
        text = str(segment)
        if text in ("", ".", ".."):
            raise InvalidRequest(f"{text!r} cannot be used in a URL path", value=text)
        try:
            parts.append(quote(text, safe=""))
        except UnicodeEncodeError:
            raise InvalidRequest(f"{text!r} cannot be put in a URL", value=text) from None
    return "/" + "/".join(parts)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After in seconds: a number of seconds or an HTTP-date; None if absent or garbled."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to try again: the one policy of every partner call.

    ``attempts`` bounds tries after failures (timeout, connection, 5xx, a cut-off body);
    ``throttle_attempts`` bounds tries after "slow down" answers. A wait the partner asks for
    (Retry-After) is kept; one longer than ``max_wait`` ends the call instead (the next poll
    tries again) rather than asking sooner than the partner allows.
    """

    attempts: int = 4
    throttle_attempts: int = 8
    first_wait: float = 0.2
    max_wait: float = 30.0

    async def run(
        self,
        attempt: Callable[[], Awaitable[T]],
        *,
        sleep: Sleep = asyncio.sleep,
        before_retry: Callable[[], Awaitable[T | None]] | None = None,
        on_retry: Callable[[ConnectorError, float], None] | None = None,
    ) -> T:
        """``attempt()`` until it succeeds or the policy gives up (re-raising the last error).

        ``before_retry``: after a failure that may have reached the partner, look for what the
        lost attempt did; a non-None answer ends the call with it.
        """
        backoff = wait_exponential_jitter(
            multiplier=self.first_wait, max=self.max_wait, jitter=self.first_wait
        )
        failed: ConnectorError | None = None
        tries = {True: 0, False: 0}  # failed tries so far: throttled or not

        def stop(state: RetryCallState) -> bool:
            error = _failure(state)
            if error.retry_after is not None and error.retry_after > self.max_wait:
                return True
            tries[error.throttled] += 1
            limit = self.throttle_attempts if error.throttled else self.attempts
            return tries[error.throttled] >= limit

        def wait(state: RetryCallState) -> float:
            error = _failure(state)
            if error.retry_after is not None:
                return min(error.retry_after, self.max_wait)
            return backoff(state)

        def before_sleep(state: RetryCallState) -> None:
            if on_retry is not None:
                assert state.next_action is not None  # set before tenacity calls before_sleep
                on_retry(_failure(state), state.next_action.sleep)

        retrying = AsyncRetrying(
            stop=stop,
            wait=wait,
            retry=lambda state: self._retryable(state.outcome.exception()),
            before_sleep=before_sleep,
            reraise=True,
            sleep=sleep,
        )
        try:
            async for try_ in retrying:
                with try_:
                    if before_retry is not None and failed is not None and not failed.throttled:
                        found = await before_retry()
                        if found is not None:
                            return found
                    try:
                        return await attempt()
                    except ConnectorError as exc:
                        failed = exc
                        raise
        except MalformedResponse as exc:
            # Unreadable at every try: the partner's data, not a passing fault (a feed sets the
            # record aside with its text instead of asking for it again and again).
            exc.retryable = False
            raise
        raise AssertionError("unreachable")  # tenacity re-raises the last error

    @staticmethod
    def _retryable(error: BaseException | None) -> bool:
        return isinstance(error, ConnectorError) and error.retryable


def _failure(state: RetryCallState) -> ConnectorError:
    """The error the last attempt raised, as stop, wait and before_sleep see it.

    Tenacity calls them only after a failed attempt that ``retry=`` let through, and that lets
    through only a retryable ConnectorError.
    """
    assert state.outcome is not None
    error = state.outcome.exception()
    assert isinstance(error, ConnectorError)
    return error


def _detail(exc: httpx.TransportError) -> str:
    """The transport's own words, in brackets; a reset or a timeout often says nothing, and
    an empty "()" or a class name is not something to show an operator."""
    words = str(exc).strip()
    return f" ({words})" if words else ""


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The certificate authorities, read once per process: reading them takes ~20-100 ms, which
    every client would otherwise pay (a job's run on the console's loop, among others)."""
    return httpx.create_ssl_context()


class PartnerClient:
    """A partner spoken to over HTTP: bearer key, the retry policy, limits, typed errors.

    Use as ``async with``. ``max_body`` (bytes) and ``max_depth`` (JSON nesting) bound what a
    partner's answer may cost; beyond them the answer is a MalformedResponse.
    """

    partner = "the partner"

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 10.0,
        attempts: int = 4,
        throttle_attempts: int = 8,
        first_wait: float = 0.2,
        max_wait: float = 30.0,
        max_body: int = MAX_BODY,
        max_depth: int = MAX_DEPTH,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
    ):
        # httpx imports these on a client's first request, which would hold an event loop for
        # ~100 ms; a caller that makes the client in a thread (the console) pays for them there.
        import anyio._backends._asyncio  # noqa: F401
        import httpcore  # noqa: F401

        sent = {"User-Agent": "posync", **(headers or {})}
        if api_key:
            sent["Authorization"] = f"Bearer {api_key}"
        url, auth = httpx.URL(base_url), None
        if url.userinfo:  # sent as basic auth, as httpx would; kept out of the URL it logs
            auth = httpx.BasicAuth(url.username, url.password)
            url = url.copy_with(userinfo=b"")
        self._http = httpx.AsyncClient(
            base_url=url,
            auth=auth,
            timeout=httpx.Timeout(timeout),
            transport=transport,
            headers=sent,
            verify=_tls_context(),
        )
        self.policy = RetryPolicy(attempts, throttle_attempts, first_wait, max_wait)
        self.max_body, self.max_depth, self.sleep = max_body, max_depth, sleep

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- calls --------------------------------------------------------------------------------

    async def get(self, url: str, **kw: Any) -> Reply:
        return await self.request("GET", url, **kw)

    async def post(self, url: str, **kw: Any) -> Reply:
        return await self.request("POST", url, **kw)

    async def put(self, url: str, **kw: Any) -> Reply:
        return await self.request("PUT", url, **kw)

    async def parsed(self, reply: Reply, parse: Callable[[Any], T]) -> T:
        """``reply.json_as(parse)``, a big body off the event loop (``off_loop``)."""
        return await off_loop(reply, lambda: reply.json_as(parse))

    async def get_json(self, url: str, **params: Any) -> Any:
        """GET ``url`` with the given query parameters (None ones left out); the parsed body."""
        return (await self.get(url, params=params)).json()

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        text: str | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        idempotency_key: str | None = None,
        before_retry: Callable[[], Awaitable[Reply | None]] | None = None,
    ) -> Reply:
        """Send with the retry policy; the answer, or the typed error of the last try.

        ``json`` or ``text`` is the body (text is sent in the charset ``content_type`` names,
        UTF-8 by default). ``idempotency_key`` is sent as ``Idempotency-Key``, the same on
        every retry, so the partner can tell a retry from a second request.
        """
        sent = {**(headers or {})}
        if idempotency_key is not None:
            sent["Idempotency-Key"] = idempotency_key
        for name, value in sent.items():
            if any(c in value for c in "\r\n\0"):
                raise InvalidRequest(f"{value!r} cannot be sent in the {name} header", value=value)
        content = self._body(json, text, content_type, sent)
        query = {k: v for k, v in (params or {}).items() if v is not None}

        async def attempt() -> Reply:
            return await self.attempt(method, url, params=query, content=content, headers=sent)

        return await self.policy.run(attempt, sleep=self.sleep, before_retry=before_retry)

    def _body(
        self, payload: Any, text: str | None, content_type: str | None, headers: dict[str, str]
    ) -> bytes | None:
        if payload is not None:
            headers["Content-Type"] = content_type or "application/json"
            return json.dumps(payload, default=str).encode()
        if text is not None:
            content_type = content_type or "text/plain; charset=utf-8"
            headers["Content-Type"] = content_type
            charset = Reply(self.partner, 0, httpx.Headers(headers), b"")._charset()
            try:
                return text.encode(charset)
            except (UnicodeEncodeError, LookupError) as exc:
                raise InvalidRequest(
                    f"the text for {self.partner} cannot be sent as {charset}: {exc}"
                ) from None
        return None

    # --- one try ------------------------------------------------------------------------------

    async def attempt(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any],
        content: bytes | None,
        headers: dict[str, str],
    ) -> Reply:
        """Send once and read the whole answer (up to ``max_body``); raise its typed error."""
        who = self.partner
        try:
            request = self._http.build_request(
                method, url, params=params, content=content, headers=headers
            )
        except (httpx.InvalidURL, UnicodeError, ValueError, TypeError) as exc:
            raise InvalidRequest(
                f"a request to {who} cannot be built ({exc}): {url!r} {params!r}", value=url
            ) from None
        try:
            response = await self._http.send(request, stream=True)
            try:
                content, too_big = await read_limited(response, self.max_body)
            finally:
                await response.aclose()
        except httpx.TimeoutException as exc:
            raise PartnerUnavailable(f"{who} did not answer in time{_detail(exc)}") from exc
        except (httpx.LocalProtocolError, httpx.UnsupportedProtocol) as exc:
            raise InvalidRequest(f"a request to {who} cannot be sent ({exc})", value=url) from exc
        except httpx.RemoteProtocolError as exc:  # dropped mid-body, wrong Content-Length
            raise PartnerUnavailable(f"{who} broke off its answer ({exc})") from exc
        except httpx.TransportError as exc:
            raise PartnerUnavailable(f"{who} cannot be reached{_detail(exc)}") from exc
        except httpx.DecodingError as exc:
            raise MalformedResponse(f"{who} sent a body that cannot be decoded ({exc})") from exc
        reply = Reply(who, response.status_code, response.headers, content, self.max_depth)
        error = self.classify(reply)
        if error is not None:
            raise error
        if too_big:
            raise reply.malformed(f"sent a body larger than {self.max_body:,} bytes")
        if content and "json" in reply.headers.get("Content-Type", ""):
            # A garbled answer is found here, to be tried again (the parse is kept for later).
            await off_loop(reply, lambda: reply.json(retry_garbled=True))
        return reply

    def classify(self, reply: Reply) -> ConnectorError | None:
        """The error an answer means, or None. 429 → RateLimited, 5xx → PartnerUnavailable,
        other 4xx → Rejected; partners with error bodies of their own override this."""
        status, who = reply.status, self.partner
        retry_after = retry_after_seconds(reply.headers.get("Retry-After"))
        if status == 429:
            return RateLimited(f"{who} asked us to slow down", retry_after=retry_after)
        if status >= 500:
            return PartnerUnavailable(
                f"{who} failed with HTTP {status}", status=status, retry_after=retry_after
            )
        if status >= 400:
            return Rejected(
                f"{who} refused the request: HTTP {status} {short(reply)}", status=status
            )
        return None


async def off_loop(reply: Reply, read: Callable[[], T]) -> T:
    """``read()`` of ``reply``; in a thread when its body is big, so that the event loop stays
    free (decoding and validating Ovotrack's answer for 500 lines, 140 kB, takes 8-10 ms; for
    2,000 lines, 50 ms)."""
    if len(reply.content) < THREADED_BODY:
        return read()
    return await asyncio.to_thread(read)


def short(reply: Reply) -> str:
    return reply.raw.strip().replace("\n", " ")[:200]
