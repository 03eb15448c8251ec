"""The QuickBooks Online Accounting API v3 client (httpx, async).

Every call carries ``minorversion``; creates carry a ``requestid`` (QuickBooks answers a repeated
requestid with the first answer instead of doing the work twice). A create whose answer was
lost (timeout, 5xx) is looked up by DocNumber before it is sent again, so a retry never makes a
second bill even where requestid replay does not reach. Throttling (429 / 3001) is waited out
and the same request sent again; a 401 refreshes the token once.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

import httpx

from connectors.base import PartnerUnavailable, retry_after_seconds
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
from connectors.quickbooks.records import BatchItem, BatchOutcome, QboVendor, Stats, Txn, TxnDraft

PRODUCTION_URL = "https://quickbooks.api.intuit.com"
SANDBOX_URL = "https://sandbox-quickbooks.api.intuit.com"
PATHS = {"Bill": "bill", "PurchaseOrder": "purchaseorder", "Vendor": "vendor"}


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


class QuickBooksClient:
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
        self.realm_id, self.auth, self.minor_version = realm_id, auth, minor_version
        self.limits = limits
        self.limiter = limiter or limiter_for(realm_id, limits)
        self.attempts, self.throttle_attempts, self.sleep = attempts, throttle_attempts, sleep
        self.stats = Stats()
        self._http = httpx.AsyncClient(
            base_url=f"{base_url.rstrip('/')}/v3/company/{realm_id}/",
            timeout=httpx.Timeout(timeout),
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "posync"},
        )
        # Intuit also refuses more than 10 requests in flight per realm.
        self._in_flight = asyncio.Semaphore(limits.per_second)

    async def __aenter__(self) -> QuickBooksClient:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- reading ------------------------------------------------------------------------------

    async def query(self, statement: str) -> dict[str, list[dict]]:
        body = await self._send("GET", "query", params={"query": statement})
        response = body.get("QueryResponse") or {}
        return {k: v for k, v in response.items() if isinstance(v, list)}

    async def read(self, entity: str, qbo_id: str) -> Txn:
        body = await self._send("GET", f"{PATHS[entity]}/{qbo_id}")
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

    async def default_expense_account(self) -> str:
        """The account item-less lines are booked to: Cost of Goods Sold, else any Expense."""
        for kind in ("Cost of Goods Sold", "Expense"):
            rows = await self.query(
                f"select * from Account where AccountType = {quote(kind)} maxresults 1"
            )
            if rows.get("Account"):
                return str(rows["Account"][0]["Id"])
        raise QuickBooksError(
            "QuickBooks has no Cost of Goods Sold or Expense account to book bill lines to; "
            "create one in QuickBooks first"
        )

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
        """Replace an existing transaction; a stale SyncToken (5010) means re-read and retry."""
        for attempt in range(1, tries + 1):
            current = await self.read(draft.entity, qbo_id)
            payload = {**draft.to_qbo(), "Id": qbo_id, "SyncToken": current.sync_token}
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
        failures = throttles = 0
        while pending:
            request = {
                "BatchItemRequest": [
                    {"bId": i.bid, "operation": "create", i.draft.entity: i.draft.to_qbo()}
                    for i in pending.values()
                ]
            }
            try:
                body = await self._send(
                    "POST",
                    "batch",
                    json_body=request,
                    requestid=batch_requestid(pending.values()),
                    batch=True,
                    retry_failures=False,
                )
            except PartnerUnavailable:
                failures += 1
                self.stats.retried += 1
                if failures >= self.attempts:
                    raise
                await self.sleep(self._backoff(failures))
                for bid, txn in (await self.find_created(pending.values())).items():
                    outcomes[bid] = BatchOutcome(bid, txn=txn)
                    del pending[bid]
                continue
            retry_throttled = self._read_batch(body, pending, outcomes)
            if not retry_throttled:
                break
            throttles += 1
            if throttles > self.throttle_attempts:
                break
            await self.sleep(self._throttle_wait(None, throttles))
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
        for answer in body.get("BatchItemResponse") or []:
            item = pending.get(str(answer.get("bId")))
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
                txn = Txn.from_qbo(item.draft.entity, answer[item.draft.entity])
                outcomes[item.bid] = BatchOutcome(item.bid, txn=self._checked(item.draft, txn))
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
        batch: bool = False,
        retry_failures: bool = True,
        before_retry: Callable[[], Awaitable[dict | None]] | None = None,
    ) -> dict:
        query = {**(params or {}), "minorversion": str(self.minor_version)}
        if requestid:
            query["requestid"] = requestid
        content = None if json_body is None else json.dumps(json_body, default=str)
        headers = {"Content-Type": "application/json"} if content is not None else {}
        failures = throttles = 0
        reauthorised = False
        while True:
            token = ""
            try:
                token = await self.auth.access_token()
                await self.limiter.acquire(batch=batch)
                self.stats.requests += 1
                head = path.split("/")[0]
                self.stats.per_path[head] = self.stats.per_path.get(head, 0) + 1
                async with self._in_flight:
                    response = await self._http.request(
                        method,
                        path,
                        params=query,
                        content=content,
                        headers={**headers, "Authorization": f"Bearer {token}"},
                    )
                error = self._error(response)
            except PartnerUnavailable as exc:  # the sign-in service, before any request
                error = exc
            except httpx.TimeoutException:
                error = PartnerUnavailable("QuickBooks did not answer in time")
            except httpx.TransportError as exc:
                error = PartnerUnavailable(f"QuickBooks cannot be reached ({type(exc).__name__})")
            if error is None:
                return self._body(response)
            if isinstance(error, Throttled):
                throttles += 1
                self.stats.throttled += 1
                if throttles > self.throttle_attempts:
                    raise error
                await self.sleep(self._throttle_wait(error, throttles))
                continue
            if isinstance(error, AuthFailed) and error.status == 401 and not reauthorised:
                reauthorised = True
                self.stats.refreshed_after_401 += 1
                await self.auth.refresh(rejected=token)
                continue
            if isinstance(error, PartnerUnavailable) and retry_failures:
                failures += 1
                if failures >= self.attempts:
                    raise error
                self.stats.retried += 1
                await self.sleep(self._backoff(failures))
                if before_retry is not None:
                    found = await before_retry()
                    if found is not None:
                        return found
                continue
            raise error

    def _error(self, response: httpx.Response) -> Exception | None:
        status = response.status_code
        tid = response.headers.get("intuit_tid")
        if status >= 500:
            return PartnerUnavailable(f"QuickBooks failed with HTTP {status}", status=status)
        fault_type, errors = fault_from_response(response)
        if status < 300 and not errors:
            return None
        retry_after = retry_after_seconds(response, default=0.0) or None
        return error_for(
            errors, fault_type=fault_type, status=status, intuit_tid=tid, retry_after=retry_after
        )

    def _body(self, response: httpx.Response) -> dict:
        try:
            body = json.loads(response.content, parse_float=Decimal)
        except ValueError:
            raise QuickBooksError(
                f"QuickBooks sent an answer that is not JSON: {response.text[:200]!r}",
                status=response.status_code,
                intuit_tid=response.headers.get("intuit_tid"),
            ) from None
        if not isinstance(body, dict):
            raise QuickBooksError("QuickBooks sent an answer of the wrong shape")
        body["_intuit_tid"] = response.headers.get("intuit_tid")
        return body

    def _backoff(self, failures: int) -> float:
        return min(self.limits.minute, self.limits.second * 2 ** (failures - 1))

    def _throttle_wait(self, error: Throttled | None, throttles: int) -> float:
        # Intuit says: after a 429 wait up to a minute. Start short and double.
        if error is not None and error.retry_after:
            return min(error.retry_after, self.limits.minute)
        return min(self.limits.minute, self.limits.second * 2 ** (throttles - 1))

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


def _entity(body: dict, entity: str) -> dict:
    data = body.get(entity)
    if not isinstance(data, dict) or "Id" not in data:
        raise QuickBooksError(f"QuickBooks answered without the {entity} it was asked for")
    return data
