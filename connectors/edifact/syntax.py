"""UN/EDIFACT syntax: service characters (UNA), character sets, cutting text into segments.

pydifact's tokenizer cuts the text; around it this module adds what pydifact does not check:
a UNA whose characters clash or are letters, a release character before an ordinary character,
text the declared character set cannot carry, control characters inside data, text that does
not end with a segment terminator, malformed tags. Every error names the segment it is in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from pydifact.control import Characters
from pydifact.exceptions import EDISyntaxError
from pydifact.parser import Parser
from pydifact.tokenizer import Tokenizer

from connectors.edifact.errors import EdifactSyntaxError, ServiceCharacterError

# UNB 0001 syntax identifier → the codec its text is in. UNOA/UNOB are checked further
# against their repertoires (_LEVEL_A/_LEVEL_B).
CHARSETS = {
    "UNOA": "ascii",
    "UNOB": "ascii",
    "UNOC": "iso-8859-1",
    "UNOD": "iso-8859-2",
    "UNOE": "iso-8859-5",
    "UNOF": "iso-8859-7",
    "UNOY": "utf-8",
}
_LEVEL_A = re.compile(r"[^A-Z0-9 .,\-()/='+:?!\"%&*;<>]")
_LEVEL_B = re.compile(r"[^\x20-\x7e]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TAG = re.compile(r"[A-Z][A-Z0-9]{2}")
_SYNTAX_ID = re.compile(rb"UNB.(UNO[A-Z])")


@dataclass(frozen=True)
class Separators:
    """The service characters in UNA order. The defaults are ISO 9735's (a decimal point)."""

    component: str = ":"
    data: str = "+"
    decimal: str = "."
    release: str = "?"
    reserved: str = " "
    terminator: str = "'"

    @classmethod
    def from_una(cls, una: str) -> Separators:
        """The separators a UNA segment declares, or ServiceCharacterError saying what is wrong."""
        chars = una[3:9]
        if len(chars) != 6:
            raise ServiceCharacterError(
                f"UNA must be followed by 6 service characters, got {chars!r}", index=0, tag="UNA"
            )
        separators = cls(*chars)
        separators.check()
        return separators

    def check(self) -> None:
        names = {
            "component separator": self.component,
            "data element separator": self.data,
            "release character": self.release,
            "segment terminator": self.terminator,
        }
        for name, char in names.items():
            if char.isalnum() or char.isspace() or _CONTROL.match(char):
                raise ServiceCharacterError(
                    f"the {name} {char!r} must be a punctuation character", index=0, tag="UNA"
                )
        if len(set(names.values())) != len(names):
            raise ServiceCharacterError(
                "UNA uses one character for two purposes: "
                + ", ".join(f"{n} {c!r}" for n, c in names.items()),
                index=0,
                tag="UNA",
            )
        if self.decimal not in ".,":
            raise ServiceCharacterError(
                f"the decimal mark must be '.' or ',', not {self.decimal!r}", index=0, tag="UNA"
            )
        if self.reserved in names.values() or self.reserved.isalnum():
            raise ServiceCharacterError(
                f"the reserved character {self.reserved!r} clashes with a service character",
                index=0,
                tag="UNA",
            )

    @property
    def una(self) -> str:
        chars = (self.component, self.data, self.decimal, self.release, self.reserved)
        return "UNA" + "".join(chars) + self.terminator

    @property
    def service(self) -> frozenset[str]:
        """The characters a release character may precede."""
        return frozenset((self.component, self.data, self.release, self.terminator, self.reserved))


DEFAULT = Separators()


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment: its tag, its data elements (each a tuple of components), its position."""

    tag: str
    elements: tuple[tuple[str, ...], ...]
    index: int

    def value(self, element: int, component: int = 0) -> str:
        """A component's text, "" when the segment does not have it."""
        if element < len(self.elements):
            components = self.elements[element]
            if component < len(components):
                return components[component]
        return ""

    def __str__(self) -> str:
        return self.tag + "".join("+" + ":".join(e) for e in self.elements)


@dataclass(frozen=True)
class Text:
    """An interchange cut into segments, with the separators it was written with."""

    separators: Separators
    segments: list[Segment]
    una: bool


def decode(data: bytes) -> str:
    """Bytes in the character set their UNB declares (ISO-8859-1 for UNOC)."""
    found = _SYNTAX_ID.search(data[:200])
    syntax = found.group(1).decode() if found else "UNOC"
    codec = CHARSETS.get(syntax, "iso-8859-1")
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode(codec, errors="replace")
        if before.startswith("UNA") and len(before) >= 9:
            index = _index_at(before[9:], Separators(*before[3:9]))
        else:
            index = _index_at(before)
        raise ServiceCharacterError(
            f"byte {data[exc.start]:#04x} at offset {exc.start} is not {syntax} ({codec}) text",
            index=index,
        ) from None


