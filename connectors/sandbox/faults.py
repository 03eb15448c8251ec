"""Fault injection shared by every simulated partner: fail, throttle, delay, hang."""

from __future__ import annotations

import asyncio
import random
import threading
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import JSONResponse, Response


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
                return random.random() < self.lose_rate  # noqa: S311 - a fault, not a secret
            self._lose -= 1
            return True

    def clear(self) -> None:
        with self._lock:
            self._fail.clear()
            self._throttle.clear()
            self._lose = 0
            self.lose_rate = 0.0
            self.delay = 0.0
            self.down = False

    async def apply(self, request: Request) -> Response | None:
        """A response that replaces the real one, or None to answer normally."""
        with self._lock:
            self.calls += 1
            status = self._fail.pop(0) if self._fail else None
            retry_after = None if status else (self._throttle.pop(0) if self._throttle else None)
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
        return None
