"""The QuickBooks Online Accounting API v3 client (httpx, async).

Every call carries ``minorversion``; creates carry a ``requestid`` (QuickBooks answers a repeated
requestid with the first answer instead of doing the work twice; it goes as Idempotency-Key
too). A create whose answer was lost (timeout, 5xx) is looked up by DocNumber before it is sent
again, so a retry never makes a second bill even where requestid replay does not reach.
Retries follow the one policy of every partner (``connectors.base.RetryPolicy``): throttling
(429 / 3001) is waited out and the same request sent again, failures back off; each try first
waits for the realm's rate limiter. A 401 refreshes the token once, within the same try.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

import httpx

from connectors.base import (
    ConnectorError,
    MalformedResponse,
    PartnerClient,
    PartnerUnavailable,
    Reply,
    path,
    retry_after_seconds,
)
from connectors.quickbooks.errors import (
    AuthFailed,
    QuickBooksError,
    StaleObject,
    Throttled,
    error_for,
    fault_from_response,
    parse_fault,
)
from connectors.quickbooks.limits import Limits, RateLimiter, limiter_for
from connectors.quickbooks.oauth import QuickBooksAuth
from connectors.quickbooks.records import (
    BatchItem,
    BatchOutcome,
    ListEntry,
    QboVendor,
    Stats,
    Txn,
    TxnDraft,
    query_rows,
)

PRODUCTION_URL = "https://quickbooks.api.intuit.com"
SANDBOX_URL = "https://sandbox-quickbooks.api.intuit.com"
PATHS = {"Bill": "bill", "PurchaseOrder": "purchaseorder", "Vendor": "vendor"}
PAGE = 1000  # QuickBooks' largest MAXRESULTS
ID_CHUNK = 100  # ids per "Id in (...)" (a query is one URL)


def quote(value: str) -> str:
    """A string literal for a QuickBooks query (single quotes, backslash escapes)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def batch_requestid(items: Iterable[BatchItem]) -> str:
    """The same set of records always gets the same batch requestid (so a resend replays)."""
    digest = hashlib.sha256("|".join(sorted(i.requestid for i in items)).encode()).hexdigest()
    return f"batch-{digest[:32]}"


def short_requestid(key: str) -> str:
    # Intuit's requestid holds at most 50 characters; long keys are hashed, keeping them stable.
    return key if len(key) <= 50 else hashlib.sha256(key.encode()).hexdigest()[:50]