def split(text: str) -> Text:
    """The segments of an interchange, or the first error in it."""
    text = text.lstrip("\ufeff\r\n ")
    una = text.startswith("UNA")
    if una:
        body = text[9:].lstrip("\r\n")
        if not body.startswith("UNB"):
            raise ServiceCharacterError(
                f"{text[:9]!r} is not followed by UNB: a UNA is 'UNA' and six service characters",
                index=0,
                tag="UNA",
            )
        separators = Separators.from_una(text[:9])
    else:
        separators, body = DEFAULT, text
    _check_releases(body, separators)
    end = body.rstrip("\r\n ")
    if not end or not _ends_with_terminator(end, separators):
        raise EdifactSyntaxError(
            f"the interchange does not end with the segment terminator {separators.terminator!r}",
            index=_index_at(end, separators) if end else 1,
        )
    characters = Characters(
        separators.component,
        separators.data,
        separators.decimal,
        separators.release,
        separators.reserved,
        separators.terminator,
    )
    tokens = Tokenizer().get_tokens(end, characters)
    segments: list[Segment] = []
    try:
        for index, raw in enumerate(Parser().convert_tokens_to_raw_segments(tokens), 1):
            segments.append(_segment(raw, index))
    except EDISyntaxError as exc:
        raise EdifactSyntaxError(str(exc), index=len(segments) + 1) from None
    return Text(separators, segments, una)


def _segment(raw: list, index: int) -> Segment:
    tag = raw[0]
    if not isinstance(tag, str) or not _TAG.fullmatch(tag):
        raise EdifactSyntaxError(f"{_plain(tag)!r} is not a segment tag", index=index)
    elements = tuple((e,) if isinstance(e, str) else tuple(e) for e in raw[1:])
    for element in elements:
        for component in element:
            if _CONTROL.search(component):
                raise ServiceCharacterError(
                    f"a control character in {component!r}", index=index, tag=tag
                )
    return Segment(tag, elements, index)


def _plain(tag: object) -> str:
    return ":".join(tag) if isinstance(tag, list) else str(tag)


def check_charset(segments: Sequence[Segment], syntax: str) -> None:
    """Every character is one the UNB syntax identifier allows (UNOA: upper case only, …)."""
    codec = CHARSETS[syntax]
    level = {"UNOA": _LEVEL_A, "UNOB": _LEVEL_B}.get(syntax)
    for segment in segments:
        for element in segment.elements:
            for component in element:
                if level is not None:
                    bad = level.search(component)
                    if bad is not None:
                        raise ServiceCharacterError(
                            f"{bad.group()!r} in {component!r} is not in the {syntax} "
                            "character set",
                            index=segment.index,
                            tag=segment.tag,
                        )
                elif not component.isascii():
                    try:
                        component.encode(codec)
                    except UnicodeEncodeError as exc:
                        raise ServiceCharacterError(
                            f"{component[exc.start]!r} in {component!r} is not in the {syntax} "
                            f"character set ({codec})",
                            index=segment.index,
                            tag=segment.tag,
                        ) from None


def _check_releases(body: str, separators: Separators) -> None:
    release = separators.release
    at = body.find(release)
    while at != -1:
        following = body[at + 1 : at + 2]
        if following not in separators.service or not following:
            what = f"before {following!r}" if following else "at the end of the text"
            raise ServiceCharacterError(
                f"release character {release!r} {what}: it may only precede a service character "
                f"({''.join(sorted(separators.service - {' '}))})",
                index=_index_at(body[:at], separators),
            )
        at = body.find(release, at + 2)


def _ends_with_terminator(text: str, separators: Separators) -> bool:
    if not text.endswith(separators.terminator):
        return False
    releases = len(text[:-1]) - len(text[:-1].rstrip(separators.release))
    return releases % 2 == 0  # an odd run of release characters escapes the terminator


def _index_at(text: str, separators: Separators = DEFAULT) -> int:
    """The index of the segment that ``text`` (the interchange up to some point) ends in."""
    pattern = re.escape(separators.release) + ".|" + re.escape(separators.terminator)
    ended = sum(1 for m in re.finditer(pattern, text, re.S) if m.group() == separators.terminator)
    return ended + 1


def join(segments: Iterable[Sequence[object]], separators: Separators = DEFAULT) -> str:
    """Segments written out: each ``(tag, element, …)``, an element a str, a Decimal, an int,
    None (empty) or a sequence of components. Trailing empty components and elements are left
    out; service characters in data get the release character."""
    release = separators.release
    escaped = {c: release + c for c in separators.service - {" "}}
    pattern = re.compile("|".join(re.escape(c) for c in escaped))

    def text(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, Decimal):
            value = _decimal(value, separators.decimal)
        written = str(value)
        if _CONTROL.search(written):
            raise ValueError(f"{written!r} holds a control character, which EDIFACT cannot carry")
        return pattern.sub(lambda m: escaped[m.group()], written)

    out = []
    for tag, *elements in segments:
        written = []
        for element in elements:
            if isinstance(element, list | tuple):
                parts = [text(c) for c in element]
                while parts and parts[-1] == "":
                    parts.pop()
                written.append(separators.component.join(parts))
            else:
                written.append(text(element))
        while written and written[-1] == "":
            written.pop()
        out.append(separators.data.join([str(tag), *written]) + separators.terminator)
    return "".join(out)


def _decimal(value: Decimal, mark: str) -> str:
    if not value.is_finite():
        raise ValueError(f"{value} cannot be written in EDIFACT")
    text = format(value, "f")
    return text.replace(".", mark) if mark != "." else text
