"""Fault injection shared by every simulated partner: fail, throttle, delay, hang.

Besides the scripted faults (the next N calls), the *fault mode* (``random_faults``) makes a
share of all calls fail at random, each drawn from ``KINDS`` (and the partner's own kinds, see
``specials``), with a seeded generator so that a failing run can be repeated. ``injected``
counts what was served, by kind.
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
import threading
from collections import Counter
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send

# What a partner's failing call looks like to the client, in the fault mode:
KINDS = (
    "500",  # HTTP 500 with an error body
    "429",  # HTTP 429 with Retry-After
    "timeout",  # the answer comes later than the client waits
    "reset",  # the connection is reset before any answer
    "truncated",  # the partner does the work; its answer breaks off part-way
    "malformed",  # HTTP 200 whose body is not the contract's (a proxy's error page)
)
# The raw connection of a request, put in its scope by ``with_connection`` (reset, cut off).
TRANSPORT = "sandbox.transport"


@dataclass
class Faults:
    """Scripted misbehaviour of one partner. Tests and the demo set it; requests consume it."""

    _fail: list[int] = field(default_factory=list)  # statuses for the next calls
    _throttle: list[float] = field(default_factory=list)  # Retry-After values
    _lose: int = 0  # answers to drop after the work is done (see ``lose``)
    lose_rate: float = 0.0  # the share of the other answers of such calls dropped at random
    delay: float = 0.0
    down: bool = False  # stops answering: every call times out
    calls: int = 0
    # The fault mode: this share of calls fails at random (0: off).
    rate: float = 0.0
    kinds: tuple[str, ...] = KINDS
    retry_after: float = 1.0  # the Retry-After of a "429"
    hang: float = 15.0  # how late a "timeout" answers: longer than the client waits
    # The partner's own kinds and the path each applies to (e.g. QuickBooks' expired token);
    # a drawn special is left in ``request.state.fault`` for the partner's route to act on.
    specials: dict[str, str] = field(default_factory=dict)
    injected: Counter[str] = field(default_factory=Counter)
    _random: random.Random = field(default_factory=random.Random)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, n: int = 1, status: int = 503) -> None:
        with self._lock:
            self._fail.extend([status] * n)

    def throttle_next(self, n: int = 1, retry_after: float = 1.0) -> None:
        with self._lock:
            self._throttle.extend([retry_after] * n)

    def lose_next(self, n: int = 1) -> None:
        """Do the work of the next ``n`` calls that change something, then lose their answers."""
        with self._lock:
            self._lose += n

    def lose(self) -> bool:
        """Whether to lose this answer: a partner asks once its work is committed."""
        with self._lock:
            if self._lose <= 0:
                return self._random.random() < self.lose_rate
            self._lose -= 1
            return True

    def random_faults(
        self,
        rate: float,
        *,
        seed: int | None = None,
        kinds: tuple[str, ...] | None = None,
        retry_after: float | None = None,
        hang: float | None = None,
    ) -> None:
        """Fail ``rate`` (0..1) of the calls from now on, each of a kind drawn at random."""
        unknown = set(kinds or ()) - set(KINDS) - set(self.specials)
        if not 0.0 <= rate <= 1.0 or unknown:
            raise ValueError(f"rate must be 0..1 and kinds among {[*KINDS, *self.specials]}")
        with self._lock:
            self.rate = rate
            self._random.seed(seed)
            self.kinds = tuple(kinds) if kinds else (*KINDS, *self.specials)
            if retry_after is not None:
                self.retry_after = retry_after
            if hang is not None:
                self.hang = hang

    def clear(self) -> None:
        with self._lock:
            self._fail.clear()
            self._throttle.clear()
            self._lose = 0
            self.lose_rate = 0.0
            self.delay = 0.0
            self.down = False
            self.rate = 0.0

    def _draw(self, path: str) -> str | None:
        """The kind of fault for this call in the fault mode, or None (answer normally)."""
        if not self.rate or self._random.random() >= self.rate:
            return None
        fitting = [k for k in self.kinds if k not in self.specials or self.specials[k] in path]
        return self._random.choice(fitting) if fitting else None

    async def apply(self, request: Request) -> Response | None:
        """A response that replaces the real one, or None to answer normally."""
        with self._lock:
            self.calls += 1
            status = self._fail.pop(0) if self._fail else None
            retry_after = None if status else (self._throttle.pop(0) if self._throttle else None)
            kind = None if status or retry_after else self._draw(request.url.path)
            if kind is not None:
                self.injected[kind] += 1
        if self.down:
            await asyncio.sleep(3600)
        if self.delay:
            await asyncio.sleep(self.delay)
        if status is not None:
            return JSONResponse({"error": f"injected failure {status}"}, status_code=status)
        if retry_after is not None:
            return JSONResponse(
                {"error": "rate limit exceeded"},
                status_code=429,
                headers={"Retry-After": f"{retry_after:g}"},
            )
        return await self._random_fault(kind, request) if kind else None

    async def _random_fault(self, kind: str, request: Request) -> Response | None:
        if kind == "500":
            return JSONResponse({"error": "injected failure 500"}, status_code=500)
        if kind == "429":
            return JSONResponse(
                {"error": "rate limit exceeded"},
                status_code=429,
                headers={"Retry-After": f"{self.retry_after:g}"},
            )
        if kind == "timeout":
            await asyncio.sleep(self.hang)
            return JSONResponse({"error": "answered too late"}, status_code=504)
        if kind == "reset":
            return dropped()
        if kind == "malformed":
            page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
            return Response(page, status_code=200, media_type="application/json")
        if kind == "truncated":
            request.state.cut_off = True  # see ``cut_off``: the real answer, broken off
        else:
            request.state.fault = kind  # a special: the partner's route acts on it
        return None


def with_connection(app):
    """The sandbox's outermost ASGI layer: puts the request's raw connection in its scope.

    Resets and answers broken off part-way need the socket itself, which ASGI hides; uvicorn's
    ``send`` is a method of the request's cycle, which holds it.
    """

    async def app_with_connection(scope: Scope, receive: Receive, send: Send) -> None:
        cycle = getattr(send, "__self__", None)
        if cycle is not None:
            scope[TRANSPORT] = getattr(cycle, "transport", None)
        await app(scope, receive, send)

    return app_with_connection


def _drop(scope: Scope, *, reset: bool) -> None:
    transport = scope.get(TRANSPORT)
    if transport is None:
        raise RuntimeError("fault mode: the connection is not known (serve with the sandbox)")
    sock = transport.get_extra_info("socket")
    if reset and sock is not None:  # linger 0: closing sends RST, not FIN
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:  # what was written still goes out, then the connection closes
        transport.close()


async def _until_disconnected(receive: Receive) -> None:
    """Wait for the server to notice the dropped connection, so it sends nothing more."""
    while (await receive())["type"] != "http.disconnect":
        pass


def dropped() -> Response:
    """An answer that never arrives: the connection is reset instead."""
    return _Reset()


class _Reset(Response):
    """No answer: the connection is reset."""

    def __init__(self) -> None:
        super().__init__(status_code=599)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        _drop(scope, reset=True)
        await _until_disconnected(receive)


def cut_off(scope: Scope, receive: Receive, send: Send) -> Send:
    """A ``send`` that delivers the headers and half the body, then drops the connection."""

    cut = False

    async def send_half(message: Message) -> None:
        nonlocal cut
        if cut:
            return
        if message["type"] != "http.response.body":
            await send(message)
            return
        cut = True
        body = message.get("body", b"")
        await send(
            {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
        )
        _drop(scope, reset=False)
        await _until_disconnected(receive)

    return send_half