class QuickBooksClient(PartnerClient):
    partner = "QuickBooks"

    def __init__(
        self,
        base_url: str,
        realm_id: str,
        auth: QuickBooksAuth,
        *,
        minor_version: int = 75,
        timeout: float = 30.0,
        limits: Limits = Limits(),
        limiter: RateLimiter | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        attempts: int = 4,
        throttle_attempts: int = 8,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ):
        super().__init__(
            base_url.rstrip("/") + path("v3", "company", realm_id) + "/",
            headers={"Accept": "application/json"},
            timeout=timeout,
            attempts=attempts,
            # Intuit: after a 429 wait up to a minute. Start at a "second" and double.
            throttle_attempts=throttle_attempts + 1,
            first_wait=limits.second,
            max_wait=limits.minute,
            transport=transport,
            sleep=sleep,
        )
        self.realm_id, self.auth, self.minor_version = realm_id, auth, minor_version
        self.limits = limits
        self.limiter = limiter or limiter_for(realm_id, limits)
        self.stats = Stats()
        # Intuit also refuses more than 10 requests in flight per realm.
        self._in_flight = asyncio.Semaphore(limits.per_second)

    # --- reading ------------------------------------------------------------------------------

    async def query(self, statement: str) -> dict[str, list[dict]]:
        body = await self._send("GET", "query", params={"query": statement})
        body.pop("_intuit_tid", None)
        return query_rows(body)

    async def read(self, entity: str, qbo_id: str) -> Txn:
        body = await self._send("GET", path(PATHS[entity], qbo_id).lstrip("/"))
        return Txn.from_qbo(entity, _entity(body, entity))

    async def find_by_doc_number(
        self, entity: str, doc_numbers: Sequence[str]
    ) -> dict[str, list[Txn]]:
        """Existing transactions by DocNumber (QuickBooks may hold several per number)."""
        found: dict[str, list[Txn]] = {}
        unique = sorted(set(doc_numbers))
        for start in range(0, len(unique), 30):
            chunk = ", ".join(quote(d) for d in unique[start : start + 30])
            rows = await self.query(f"select * from {entity} where DocNumber in ({chunk})")
            for row in rows.get(entity, []):
                txn = Txn.from_qbo(entity, row)
                found.setdefault(txn.doc_number, []).append(txn)
        return found

    async def find_vendors_by_name(self, name: str, limit: int = 20) -> list[QboVendor]:
        pattern = quote(f"%{name.strip()}%")
        rows = await self.query(
            f"select * from Vendor where DisplayName like {pattern} maxresults {int(limit)}"
        )
        return [QboVendor.from_qbo(row) for row in rows.get("Vendor", [])]

    async def query_all(self, entity: str, where: str = "", *, page: int = PAGE) -> list[dict]:
        """Every row of a query, a page at a time (STARTPOSITION / MAXRESULTS): QuickBooks
        answers at most 1000 rows per query, so a list is read until a page comes back short."""
        rows: list[dict] = []
        condition = f" where {where}" if where else ""
        while True:
            found = await self.query(
                f"select * from {entity}{condition} startposition {len(rows) + 1} maxresults {page}"
            )
            got = found.get(entity, [])
            rows += got
            if len(got) < page:
                return rows

    async def list_entries(self, entity: str, *, page: int = PAGE) -> list[ListEntry]:
        """The active records of one of QuickBooks' lists, every page of them."""
        rows = await self.query_all(entity, "Active = true", page=page)
        return [ListEntry.from_qbo(entity, row) for row in rows]

    async def read_back(
        self, entity: str, qbo_ids: Sequence[str], *, page: int = PAGE
    ) -> dict[str, Txn]:
        """These transactions as QuickBooks holds them now; a deleted one is simply missing."""
        found: dict[str, Txn] = {}
        unique = sorted(set(qbo_ids))
        for start in range(0, len(unique), ID_CHUNK):
            chunk = ", ".join(quote(i) for i in unique[start : start + ID_CHUNK])
            for row in await self.query_all(entity, f"Id in ({chunk})", page=page):
                txn = Txn.from_qbo(entity, row)
                found[txn.id] = txn
        return found

    # --- creating -----------------------------------------------------------------------------

    async def create(self, draft: TxnDraft, *, requestid: str, lookup_first: bool = False) -> Txn:
        """Create a Bill or PurchaseOrder exactly once.

        ``lookup_first``: an earlier attempt may have reached QuickBooks (its answer was lost),
        so look the DocNumber up before sending.
        """
        if lookup_first:
            existing = await self._existing(draft)
            if existing is not None:
                return existing

        async def recover() -> dict | None:
            existing = await self._existing(draft)
            return None if existing is None else {"_recovered": existing}

        body = await self._send(
            "POST",
            PATHS[draft.entity],
            json_body=draft.to_qbo(),
            requestid=short_requestid(requestid),
            before_retry=recover,
        )
        if "_recovered" in body:
            return body["_recovered"]
        return self._checked(draft, Txn.from_qbo(draft.entity, _entity(body, draft.entity)))

    async def update(self, qbo_id: str, draft: TxnDraft, *, tries: int = 3) -> Txn:
        """A sparse update of the fields posync owns (``TxnDraft.owned``): the others keep what
        an accountant set in QuickBooks. A stale SyncToken (5010) means re-read and retry."""
        for attempt in range(1, tries + 1):
            current = await self.read(draft.entity, qbo_id)
            payload = {
                **draft.owned(),
                "Id": qbo_id,
                "SyncToken": current.sync_token,
                "sparse": True,
            }
            try:
                body = await self._send("POST", PATHS[draft.entity], json_body=payload)
            except StaleObject:
                self.stats.stale_rereads += 1
                if attempt == tries:
                    raise
                continue
            return self._checked(draft, Txn.from_qbo(draft.entity, _entity(body, draft.entity)))
        raise AssertionError("unreachable")

    async def create_vendor(
        self,
        display_name: str,
        *,
        requestid: str,
        email: str | None = None,
        currency: str | None = None,
    ) -> QboVendor:
        payload: dict[str, Any] = {"DisplayName": display_name}
        if email:
            payload["PrimaryEmailAddr"] = {"Address": email}
        if currency:
            payload["CurrencyRef"] = {"value": currency}

        async def recover() -> dict | None:
            rows = await self.query(
                f"select * from Vendor where DisplayName = {quote(display_name)}"
            )
            return {"Vendor": rows["Vendor"][0]} if rows.get("Vendor") else None

        body = await self._send(
            "POST",
            "vendor",
            json_body=payload,
            requestid=short_requestid(requestid),
            before_retry=recover,
        )
        return QboVendor.from_qbo(_entity(body, "Vendor"))

    async def batch_create(self, items: Sequence[BatchItem]) -> dict[str, BatchOutcome]:
        """Create up to 30 transactions in one call; each succeeds or fails on its own.

        Answers are matched by ``bId``. If the whole call's answer is lost, the records are
        looked up by DocNumber and only the missing ones are sent again.
        """
        if len(items) > self.limits.batch_size:
            raise ValueError(f"a batch holds at most {self.limits.batch_size} operations")
        pending = {item.bid: item for item in items}
        outcomes: dict[str, BatchOutcome] = {}
        partly_throttled = False

        async def send_pending() -> None:
            nonlocal partly_throttled
            partly_throttled = False
            request = {
                "BatchItemRequest": [
                    {"bId": i.bid, "operation": "create", i.draft.entity: i.draft.to_qbo()}
                    for i in pending.values()
                ]
            }
            body = await self._once(
                "POST",
                "batch",
                self._query(None, batch_requestid(pending.values())),
                _json(request),
                batch=True,
            )
            if self._read_batch(body, pending, outcomes):
                partly_throttled = True
                raise Throttled("QuickBooks asked us to slow down for part of the batch")

        async def recover() -> bool | None:
            # The answer was lost: what QuickBooks already made is not sent again.
            for bid, txn in (await self.find_created(pending.values())).items():
                outcomes[bid] = BatchOutcome(bid, txn=txn)
                del pending[bid]
            return None if pending else True

        try:
            await self.policy.run(
                send_pending, sleep=self.sleep, before_retry=recover, on_retry=self._retrying
            )
        except Throttled:
            if not partly_throttled:
                raise
        for bid in pending:  # QuickBooks never answered for these: their fate is unknown
            outcomes.setdefault(
                bid,
                BatchOutcome(bid, error=PartnerUnavailable("QuickBooks gave no answer for it")),
            )
        return outcomes

    def _read_batch(
        self, body: dict, pending: dict[str, BatchItem], outcomes: dict[str, BatchOutcome]
    ) -> bool:
        """Record the answers; True if some items were throttled and should be sent again."""
        throttled = False
        tid = body.get("_intuit_tid")
        answers = body.get("BatchItemResponse")
        for answer in answers if isinstance(answers, list) else []:
            # One that is not an object names no item: as with an unknown bId, its item is left
            # without an answer and is looked up by DocNumber before it is sent again.
            item = pending.get(str(answer.get("bId"))) if isinstance(answer, dict) else None
            if item is None:
                continue
            fault_type, errors = parse_fault(answer)
            if errors:
                error = error_for(errors, fault_type=fault_type, intuit_tid=tid)
                if isinstance(error, Throttled):
                    throttled = True
                    continue
                outcomes[item.bid] = BatchOutcome(item.bid, error=error)
            elif isinstance(answer.get(item.draft.entity), dict):
                try:
                    txn = Txn.from_qbo(item.draft.entity, answer[item.draft.entity])
                except MalformedResponse as exc:  # this record's answer only
                    outcomes[item.bid] = BatchOutcome(item.bid, error=exc)
                else:
                    txn = self._checked(item.draft, txn)
                    outcomes[item.bid] = BatchOutcome(item.bid, txn=txn)
            else:
                continue
            del pending[item.bid]
        return throttled and bool(pending)

    # --- the one place requests are sent ------------------------------------------------------

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        json_body: dict | None = None,
        requestid: str | None = None,
        before_retry: Callable[[], Awaitable[dict | None]] | None = None,
    ) -> dict:
        """Send with the retry policy; the decoded body of the answer."""
        query = self._query(params, requestid)

        async def attempt() -> dict:
            return await self._once(method, path, query, _json(json_body))

        return await self.policy.run(
            attempt, sleep=self.sleep, before_retry=before_retry, on_retry=self._retrying
        )

    def _query(self, params: dict | None, requestid: str | None) -> dict:
        query = {**(params or {}), "minorversion": str(self.minor_version)}
        if requestid:
            query["requestid"] = requestid
        return query

    async def _once(
        self, method: str, path: str, query: dict, content: bytes | None, *, batch: bool = False
    ) -> dict:
        """One try: wait for the limiter, send, decode; a 401 refreshes the token once."""
        headers = {"Content-Type": "application/json"} if content is not None else {}
        if "requestid" in query:
            headers["Idempotency-Key"] = query["requestid"]
        reauthorised = False
        while True:
            token = await self.auth.access_token()
            await self.limiter.acquire(batch=batch)
            self.stats.requests += 1
            head = path.split("/")[0]
            self.stats.per_path[head] = self.stats.per_path.get(head, 0) + 1
            try:
                async with self._in_flight:
                    reply = await self.attempt(
                        method,
                        path,
                        params=query,
                        content=content,
                        headers={**headers, "Authorization": f"Bearer {token}"},
                    )
            except Throttled:
                self.stats.throttled += 1
                raise
            except AuthFailed as exc:
                if exc.status != 401 or reauthorised:
                    raise
                reauthorised = True
                self.stats.refreshed_after_401 += 1
                await self.auth.refresh(rejected=token)
                continue
            return self._json_object(reply)

    def _retrying(self, error: ConnectorError, wait: float) -> None:
        if not error.throttled:
            self.stats.retried += 1

    def classify(self, reply: Reply) -> ConnectorError | None:
        status = reply.status
        tid = reply.headers.get("intuit_tid")
        retry_after = retry_after_seconds(reply.headers.get("Retry-After"))
        if status >= 500:
            return PartnerUnavailable(
                f"QuickBooks failed with HTTP {status}", status=status, retry_after=retry_after
            )
        fault_type, errors = fault_from_response(reply)
        if status < 300 and not errors:
            return None
        return error_for(
            errors, fault_type=fault_type, status=status, intuit_tid=tid, retry_after=retry_after
        )

    def _json_object(self, reply: Reply) -> dict:
        body = reply.json()
        if not isinstance(body, dict):
            raise reply.malformed("sent an answer that is not a JSON object")
        body["_intuit_tid"] = reply.headers.get("intuit_tid")
        return body

    # --- idempotency helpers ------------------------------------------------------------------

    async def _existing(self, draft: TxnDraft) -> Txn | None:
        found = await self.find_by_doc_number(draft.entity, [draft.doc_number])
        return _ours(draft, found.get(draft.doc_number, []))

    async def find_created(self, items: Iterable[BatchItem]) -> dict[str, Txn]:
        """The items QuickBooks already holds (same DocNumber and vendor), by bId."""
        items = list(items)
        result: dict[str, Txn] = {}
        for entity in {i.draft.entity for i in items}:
            mine = [i for i in items if i.draft.entity == entity]
            found = await self.find_by_doc_number(entity, [i.draft.doc_number for i in mine])
            for item in mine:
                txn = _ours(item.draft, found.get(item.draft.doc_number, []))
                if txn is not None:
                    result[item.bid] = txn
        self.stats.recovered += len(result)
        return result

    def _checked(self, draft: TxnDraft, txn: Txn) -> Txn:
        """QuickBooks drops a LinkedTxn it cannot apply without saying so: check it kept it."""
        if draft.linked_po_id and ("PurchaseOrder", draft.linked_po_id) not in txn.linked:
            warning = (
                f"QuickBooks created bill {txn.doc_number} (id {txn.id}) but did not keep its "
                f"link to QuickBooks purchase order {draft.linked_po_id}; link them by hand "
                "in QuickBooks"
            )
            return replace(txn, warnings=(*txn.warnings, warning))
        return txn


def _ours(draft: TxnDraft, candidates: list[Txn]) -> Txn | None:
    """The transaction an earlier attempt made: same DocNumber, vendor and memo (the memo carries
    the sender's key, so another sender's record with the same number is not taken)."""
    note = draft.private_note[:4000]
    for txn in candidates:
        if txn.vendor_id == draft.vendor_id and (not note or txn.private_note == note):
            return replace(txn, recovered=True)
    return None


def _json(body: dict | None) -> bytes | None:
    return None if body is None else json.dumps(body, default=str).encode()


def _entity(body: dict, entity: str) -> dict:
    data = body.get(entity)
    if not isinstance(data, dict) or "Id" not in data:
        raise QuickBooksError(f"QuickBooks answered without the {entity} it was asked for")
    return data
