"""Partner answers read defensively: size-limited, depth-limited JSON, strict text decoding.

A partner's body is untrusted input. It is read up to a limit and no further (a 10 MB answer
costs at most the limit in memory); JSON nesting is measured before parsing, so 50,000 nested
brackets are a typed error instead of a RecursionError; numbers are parsed as Decimal (never a
float that rounds or overflows to inf) and NaN/Infinity are refused.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import accumulate
from typing import Any, TypeVar

import httpx

from connectors.errors import MalformedResponse

MAX_BODY = 5 * 1024 * 1024  # bytes
MAX_DEPTH = 64  # nested JSON arrays/objects

T = TypeVar("T")

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


async def read_limited(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """The body up to ``limit`` bytes, and whether there was more (reading stops there)."""
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[:limit], True
    return b"".join(chunks), False


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in ``text`` (brackets inside strings do not count)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:  # an exponent beyond any Decimal's, e.g. 0E1000000000000000000
        raise ValueError(f"{text[:40]} is out of range") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def loads(text: str, max_depth: int = MAX_DEPTH) -> Any:
    """JSON with numbers as Decimal; ValueError if it is not JSON or nests too deep."""
    depth = json_depth(text)
    if depth > max_depth:
        raise ValueError(f"JSON nested {depth} levels deep (at most {max_depth} are accepted)")
    # ValueError also for an integer of more than 4,300 digits.
    return json.loads(text, parse_float=_decimal, parse_constant=_refuse_constant)


@dataclass(frozen=True)
class Reply:
    """A partner's answer, read in full and within the size limit."""

    partner: str
    status: int
    headers: httpx.Headers
    content: bytes
    max_depth: int = MAX_DEPTH
    _parsed: tuple[Any] | None = field(default=None, compare=False, repr=False)

    @property
    def raw(self) -> str:
        """The body as text whatever its bytes (for error reports and quarantine)."""
        return self.content.decode(self._charset(), errors="replace")

    @property
    def text(self) -> str:
        """The body as text in its declared charset (UTF-8 if none); undecodable is malformed."""
        try:
            return self.content.decode(self._charset())
        except UnicodeDecodeError as exc:
            raise self.malformed(f"sent a body that is not valid text ({exc.reason})") from None

    def json(self, *, retry_garbled: bool = False) -> Any:
        """The body parsed; a MalformedResponse if it is not JSON (``retry_garbled``: one that
        is not JSON at all may be asked for again — the HTTP base's check inside its tries)."""
        if self._parsed:
            return self._parsed[0]
        text = self.text
        try:
            parsed = loads(text, self.max_depth)
        except ValueError as exc:
            words = f"sent a body that is not JSON ({exc}): {self.raw[:80]!r}"
            error = self.malformed(words)
            # Not JSON at all is what a proxy's error page or a garbled answer looks like: the
            # next try usually answers properly. JSON that breaks the contract (Infinity, too
            # deep, a 5,000-digit number) would not: it is the partner's data, not tried again.
            error.retryable = retry_garbled and isinstance(exc, json.JSONDecodeError)
            raise error from None
        object.__setattr__(self, "_parsed", (parsed,))  # parsed once, however often asked
        return parsed

    def json_as(self, parse: Callable[[Any], T]) -> T:
        """The JSON body through ``parse``; its MalformedResponse carries this body's text."""
        try:
            return parse(self.json())
        except MalformedResponse as exc:
            if exc.raw is None:
                exc.raw = self.raw
            raise

    def malformed(self, words: str, where: str = "body") -> MalformedResponse:
        return MalformedResponse(
            f"{self.partner} {words}", where=where, raw=self.raw, status=self.status
        )

    def _charset(self) -> str:
        content_type = self.headers.get("Content-Type", "")
        match = re.search(r"charset=[\"']?([\w.:-]+)", content_type, re.I)
        try:  # a charset Python does not know: read as UTF-8, which most partners mean
            return codecs.lookup(match.group(1)).name if match else "utf-8"
        except LookupError:
            return "utf-8"
