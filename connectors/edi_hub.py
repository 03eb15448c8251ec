"""EDI hub client (Onetrail-style): a mailbox of UN/EDIFACT interchanges over HTTP.

The hub carries interchanges between trading partners; posync sends ORDERS and receives
ORDRSP, DESADV and INVOIC. Bodies are the interchanges' text, in the character set their UNB
declares (``application/edifact; charset=iso-8859-1`` for UNOC); the hub's own answers are
JSON. The contract is in docs/edi-hub.md; a real hub's adapter implements these calls.

An inbox page may carry its documents' bytes (``content=True``, base64 in the JSON): a page of
interchanges then costs one round trip, not one per interchange; a document listed without
them (a hub may leave out large ones) is downloaded on its own. Acknowledgements go in batches.

The interchange control reference (UNB 0020) is the idempotency key: the hub keeps every one it
has accepted from a sender and answers a second interchange with the same one 409. ``send``
reports that as ``Sent(outcome="duplicate")``: the hub has that interchange already (a re-send
after a crash, or a retry whose first answer was lost), so it must not be sent under a new
reference.
"""

from __future__ import annotations

import binascii
from base64 import b64decode
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from connectors.base import MalformedResponse, PartnerClient, Rejected, Reply, path
from connectors.edifact import EdifactError, Interchange, charset, parse
from connectors.edifact.syntax import decode
from connectors.validation import Text, Timestamp, validate

PARTNER = "The EDI hub"
MEDIA_TYPE = "application/edifact"

Seq = Annotated[int, Field(strict=True, ge=1, le=2**63 - 1)]
Size = Annotated[int, Field(strict=True, ge=0)]
ACKS_AT_ONCE = 500  # ids in one acknowledgement


@dataclass(frozen=True)
class Sent:
    """What became of an interchange sent: ``accepted`` now, or a ``duplicate`` of one the hub
    accepted before (``document_id`` is then that first one's)."""

    outcome: Literal["accepted", "duplicate"]
    control_ref: str
    document_id: str

    @property
    def duplicate(self) -> bool:
        return self.outcome == "duplicate"


@dataclass(frozen=True)
class InboundDocument:
    """One interchange waiting in posync's mailbox."""

    seq: Seq
    id: Text
    type: Text  # ORDRSP, DESADV, INVOIC as the hub read the UNH; "UNKNOWN" if it could not
    control_ref: Text
    sender: Text
    received_at: Timestamp
    size: Size
    acknowledged: bool = False
    content: Annotated[str | None, Field(strict=True)] = None  # its bytes, base64, when asked


@dataclass(frozen=True)
class InboxPage:
    documents: list[InboundDocument]
    next_cursor: Annotated[str | None, Field(strict=True)] = None


@dataclass(frozen=True)
class _Receipt:
    id: Text
    control_ref: Text


class DuplicateInterchange(Rejected):
    """409: the hub already has an interchange with this control reference from us."""

    def __init__(self, message: str, *, control_ref: str, document_id: str):
        super().__init__(message, status=409)
        self.control_ref, self.document_id = control_ref, document_id


class UnknownDocuments(Rejected):
    """404 on an acknowledgement: the hub holds none of ``ids`` (none of the call's ids was
    acknowledged)."""

    def __init__(self, message: str, *, ids: list[str]):
        super().__init__(message, status=404)
        self.ids = ids


_PAGE = TypeAdapter(InboxPage)
_RECEIPT = TypeAdapter(_Receipt)


