"""Reading values out of a message's segments, each failure a ContentError at its segment."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

from connectors.edifact.errors import ContentError
from connectors.edifact.gln import gln_problem
from connectors.edifact.syntax import Segment

# n..15 in EDIFACT: digits with at most one decimal mark, perhaps a leading minus sign.
_NUMBER = {
    mark: re.compile(r"-?(?:\d+(?:%s\d*)?|%s\d+)" % ((re.escape(mark),) * 2)) for mark in ".,"
}
_DATE_FORMATS = {"102": "%Y%m%d", "203": "%Y%m%d%H%M", "204": "%Y%m%d%H%M%S", "101": "%y%m%d"}


def error(segment: Segment, message: str) -> ContentError:
    return ContentError(message, index=segment.index, tag=segment.tag)


# QTY 6063 read as a supplier's confirmed quantity: 113 (to be delivered); some hubs send 187.
CONFIRMED = ("113", "187")


class Fields:
    """A message's segments, read with its interchange's decimal mark and its partner's choice
    of confirmed-quantity qualifiers."""

    def __init__(
        self, segments: list[Segment], decimal: str, confirmed: tuple[str, ...] = CONFIRMED
    ):
        self.segments = segments
        self.decimal = decimal
        self.confirmed = confirmed

    def number(self, segment: Segment, element: int, component: int, what: str) -> Decimal:
        text = segment.value(element, component)
        digits = sum(c.isdigit() for c in text)
        if not _NUMBER[self.decimal].fullmatch(text) or digits > 15:
            shown = f"{text!r}" if text else "missing"
            raise error(segment, f"{what} {shown} is not a number (decimal mark {self.decimal!r})")
        return Decimal(text.replace(self.decimal, "."))

    def optional_number(
        self, segment: Segment | None, element: int, component: int, what: str
    ) -> Decimal | None:
        return None if segment is None else self.number(segment, element, component, what)


def whole(segment: Segment, element: int, what: str, component: int = 0) -> int:
    text = segment.value(element, component)
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise error(segment, f"{what} {text!r} is not a whole number")
    return int(text)


def required(segment: Segment, element: int, what: str, component: int = 0) -> str:
    text = segment.value(element, component)
    if not text.strip():
        raise error(segment, f"{what} is missing")
    return text


def optional(segment: Segment | None, element: int, component: int = 0) -> str | None:
    text = segment.value(element, component) if segment is not None else ""
    return text or None


def when(segment: Segment) -> date:
    """DTM's date (formats 102, 203, 204, 101); a time in it is dropped."""
    value, form = segment.value(0, 1), segment.value(0, 2) or "102"
    pattern = _DATE_FORMATS.get(form)
    if pattern is None:
        raise error(segment, f"date format {form!r} is not one of {', '.join(_DATE_FORMATS)}")
    try:
        return datetime.strptime(value, pattern).date()
    except ValueError:
        raise error(segment, f"{value!r} is not a date in format {form}") from None


def gln(segment: Segment) -> str:
    """NAD's party identification, which must be a GLN (3055 = 9)."""
    value = required(segment, 1, f"NAD+{segment.value(0)} party identification")
    agency = segment.value(1, 2)
    if agency and agency != "9":
        raise error(segment, f"party {value} is not identified by GLN (3055 is {agency!r}, not 9)")
    problem = gln_problem(value)
    if problem:
        raise error(segment, problem)
    return value


def first(segments: Iterable[Segment], tag: str, qualifier: str | None = None) -> Segment | None:
    for segment in tagged(segments, tag, qualifier):
        return segment
    return None


def tagged(segments: Iterable[Segment], tag: str, *qualifiers: str | None) -> Iterator[Segment]:
    """Segments with ``tag`` whose first component is one of ``qualifiers`` (any if None)."""
    wanted = {q for q in qualifiers if q is not None}
    for segment in segments:
        if segment.tag == tag and (not wanted or segment.value(0) in wanted):
            yield segment


def dates(segments: Iterable[Segment]) -> dict[str, date]:
    """DTM qualifier → date, the first of each qualifier."""
    found: dict[str, date] = {}
    for segment in tagged(segments, "DTM"):
        found.setdefault(segment.value(0, 0), when(segment))
    return found


def document_date(found: dict[str, date], bgm: Segment) -> date:
    try:
        return found["137"]
    except KeyError:
        raise error(bgm, "the message has no document date (DTM+137)") from None


def parties(segments: Iterable[Segment]) -> dict[str, str]:
    """NAD qualifier → GLN."""
    return {s.value(0): gln(s) for s in tagged(segments, "NAD")}


def references(segments: Iterable[Segment]) -> dict[str, list[str]]:
    """RFF qualifier → its references, in order."""
    found: dict[str, list[str]] = {}
    for segment in tagged(segments, "RFF"):
        found.setdefault(segment.value(0, 0), []).append(segment.value(0, 1))
    return found


def first_reference(found: dict[str, list[str]], qualifier: str) -> str | None:
    return found[qualifier][0] if found.get(qualifier) else None


def party(found: dict[str, str], qualifier: str, anchor: Segment) -> str:
    try:
        return found[qualifier]
    except KeyError:
        raise error(anchor, f"no NAD+{qualifier} party") from None


def mpn(segments: Iterable[Segment]) -> str | None:
    """The manufacturer part number: PIA+1|5 with a :MF item (MP is not an MPN)."""
    for segment in tagged(segments, "PIA", "1", "5"):
        for element in segment.elements[1:]:
            if len(element) > 1 and element[1] == "MF" and element[0]:
                return element[0]
    return None


def buyer_line(group: Iterable[Segment]) -> int | None:
    """The buyer's line number a response, despatch or invoice line points at: RFF+LI with
    the number in 1154 (``RFF+LI:3``) or, after the PO number, in 1156 (``RFF+LI:PO-1:3``)."""
    rff = first(group, "RFF", "LI")
    if rff is None:
        return None
    return whole(rff, 0, "RFF+LI line number", 2 if rff.value(0, 2) else 1)


def supplier_item(lin: Segment) -> str | None:
    return lin.value(2, 0) if lin.value(2, 1) == "SA" and lin.value(2, 0) else None


def description(segments: Iterable[Segment]) -> str:
    segment = first(segments, "IMD")
    return (segment.value(2, 3) + segment.value(2, 4)).strip() if segment else ""


def groups(
    segments: list[Segment], start: str, stop: str = "UNS"
) -> tuple[list[Segment], list[list[Segment]], list[Segment]]:
    """(segments before the first ``start``, one list per ``start`` group, segments from
    ``stop`` on)."""
    header: list[Segment] = []
    found: list[list[Segment]] = []
    summary: list[Segment] = []
    for segment in segments:
        if summary or segment.tag == stop:
            summary.append(segment)
        elif segment.tag == start:
            found.append([segment])
        elif found:
            found[-1].append(segment)
        else:
            header.append(segment)
    return header, found, summary
