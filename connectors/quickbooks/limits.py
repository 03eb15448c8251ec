"""Client-side throttling to QuickBooks Online's documented limits, per realm (company).

Intuit: 500 requests per minute and 10 requests per second per realm and app; the batch
endpoint 40 requests per minute (each batch also counts as one request). Waiting here is cheaper
than a 429. The window lengths are settings so that tests and the bench can shrink a minute.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    per_minute: int = 500
    per_second: int = 10
    batch_per_minute: int = 40
    batch_size: int = 30
    minute: float = 60.0  # seconds in a "minute" window (shrunk in tests)
    second: float = 1.0  # seconds in a "second" window

    def scaled(self, factor: float) -> Limits:
        """The same counts over windows ``factor`` times as long (0.01: a minute lasts 0.6 s)."""
        return Limits(
            self.per_minute,
            self.per_second,
            self.batch_per_minute,
            self.batch_size,
            self.minute * factor,
            self.second * factor,
        )


class _Window:
    """At most ``limit`` events in any ``length`` seconds (a sliding log of send times)."""

    def __init__(self, limit: int, length: float):
        self.limit, self.length = limit, length
        self.sent: deque[float] = deque()

    def wait_needed(self, now: float) -> float:
        while self.sent and now - self.sent[0] >= self.length:
            self.sent.popleft()
        if len(self.sent) < self.limit:
            return 0.0
        return self.sent[0] + self.length - now


class RateLimiter:
    """Waits until a request fits every window, then records it. Safe for many coroutines."""

    # Requests reach the server a little after they leave; a small margin keeps the server's
    # count under its limit when two sends land closer together than they were sent.
    MARGIN = 1.03
    SLACK = 0.010  # seconds

    def __init__(self, limits: Limits, clock=time.monotonic, sleep=asyncio.sleep):
        self.limits = limits
        self.clock, self.sleep = clock, sleep
        self._all = [
            _Window(limits.per_minute, self._widen(limits.minute)),
            _Window(limits.per_second, self._widen(limits.second)),
        ]
        self._batch = _Window(limits.batch_per_minute, self._widen(limits.minute))
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.waited = 0.0  # total seconds spent waiting (for the bench and the status line)

    def _widen(self, length: float) -> float:
        return length * self.MARGIN + self.SLACK

    async def acquire(self, *, batch: bool = False) -> None:
        async with self._get_lock():
            windows = [*self._all, self._batch] if batch else self._all
            while True:
                now = self.clock()
                wait = max(w.wait_needed(now) for w in windows)
                if wait <= 0:
                    break
                self.waited += wait
                await self.sleep(wait)
            now = self.clock()
            for window in windows:
                window.sent.append(now)

    def _get_lock(self) -> asyncio.Lock:
        # One limiter outlives event loops (tests, `posync sync --once`); a lock belongs to one.
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:
            self._lock, self._loop = asyncio.Lock(), loop
        return self._lock


_limiters: dict[tuple[str, Limits], RateLimiter] = {}


def limiter_for(realm_id: str, limits: Limits) -> RateLimiter:
    """The one limiter of a realm in this process, shared by every client of that realm."""
    key = (realm_id, limits)
    if key not in _limiters:
        _limiters[key] = RateLimiter(limits)
    return _limiters[key]
