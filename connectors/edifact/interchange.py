"""Interchanges both ways: ``parse`` text into typed messages, ``build`` typed messages into text.

``parse`` checks what pydifact does not: the UNA, the character set the UNB declares, the
UNB/UNZ and UNH/UNT envelopes (a UNT for every UNH, its segment count and reference, the UNZ
message count and control reference), then reads each message. The first problem raises a
typed EdifactError naming the segment (index and tag).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from connectors.edifact import desadv, invoic, orders, ordrsp
from connectors.edifact import fields as f
from connectors.edifact.errors import EdifactError, EnvelopeError
from connectors.edifact.gln import gln_problem
from connectors.edifact.messages import (
    MESSAGE_TYPES,
    DespatchAdvice,
    Envelope,
    Interchange,
    Invoice,
    Message,
    Order,
    OrderResponse,
)
from connectors.edifact.syntax import (
    CHARSETS,
    DEFAULT,
    Segment,
    Separators,
    check_charset,
    decode,
    join,
    split,
)

DIRECTORY = ("D", "96A", "UN")
Reader = Callable[[Segment, list[Segment], f.Fields], Message]
READERS: dict[str, Reader] = {
    "ORDERS": orders.read,
    "ORDRSP": ordrsp.read,
    "DESADV": desadv.read,
    "INVOIC": invoic.read,
}
WRITERS: dict[type, Callable[[Any], list]] = {
    Order: orders.write,
    OrderResponse: ordrsp.write,
    DespatchAdvice: desadv.write,
    Invoice: invoic.write,
}


def parse(data: str | bytes, confirmed: tuple[str, ...] = f.CONFIRMED) -> Interchange:
    """The interchange in ``data`` (bytes are decoded in the character set UNB declares), its
    order responses' confirmed quantities read from QTY segments qualified as in ``confirmed``;
    an EdifactError carries the text it was found in as ``raw``."""
    try:
        return _parse(data, confirmed)
    except EdifactError as exc:
        exc.raw = data if isinstance(data, str) else data.decode("iso-8859-1")
        raise


def _parse(data: str | bytes, confirmed: tuple[str, ...]) -> Interchange:
    text = split(decode(data) if isinstance(data, bytes) else data)
    segments = text.segments
    if not segments or segments[0].tag != "UNB":
        first = segments[0] if segments else None
        raise EnvelopeError(
            "the interchange does not begin with UNB",
            index=first.index if first else 1,
            tag=first.tag if first else None,
        )
    envelope = _envelope(segments[0])
    check_charset(segments, envelope.syntax)
    fields = f.Fields(segments, text.separators.decimal, confirmed)
    messages = [_message(unh, body, fields) for unh, body in _messages(segments, envelope)]
    return Interchange(envelope, tuple(messages))


def _envelope(unb: Segment) -> Envelope:
    syntax, version = unb.value(0, 0), unb.value(0, 1)
    if syntax not in CHARSETS:
        raise _unb(unb, f"syntax identifier {syntax!r} is not one of {', '.join(CHARSETS)}")
    if version not in ("1", "2", "3", "4") or (syntax == "UNOY" and version != "4"):
        raise _unb(unb, f"syntax version {version!r} is not 1 to 4 (UNOY needs 4)")
    sender, recipient = unb.value(1, 0), unb.value(2, 0)
    for who, value, qualifier in (
        ("sender", sender, unb.value(1, 1)),
        ("recipient", recipient, unb.value(2, 1)),
    ):
        if not value:
            raise _unb(unb, f"no interchange {who}")
        if qualifier == "14" and gln_problem(value):
            raise _unb(unb, f"interchange {who}: {gln_problem(value)}")
    day, time = unb.value(3, 0), unb.value(3, 1)
    try:
        prepared = datetime.strptime(day + time, ("%Y%m%d" if len(day) == 8 else "%y%m%d") + "%H%M")
    except ValueError:
        raise _unb(unb, f"{day}:{time} is not a date and time (YYMMDD:HHMM)") from None
    control_ref = unb.value(4)
    if not control_ref or len(control_ref) > 14:
        raise _unb(unb, f"interchange control reference {control_ref!r} is not 1 to 14 characters")
    return Envelope(sender, recipient, control_ref, prepared, syntax, version)


def _unb(unb: Segment, message: str) -> EnvelopeError:
    return EnvelopeError(message, index=unb.index, tag="UNB")


def _messages(segments: list[Segment], envelope: Envelope):
    """Each message's UNH and the segments between it and its UNT, after checking both."""
    found: list[tuple[Segment, list[Segment]]] = []
    unh: Segment | None = None
    body: list[Segment] = []
    refs: set[str] = set()
    for segment in segments[1:]:
        tag = segment.tag
        if unh is not None and tag in ("UNH", "UNZ", "UNB"):
            raise EnvelopeError(
                f"message {unh.value(0)!r} (UNH at segment {unh.index}) has no UNT before this "
                f"{tag}",
                index=segment.index,
                tag=tag,
            )
        if tag == "UNH":
            unh, body = segment, []
            ref = unh.value(0)
            if not ref:
                raise EnvelopeError("UNH has no message reference", index=unh.index, tag="UNH")
            if ref in refs:
                raise EnvelopeError(
                    f"two messages have the reference {ref!r}", index=unh.index, tag="UNH"
                )
            refs.add(ref)
        elif tag == "UNT":
            if unh is None:
                raise EnvelopeError("UNT without a UNH", index=segment.index, tag=tag)
            _check_unt(unh, body, segment)
            found.append((unh, body))
            unh = None
        elif tag == "UNZ":
            _check_unz(segment, envelope, len(found), segments[-1])
            return found
        elif unh is None:
            raise EnvelopeError(
                f"{tag} is outside a message (between UNT and UNH)", index=segment.index, tag=tag
            )
        else:
            body.append(segment)
    last = segments[-1]
    if unh is not None:
        raise EnvelopeError(
            f"message {unh.value(0)!r} (UNH at segment {unh.index}) has no UNT",
            index=last.index,
            tag=last.tag,
        )
    raise EnvelopeError("the interchange has no UNZ at its end", index=last.index, tag=last.tag)


