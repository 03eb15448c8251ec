"""What can be wrong with an interchange, each error naming the segment where it was found.

``index`` counts segments from the start of the interchange: UNB is 1 (a UNA before it is 0),
so the same interchange with or without UNA gives the same positions. ``tag`` is that
segment's tag when it could be read. ``message`` is plain words an operator can act on.
"""

from __future__ import annotations

from typing import Any


class EdifactError(ValueError):
    """An interchange that cannot be read or does not mean what its envelope says.

    A ValueError, so the feed counts it as partner data that does not parse. ``where`` is the
    position in words (the feed's quarantine shows it as the field at fault) and ``raw`` the
    interchange's text, set by ``parse``.
    """

    kind = "edifact"

    def __init__(self, message: str, *, index: int | None = None, tag: str | None = None):
        super().__init__(message)
        self.message = message
        self.index = index
        self.tag = tag
        self.raw: str | None = None

    @property
    def where(self) -> str | None:
        return self.position or None

    @property
    def position(self) -> str:
        """ "segment 7 (QTY)", or "" when the error is about the interchange as a whole."""
        if self.index is None:
            return ""
        return f"segment {self.index}" + (f" ({self.tag})" if self.tag else "")

    def __str__(self) -> str:
        return f"{self.position}: {self.message}" if self.position else self.message

    def as_json(self) -> dict[str, Any]:
        return {"error": self.kind, "message": self.message, "index": self.index, "tag": self.tag}


class ServiceCharacterError(EdifactError):
    """A bad UNA, a release character before an ordinary character, or text the declared
    character set (UNB syntax identifier) cannot carry."""

    kind = "service characters"


class EdifactSyntaxError(EdifactError):
    """The text cannot be cut into segments: no terminator at the end, a malformed tag."""

    kind = "syntax"


class EnvelopeError(EdifactError):
    """UNB/UNZ or UNH/UNT wrong: missing, out of order, counts or references that disagree."""

    kind = "envelope"


class ContentError(EdifactError):
    """A message's segments are readable but wrong: a missing segment, a quantity that is not
    a number, an unknown code, an invalid GLN."""

    kind = "content"


class TotalsError(ContentError):
    """An invoice whose amounts do not add up to its totals."""

    kind = "totals"