class EdiHubClient(PartnerClient):
    """Async client of the hub's mailbox. Use as ``async with``."""

    partner = PARTNER

    async def send(self, interchange: str) -> Sent:
        """Post one interchange (its text); accepted, or a duplicate of one already there."""
        try:
            reply = await self.post(
                "/interchanges",
                text=interchange,
                content_type=f"{MEDIA_TYPE}; charset={charset(interchange)}",
                idempotency_key=_control_ref(interchange),
            )
        except DuplicateInterchange as exc:
            return Sent("duplicate", exc.control_ref, exc.document_id)
        receipt = reply.json_as(parse_receipt)
        return Sent("accepted", receipt.control_ref, receipt.id)

    async def inbox(
        self, cursor: str | None = None, limit: int = 100, *, content: bool = False
    ) -> InboxPage:
        """Inbound interchanges after ``cursor`` (a seq; none: from the start), oldest first;
        with ``content``, each with its bytes (read them with ``text``)."""
        params = {"cursor": cursor or None, "limit": limit, "content": "1" if content else None}
        reply = await self.get("/inbox", params=params)
        return reply.json_as(parse_inbox)

    async def text(self, document: InboundDocument) -> str:
        """A listed interchange's text: from its page when the hub sent its bytes there,
        downloaded otherwise. Bytes that cannot be read are a MalformedResponse, as in
        ``download``."""
        listed = listed_text(document)
        return listed if listed is not None else await self.download(document.id)

    async def download(self, document_id: str) -> str:
        """One inbound interchange's text, decoded in the character set its UNB declares.
        Bytes that character set cannot hold are a MalformedResponse with the position."""
        reply = await self.get(path("inbox", document_id))
        return _decoded(document_id, reply.content)

    async def acknowledge(self, document_ids: Sequence[str]) -> None:
        """Tell the hub posync has taken these interchanges (they need not be offered again).
        ``UnknownDocuments`` names the ones the hub does not hold (those of that call of 500
        are then all left unacknowledged; the calls before it went through)."""
        for start in range(0, len(document_ids), ACKS_AT_ONCE):
            ids = list(document_ids[start : start + ACKS_AT_ONCE])
            await self.post("/inbox/ack", json={"ids": ids})

    def classify(self, reply: Reply):
        if reply.status == 409:
            body = _json_or_none(reply)
            return DuplicateInterchange(
                f"{PARTNER} already has interchange {body.get('control_ref')!r}",
                control_ref=str(body.get("control_ref") or ""),
                document_id=str(body.get("id") or ""),
            )
        if reply.status == 404:
            ids = _json_or_none(reply).get("ids")
            if isinstance(ids, list) and ids and all(isinstance(i, str) for i in ids):
                return UnknownDocuments(
                    f"{PARTNER} holds no interchange {', '.join(ids[:3])}"
                    + (f" (and {len(ids) - 3} more)" if len(ids) > 3 else ""),
                    ids=ids,
                )
        return super().classify(reply)


def parse_inbox(body: Any) -> InboxPage:
    return validate(_PAGE, body, "The hub's inbox")


def parse_receipt(body: Any) -> _Receipt:
    return validate(_RECEIPT, body, "The hub's receipt")


def listed_text(document: InboundDocument) -> str | None:
    """The text a page carried for ``document`` (None: it did not; download it); bytes that
    cannot be read are a MalformedResponse, as in ``EdiHubClient.download``."""
    if document.content is None:
        return None
    try:
        content = b64decode(document.content, validate=True)
    except (binascii.Error, ValueError) as exc:  # ValueError: a character beyond ASCII
        raise MalformedResponse(
            f"{PARTNER} listed interchange {document.id} with content that is not base64: {exc}",
            where="content",
            raw=document.content,
        ) from None
    return _decoded(document.id, content)


def parse_listed(
    documents: list[InboundDocument], confirmed: tuple[str, ...]
) -> dict[str, tuple[str, Interchange]]:
    """The text and interchange of each document whose page carried its text and that reads
    well (one that does not is left out: read on its own, it gives its error). Run in a worker
    process: parsing a page takes the console's process no time."""
    read = {}
    for document in documents:
        try:
            text = listed_text(document)
            if text is not None:
                read[document.id] = (text, parse(text, confirmed))
        except (MalformedResponse, EdifactError):
            continue
    return read


def _decoded(document_id: str, content: bytes) -> str:
    try:
        return decode(content)
    except EdifactError as exc:
        raise MalformedResponse(
            f"{PARTNER} sent interchange {document_id} that cannot be read: {exc}",
            where=exc.position or "body",
            raw=content.decode("iso-8859-1"),
            detail=exc.as_json(),
        ) from None


def _json_or_none(reply: Reply) -> dict[str, Any]:
    try:
        body = reply.json()
    except MalformedResponse:
        return {}
    return body if isinstance(body, dict) else {}


def _control_ref(interchange: str) -> str | None:
    """UNB 0020 read loosely (the hub reads it properly): the Idempotency-Key header."""
    start = interchange.find("UNB")
    if start == -1:
        return None
    terminator = interchange[8] if interchange.startswith("UNA") else "'"
    data = interchange[4] if interchange.startswith("UNA") else "+"
    unb = interchange[start : interchange.find(terminator, start)]
    parts = unb.split(data)
    ref = parts[5] if len(parts) > 5 else ""
    return ref if ref and ref.isprintable() else None
