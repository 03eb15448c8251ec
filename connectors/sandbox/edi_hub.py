"""A simulated EDI hub (Onetrail-style) speaking the mailbox contract in docs/edi-hub.md, with
a supplier behind it.

posync posts ORDERS; the hub checks each interchange (a control reference seen before is 409,
one it cannot read is 422) and hands its orders to the supplier, which answers as scripted —
per PO or for every order (``script``): accept all, change a line and accept, reject, reject
or delete a line, add a line, split a line — and may ship at once in parts (serials, tracking)
and invoice (freight, terms). ``respond``, ``ship`` and ``invoice`` do the same on demand.
Faults: ``faults`` (fail, throttle, slow, down), ``lose_next_answers`` (the hub takes the
interchange but the answer is cut off), ``fail_next_acks`` and ``lose_next_acks`` (an
acknowledgement refused, or done with its answer cut off) and ``drop`` (any text, e.g. a
malformed interchange, put in the inbox for quarantine tests). ``acks`` counts, per inbound
document, the acknowledgements the hub has carried out.
"""

from __future__ import annotations

import itertools
import threading
from base64 import b64encode
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from connectors.edifact import (
    EdifactError,
    Envelope,
    Interchange,
    Order,
    build,
    charset,
    parse,
)
from connectors.sandbox.control import control_route
from connectors.sandbox.edi_supplier import (
    Script,
    SupplierOrder,
    bill,
    despatch,
    respond,
)
from connectors.sandbox.faults import Faults

MEDIA_TYPE = "application/edifact"
LISTED_CONTENT = 64 * 1024  # larger documents are listed without their bytes: downloaded