def _check_unt(unh: Segment, body: list[Segment], unt: Segment) -> None:
    count = unt.value(0)
    actual = len(body) + 2
    if not (count.isdigit() and int(count) == actual):
        raise EnvelopeError(
            f"UNT says the message has {count!r} segments; it has {actual} (UNH to UNT)",
            index=unt.index,
            tag="UNT",
        )
    if unt.value(1) != unh.value(0):
        raise EnvelopeError(
            f"UNT reference {unt.value(1)!r} is not the UNH's {unh.value(0)!r}",
            index=unt.index,
            tag="UNT",
        )


def _check_unz(unz: Segment, envelope: Envelope, messages: int, last: Segment) -> None:
    count = unz.value(0)
    if not (count.isdigit() and int(count) == messages):
        raise EnvelopeError(
            f"UNZ says the interchange has {count!r} messages; it has {messages}",
            index=unz.index,
            tag="UNZ",
        )
    if unz.value(1) != envelope.control_ref:
        raise EnvelopeError(
            f"UNZ control reference {unz.value(1)!r} is not the UNB's {envelope.control_ref!r}",
            index=unz.index,
            tag="UNZ",
        )
    if last is not unz:
        raise EnvelopeError("segments after UNZ", index=unz.index + 1, tag=None)


def _message(unh: Segment, body: list[Segment], fields: f.Fields) -> Message:
    kind, *directory = unh.elements[1] if len(unh.elements) > 1 else ("",)
    reader = READERS.get(kind)
    if reader is None or tuple(directory[:3]) != DIRECTORY:
        shown = ":".join([kind, *directory])
        raise f.error(
            unh, f"message type {shown!r} is not one of {', '.join(READERS)} in D.96A (:D:96A:UN)"
        )
    return reader(unh, body, fields)


def build(interchange: Interchange, *, separators: Separators = DEFAULT, una: bool = True) -> str:
    """The interchange as text. ``una=False`` only with the default separators (none other
    can be read without one). ValueError when a message cannot be written."""
    if not una and separators != DEFAULT:
        raise ValueError("other separators than the defaults need a UNA")
    envelope = interchange.envelope
    rows: list = [
        (
            "UNB",
            (envelope.syntax, envelope.syntax_version),
            (envelope.sender, "14"),
            (envelope.recipient, "14"),
            (envelope.prepared.strftime("%y%m%d"), envelope.prepared.strftime("%H%M")),
            envelope.control_ref,
        )
    ]
    refs = [m.message_ref for m in interchange.messages]
    if len(set(refs)) != len(refs):
        raise ValueError(f"two messages have one reference: {refs}")
    for message in interchange.messages:
        body = WRITERS[type(message)](message)
        kind = MESSAGE_TYPES[type(message)]
        rows += [("UNH", message.message_ref, (kind, *DIRECTORY)), *body]
        rows.append(("UNT", len(body) + 2, message.message_ref))
    rows.append(("UNZ", len(interchange.messages), envelope.control_ref))
    text = (separators.una if una else "") + join(rows, separators)
    codec = CHARSETS[envelope.syntax]
    try:
        text.encode(codec)
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"{text[exc.start]!r} cannot be written in {envelope.syntax} ({codec})"
        ) from None
    return text


def build_orders(order: Order, envelope: Envelope, **options: Any) -> str:
    return build(Interchange(envelope, (order,)), **options)


def build_ordrsp(response: OrderResponse, envelope: Envelope, **options: Any) -> str:
    return build(Interchange(envelope, (response,)), **options)


def build_desadv(advice: DespatchAdvice, envelope: Envelope, **options: Any) -> str:
    return build(Interchange(envelope, (advice,)), **options)


def build_invoic(invoice: Invoice, envelope: Envelope, **options: Any) -> str:
    return build(Interchange(envelope, (invoice,)), **options)


def encode(text: str) -> bytes:
    """An interchange's bytes in the character set its UNB declares (ISO-8859-1 for UNOC)."""
    return text.encode(charset(text))


def charset(text: str) -> str:
    """The codec of the character set an interchange's UNB declares (UNOC when unreadable)."""
    start = text.find("UNB")
    syntax = text[start + 4 : start + 8] if start != -1 else "UNOC"
    return CHARSETS.get(syntax, "iso-8859-1")