class EdiHubSandbox:
    name = "edi_hub"

    def __init__(self, *, clock: Callable[[], datetime] | None = None):
        self.faults = Faults()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._received: dict[tuple[str, str], dict[str, Any]] = {}  # (sender, ref) → receipt
        self._inbox: list[dict[str, Any]] = []
        self._orders: dict[str, SupplierOrder] = {}
        self._scripts: dict[str, Script] = {}
        self._default = Script()
        self._lose = 0
        self._ack_faults: list[int | None] = []  # the next acks: a status, or None (cut off)
        self._acks: Counter[str] = Counter()  # acknowledgements carried out, by document id
        self._ids = itertools.count(1)
        self._refs = itertools.count(1)

    # --- scripting API (thread-safe) --------------------------------------------------------

    def script(self, po: str | None = None, **behaviour: Any) -> dict[str, Any]:
        """How the supplier answers the PO ``po`` (or every PO without a script of its own):
        ``behaviour`` (see edi_supplier.BEHAVIOURS), ``line``, ``quantity``, ``price``,
        ``delivery_date``, ``item``, ``confirmed_qualifier`` (113 or 187), ``ship`` (parts to
        ship at once), ``invoice``, ``freight``, ``terms``."""
        script = Script.of(**behaviour)
        with self._lock:
            if po is None:
                self._default = script
            else:
                self._scripts[po] = script
        return {"po": po, "behaviour": script.behaviour}

    def respond(self, po: str, **behaviour: Any) -> str:
        """Answer a received order now (again), as ``behaviour`` says or as scripted."""
        with self._lock:
            held = self._held(po)
            if behaviour:
                held.script = Script.of(**behaviour)
            return self._respond(held)

    def ship(self, po: str, parts: int = 1, now: int | None = None) -> list[str]:
        """Ship what is still open in ``parts`` despatch advices in all (counting those sent
        before), ``now`` of them at once (default: all that are left); their control refs."""
        with self._lock:
            held = self._held(po)
            return self._ship(held, max(parts, held.despatches + 1), now)

    def invoice(
        self, po: str, freight: str | float | None = None, terms: str | None = "NET30"
    ) -> str:
        """Bill what was confirmed; ``terms`` an identifier (NET30, 2/10NET30 or any other,
        which posync will not recognise)."""
        with self._lock:
            held = self._held(po)
            return self._bill(held, None if freight is None else Decimal(str(freight)), terms)

    def drop(self, text: str, type: str = "UNKNOWN", encoding: str = "iso-8859-1") -> str:
        """Put any text in posync's inbox as an inbound interchange; its document id."""
        with self._lock:
            return self._deliver(text.encode(encoding), type, "DROPPED", "unknown")

    def lose_next_answers(self, n: int = 1) -> None:
        """The next ``n`` sends are taken, but their answers are cut off mid-way."""
        with self._lock:
            self._lose += int(n)

    def fail_next_acks(self, n: int = 1, status: int = 503) -> None:
        """The next ``n`` acknowledgements are refused with ``status``: nothing acknowledged."""
        with self._lock:
            self._ack_faults.extend([int(status)] * int(n))

    def lose_next_acks(self, n: int = 1) -> None:
        """The next ``n`` acknowledgements are carried out, but their answers are cut off."""
        with self._lock:
            self._ack_faults.extend([None] * int(n))

    def acks(self) -> dict[str, int]:
        """How many acknowledgements of each inbound document the hub has carried out."""
        with self._lock:
            return dict(self._acks)

    def orders(self) -> list[dict[str, Any]]:
        """The orders the supplier holds: what it confirmed, shipped, billed."""
        with self._lock:
            return [held.as_json() for held in self._orders.values()]

    def received(self) -> list[dict[str, Any]]:
        """Every interchange posync sent: control reference, id, time, text."""
        with self._lock:
            return [dict(r) for r in self._received.values()]

    def inbox(self) -> list[dict[str, Any]]:
        with self._lock:
            return [_listed(d) for d in self._inbox]

    def ops(self) -> dict[str, Callable[..., Any]]:
        """The scripting methods ``/_control`` may call."""
        names = (
            "script",
            "respond",
            "ship",
            "invoice",
            "drop",
            "lose_next_answers",
            "fail_next_acks",
            "lose_next_acks",
            "acks",
            "orders",
            "received",
            "inbox",
        )
        return {n: getattr(self, n) for n in names}

    # --- the supplier (called with the lock held) -------------------------------------------

    def _held(self, po: str) -> SupplierOrder:
        try:
            return self._orders[po]
        except KeyError:
            raise KeyError(f"the supplier has no order {po}") from None

    def _take(self, order: Order) -> None:
        held = SupplierOrder(order, self._scripts.get(order.number, self._default))
        self._orders[order.number] = held
        if held.script.behaviour == "silent":
            return
        try:
            self._respond(held)
        except ValueError as exc:  # a script that does not fit the order: no answer
            held.error = str(exc)
            return
        if held.script.ship and held.confirmed:
            self._ship(held, held.script.ship)
            if held.script.invoice:
                self._bill(held, held.script.freight, held.script.terms)

    def _respond(self, held: SupplierOrder) -> str:
        response, held.confirmed = respond(held.order, held.script, self._today(), self._ref("R"))
        return self._send_back(held.order, response, "ORDRSP")

    def _ship(self, held: SupplierOrder, parts: int, now: int | None = None) -> list[str]:
        refs: list[str] = []
        while now is None or len(refs) < now:
            number = self._ref("D")
            advice = despatch(held, parts, self._today(), number, f"1Z{number}")
            if advice is None:
                return refs
            refs.append(self._send_back(held.order, advice, "DESADV"))
        return refs

    def _bill(self, held: SupplierOrder, freight: Decimal | None, terms: str | None) -> str:
        invoice = bill(held, self._today(), self._ref("I"), freight=freight, terms=terms)
        return self._send_back(held.order, invoice, "INVOIC")

    def _send_back(self, order: Order, message: Any, kind: str) -> str:
        ref = self._ref("S")
        envelope = Envelope(order.supplier, order.buyer, ref, self._clock().replace(tzinfo=None))
        text = build(Interchange(envelope, (message,)))
        self._deliver(text.encode(charset(text)), kind, ref, order.supplier)
        return ref

    def _deliver(self, content: bytes, kind: str, control_ref: str, sender: str) -> str:
        document_id = f"IN-{next(self._ids):06d}"
        document = {
            "seq": len(self._inbox) + 1,
            "id": document_id,
            "type": kind,
            "control_ref": control_ref,
            "sender": sender,
            "received_at": self._clock().isoformat(),
            "content": content,
            "acknowledged": False,
        }
        self._inbox.append(document)
        return document_id

    def _ref(self, prefix: str) -> str:
        return f"{prefix}{next(self._refs):08d}"

    def _today(self):
        return self._clock().date()

    # --- HTTP ------------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/interchanges", self._post_interchange, methods=["POST"]),
            Route("/inbox", self._get_inbox),
            Route("/inbox/ack", self._ack, methods=["POST"]),
            Route("/inbox/{id}", self._get_document),
            control_route(self.ops(), self.faults),
        ]

    async def _post_interchange(self, request: Request) -> Response:
        content = await request.body()
        try:
            interchange = parse(content)
        except EdifactError as exc:
            return JSONResponse({**exc.as_json(), "error": str(exc)}, status_code=422)
        key = (interchange.sender, interchange.control_ref)
        with self._lock:
            seen = self._received.get(key)
            if seen is not None:
                body = {"error": "duplicate", "control_ref": seen["control_ref"], "id": seen["id"]}
                return JSONResponse(body, status_code=409)
            receipt = {
                "id": f"OUT-{next(self._ids):06d}",
                "control_ref": interchange.control_ref,
                "received_at": self._clock().isoformat(),
                "text": content.decode(charset(content.decode("iso-8859-1"))),
            }
            self._received[key] = receipt
            for message in interchange.messages:
                if isinstance(message, Order):
                    self._take(message)
            lose = self._lose > 0
            self._lose -= lose
            lose = lose or self.faults.lose()
        if lose:
            return _CutOff()
        return JSONResponse({"id": receipt["id"], "control_ref": receipt["control_ref"]}, 201)

    async def _get_inbox(self, request: Request) -> Response:
        cursor = request.query_params.get("cursor") or "0"
        limit = request.query_params.get("limit") or "100"
        if not (cursor.isdigit() and limit.isdigit() and 1 <= int(limit) <= 500):
            return JSONResponse({"error": "cursor must be a seq, limit 1..500"}, status_code=400)
        after = int(cursor)
        shown = _with_content if request.query_params.get("content") == "1" else _listed
        with self._lock:
            page = [shown(d) for d in self._inbox[after : after + int(limit)]]
        next_cursor = str(page[-1]["seq"]) if page else str(after)
        return JSONResponse({"documents": page, "next_cursor": next_cursor})

    async def _get_document(self, request: Request) -> Response:
        with self._lock:
            document = self._document(request.path_params["id"])
        if document is None:
            return JSONResponse({"error": "no such document"}, status_code=404)
        content = document["content"]
        media = f"{MEDIA_TYPE}; charset={charset(content.decode('iso-8859-1'))}"
        return Response(content, media_type=media)

    async def _ack(self, request: Request) -> Response:
        try:
            ids = (await request.json())["ids"]
            assert isinstance(ids, list) and 1 <= len(ids) <= 500
        except (ValueError, KeyError, TypeError, AssertionError):
            return JSONResponse({"error": 'the body is {"ids": [1..500 ids]}'}, 400)
        with self._lock:
            fault = self._ack_faults.pop(0) if self._ack_faults else 0
            if fault:
                return JSONResponse({"error": f"injected failure {fault}"}, status_code=fault)
            by_id = {d["id"]: d for d in self._inbox}
            unknown = [i for i in ids if i not in by_id]
            if unknown:
                return JSONResponse({"error": "no such document", "ids": unknown}, 404)
            for document_id in ids:
                by_id[document_id]["acknowledged"] = True
            self._acks.update(ids)
            lose = fault is None or self.faults.lose()
        if lose:
            return _CutOff()
        return JSONResponse({"acknowledged": ids})

    def _document(self, document_id: str) -> dict[str, Any] | None:
        return next((d for d in self._inbox if d["id"] == document_id), None)


def _listed(document: dict[str, Any]) -> dict[str, Any]:
    shown = {k: v for k, v in document.items() if k != "content"}
    return {**shown, "size": len(document["content"])}


def _with_content(document: dict[str, Any]) -> dict[str, Any]:
    content = document["content"]
    if len(content) > LISTED_CONTENT:
        return _listed(document)
    return {**_listed(document), "content": b64encode(content).decode("ascii")}


class _CutOff(Response):
    """An answer that promises a body and breaks off: the client sees a dropped connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"1000")]
        await send({"type": "http.response.start", "status": 201, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"id": "OUT', "more_body": False})
