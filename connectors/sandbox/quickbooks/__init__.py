"""A simulated QuickBooks Online: Accounting API v3 and Intuit's OAuth 2.0 token endpoint.

Served under ``/quickbooks`` by the sandbox server:
- ``POST /oauth2/v1/tokens/bearer`` — authorization_code and refresh_token grants, with
  refresh-token rotation: as at Intuit, the previous refresh token keeps working until the new
  one is used (so an answer lost on the way is not the end of the connection); a refresh token
  used after its successor answers ``invalid_grant``;
- ``/v3/company/{realmId}/bill | purchaseorder | vendor`` (create/update, read by id),
  ``/query``, ``/batch`` (≤ 30 operations, answered per ``bId``).

Like QuickBooks it checks the bearer token (401 with a lower-case ``fault`` body), enforces the
limits per realm (500/min, 10/s, batch 40/min; 429 + Fault 3001, JSON or XML body), replays the
answer for a repeated ``requestid``, and sends an ``intuit_tid`` header on every answer. Tests
and the demo script it through the methods below (faults, revocation, inspection).
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from connectors.quickbooks.limits import Limits
from connectors.sandbox.faults import Faults, dropped
from connectors.sandbox.quickbooks.company import Company, SandboxFault, now_text, required
from connectors.sandbox.quickbooks.wire import (
    auth_fault,
    dumps,
    entity_name,
    json_response,
    load,
    tid_header,
    xml_fault,
)

DEMO_REALM = "9130354000000001"
DEMO_CLIENT_ID = "posync-sandbox-client"
DEMO_CLIENT_SECRET = "posync-sandbox-secret"  # a public demo value, not a credential
BATCH_MAX = 30
# The lists of the demo company by id (ids below 100: the demo's vendors start at 100).
DEMO_LISTS: dict[str, dict[str, dict]] = {
    "Account": {
        "80": {"Name": "Cost of Goods Sold", "AccountType": "Cost of Goods Sold"},
        "81": {"Name": "Freight and delivery", "AccountType": "Cost of Goods Sold"},
        "82": {"Name": "Purchases", "AccountType": "Expense"},
        "83": {"Name": "Supplies", "AccountType": "Expense"},
        "84": {"Name": "Accounts Payable (A/P)", "AccountType": "Accounts Payable"},
        "85": {"Name": "Accounts Payable - Imports", "AccountType": "Accounts Payable"},
    },
    "Item": {"90": {"Name": "Hardware", "Type": "Inventory"}},
    "TaxCode": {
        "60": {"Name": "TAX"},
        "61": {"Name": "NON"},
        "62": {"Name": "GST"},
        "63": {"Name": "Out of scope"},
    },
    "Class": {"70": {"Name": "Wholesale"}, "71": {"Name": "Retail"}},
    "Department": {"75": {"Name": "Main warehouse"}, "76": {"Name": "North depot"}},
    "Term": {
        "50": {"Name": "Net 15", "DueDays": 15},
        "51": {"Name": "Net 30", "DueDays": 30},
        "52": {"Name": "Due on receipt", "DueDays": 0},
    },
}


@dataclass
class SandboxStats:
    requests: int = 0  # API calls (not token calls)
    throttled: int = 0  # 429 answers served
    replayed: int = 0  # answers repeated for a known requestid
    without_minorversion: int = 0
    refreshes: int = 0
    batches: int = 0
    batch_sizes: list[int] = field(default_factory=list)
    batch_at: list[float] = field(default_factory=list)  # time.monotonic() of each batch


@dataclass
class _Script:
    """QuickBooks-specific misbehaviour, consumed by the next API calls."""

    faults: deque = field(default_factory=deque)  # (SandboxFault, xml, writes only)
    after_commit: deque = field(default_factory=deque)  # ("fail", status) or ("hang", seconds)
    altered: deque = field(default_factory=deque)  # fields to change in the next write answers


class QuickBooksSandbox:
    name = "quickbooks"

    def __init__(
        self,
        *,
        limits: Limits = Limits(),
        throttle_body: str = "alternate",  # "json", "xml" or "alternate"
        access_ttl: float = 3600.0,
        realm_id: str = DEMO_REALM,
        client_id: str = DEMO_CLIENT_ID,
        client_secret: str = DEMO_CLIENT_SECRET,
        demo_data: bool = True,
    ):
        # The fault mode's own kinds: an access token expired early (401: the client must
        # refresh), and a refresh whose answer is lost after the token was rotated.
        self.faults = Faults(specials={"expired_token": "/v3/", "lost_refresh": "/oauth2/"})
        self.limits, self.throttle_body, self.access_ttl = limits, throttle_body, access_ttl
        self.realm_id, self.client_id, self.client_secret = realm_id, client_id, client_secret
        self.honour_requestid = True
        self.stats = SandboxStats()
        self.companies = {realm_id: Company(realm_id)}
        self._lock = threading.RLock()
        self._access: dict[str, tuple[str, float]] = {}  # token → (realm, expires at)
        self._refresh: dict[str, str] = {}  # live refresh token → realm
        self._successor: dict[str, str] = {}  # rotated refresh token → the one that replaced it
        self._codes: dict[str, str] = {}  # authorization code → realm
        self._replies: dict[tuple[str, str], tuple[int, bytes]] = {}
        self._windows: dict[tuple[str, str], deque[float]] = {}
        self._script = _Script()
        self._throttle_count = 0
        if demo_data:
            self.seed_demo()

    # --- test- and demo-facing API --------------------------------------------------------------

    @property
    def company(self) -> Company:
        return self.companies[self.realm_id]

    def seed_demo(self) -> None:
        """Accounts, items and a few vendors, as in a fresh QuickBooks sandbox company."""
        with self._lock:
            c = self.company
            # Fixed ids, so that the demo database's Accounting › Settings name them.
            for entity, rows in DEMO_LISTS.items():
                for qbo_id, fields in rows.items():
                    c.add(entity, {**fields, "Active": True}, qbo_id)
            for name in ("Acme Supplies", "Northwind Traders", "Globex Corporation"):
                c.add("Vendor", {"DisplayName": name, "Active": True})

    def add_vendor(
        self, display_name: str, *, qbo_id: str | None = None, active: bool = True
    ) -> str:
        """A vendor in the simulated company (``qbo_id``: the demo's pre-linked vendors)."""
        with self._lock:
            data = {"DisplayName": display_name, "Active": active}
            return self.company.add("Vendor", data, qbo_id)["Id"]

    def add_item(self, name: str) -> str:
        return self.add("Item", Name=name, Type="Inventory")

    def add_account(self, name: str, account_type: str = "Expense") -> str:
        return self.add("Account", Name=name, AccountType=account_type)

    def add(self, entity: str, **fields) -> str:
        """A list record (Account, Item, TaxCode, Class, Department, Term): its id."""
        with self._lock:
            return self.company.add(entity, {"Active": True, **fields})["Id"]

    def void(self, entity: str, qbo_id: str) -> None:
        """Someone voids a bill or purchase order in QuickBooks."""
        with self._lock:
            self.company.void(entity, qbo_id)

    def records(self, entity: str) -> list[dict]:
        with self._lock:
            return [json.loads(dumps(r)) for r in self.company.records[entity].values()]

    def bills(self) -> list[dict]:
        return self.records("Bill")

    def purchase_orders(self) -> list[dict]:
        return self.records("PurchaseOrder")

    def vendors(self) -> list[dict]:
        return self.records("Vendor")

    def edit(self, entity: str, qbo_id: str, **changes) -> None:
        """Someone edits a record in QuickBooks: its SyncToken moves on."""
        with self._lock:
            record = self.company.records[entity][qbo_id]
            record.update(changes)
            record["SyncToken"] = str(int(record["SyncToken"]) + 1)

    def delete(self, entity: str, qbo_id: str) -> None:
        with self._lock:
            del self.company.records[entity][qbo_id]

    def drop_links(self, drop: bool = True) -> None:
        """Answer bills as if QuickBooks could not apply their LinkedTxn (it says nothing)."""
        self.company.drop_links = drop

    def issue_refresh_token(self) -> str:
        """A refresh token for the default realm, as if an operator had just connected."""
        with self._lock:
            token = "RT1-" + secrets.token_urlsafe(24)
            self._refresh[token] = self.realm_id
            return token

    def knows_refresh_token(self, token: str) -> bool:
        with self._lock:
            return token in self._refresh

    def issue_authorization_code(self) -> str:
        with self._lock:
            code = "AB-" + secrets.token_urlsafe(16)
            self._codes[code] = self.realm_id
            return code

    def expire_access_tokens(self) -> None:
        with self._lock:
            self._access.clear()

    def revoke(self) -> None:
        """The company disconnected posync: every token stops working."""
        with self._lock:
            self._access.clear()
            self._refresh.clear()
            self._successor.clear()

    def inject_fault(
        self,
        code: str,
        *,
        times: int = 1,
        status: int = 400,
        message: str = "Injected fault",
        detail: str = "",
        element: str = "",
        xml: bool = False,
        writes_only: bool = False,
    ) -> None:
        """The next ``times`` API calls (or only writes) answer this Fault instead of working."""
        fault = SandboxFault(code, message, detail, element, status=status)
        with self._lock:
            self._script.faults.extend([(fault, xml, writes_only)] * times)

    def clear_faults(self) -> None:
        """Forget the injected faults not served yet (QuickBooks is back)."""
        with self._lock:
            self._script.faults.clear()

    def fail_after_commit(self, times: int = 1, status: int = 503) -> None:
        """Do the work, then answer an error: the caller cannot know the record was made."""
        with self._lock:
            self._script.after_commit.extend([("fail", status)] * times)

    def hang_after_commit(self, times: int = 1, seconds: float = 5.0) -> None:
        """Do the work, then answer too late for the caller's timeout."""
        with self._lock:
            self._script.after_commit.extend([("hang", seconds)] * times)

    def alter_answers(self, times: int = 1, **fields) -> None:
        """Do the work, then answer with these fields changed (e.g. another DocNumber): an
        answer that is not what was sent."""
        with self._lock:
            self._script.altered.extend([fields] * times)

    # --- HTTP -----------------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/oauth2/v1/tokens/bearer", self._token, methods=["POST"]),
            Route("/v3/company/{realm}/query", self._query, methods=["GET", "POST"]),
            Route("/v3/company/{realm}/batch", self._batch, methods=["POST"]),
            Route("/v3/company/{realm}/{entity}/{qbo_id}", self._read, methods=["GET"]),
            Route("/v3/company/{realm}/{entity}", self._save, methods=["POST"]),
        ]

    async def _token(self, request: Request) -> Response:
        if not self._client_ok(request.headers.get("authorization", "")):
            return json_response({"error": "invalid_client"}, 401)
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        with self._lock:
            grant = form.get("grant_type")
            if grant == "refresh_token":
                realm = self._use_refresh_token(form.get("refresh_token", ""))
            elif grant == "authorization_code":
                realm = self._codes.pop(form.get("code", ""), None)
            else:
                return json_response({"error": "unsupported_grant_type"}, 400)
            if realm is None:
                return json_response({"error": "invalid_grant"}, 400)
            self.stats.refreshes += 1
            access = "AT-" + secrets.token_urlsafe(24)
            refresh = "RT1-" + secrets.token_urlsafe(24)
            self._access[access] = (realm, time.monotonic() + self.access_ttl)
            self._refresh[refresh] = realm
            if grant == "refresh_token":
                self._successor[form["refresh_token"]] = refresh
        if getattr(request.state, "fault", None) == "lost_refresh":
            return dropped()  # rotated, but the client never hears of the new token
        return json_response(
            {
                "token_type": "bearer",
                "access_token": access,
                "expires_in": int(self.access_ttl),
                "refresh_token": refresh,
                "x_refresh_token_expires_in": 8_726_400,
            }
        )

    def _use_refresh_token(self, token: str) -> str | None:
        """The realm of a refresh token being used, or None if it is no longer valid.

        Using a token retires the one it replaced; using a replaced token again (its answer was
        lost) retires the replacement no one received.
        """
        realm = self._refresh.get(token)
        if realm is None:
            return None
        successor = self._successor.pop(token, None)
        if successor is not None:
            self._refresh.pop(successor, None)
        for old, new in list(self._successor.items()):
            if new == token:
                del self._successor[old]
                self._refresh.pop(old, None)
        return realm

    def _client_ok(self, header: str) -> bool:
        if not header.lower().startswith("basic "):
            return False
        try:
            decoded = base64.b64decode(header[6:]).decode()
        except ValueError:
            return False
        return decoded == f"{self.client_id}:{self.client_secret}"

    async def _query(self, request: Request) -> Response:
        def work(company: Company, raw: bytes) -> dict:
            statement = request.query_params.get("query") or raw.decode()
            return {"QueryResponse": company.query(statement), "time": now_text()}

        return await self._api(request, work, writes=False)

    async def _read(self, request: Request) -> Response:
        def work(company: Company, raw: bytes) -> dict:
            entity = entity_name(request.path_params["entity"])
            record = company.records[entity].get(request.path_params["qbo_id"])
            if record is None:
                raise SandboxFault("610", "Object Not Found", f"{entity} not found")
            return {entity: record, "time": now_text()}

        return await self._api(request, work, writes=False)

    async def _save(self, request: Request) -> Response:
        def work(company: Company, raw: bytes) -> dict:
            entity = entity_name(request.path_params["entity"])
            if request.query_params.get("operation") == "delete":
                return {entity: company.delete(entity, load(raw)), "time": now_text()}
            return {entity: company.save(entity, load(raw)), "time": now_text()}

        return await self._api(request, work, writes=True)

    async def _batch(self, request: Request) -> Response:
        def work(company: Company, raw: bytes) -> dict:
            body = load(raw)
            items = body.get("BatchItemRequest") if isinstance(body, dict) else None
            if not isinstance(items, list) or not items:
                raise required("BatchItemRequest")
            if len(items) > BATCH_MAX:
                raise SandboxFault(
                    "4002", "Batch size exceeded", f"At most {BATCH_MAX} items per batch"
                )
            self.stats.batches += 1
            self.stats.batch_sizes.append(len(items))
            self.stats.batch_at.append(time.monotonic())
            answers = [_batch_item(company, item) for item in items]
            return {"BatchItemResponse": answers, "time": now_text()}

        return await self._api(request, work, writes=True, batch=True)

    async def _api(self, request: Request, work, *, writes: bool, batch: bool = False) -> Response:
        """Everything QuickBooks does around the work: auth, limits, faults, replay."""
        raw = await request.body()
        tid = f"1-{secrets.token_hex(4)}-{secrets.token_hex(12)}"
        realm = request.path_params["realm"]
        after = None
        # One lock around the bookkeeping: tests read the company from another thread.
        with self._lock:
            self.stats.requests += 1
            if "minorversion" not in request.query_params:
                self.stats.without_minorversion += 1
            bearer = request.headers.get("authorization", "")
            if getattr(request.state, "fault", None) == "expired_token":
                self._access.pop(bearer[7:], None)  # expired before its time
            if not self._bearer_ok(bearer, realm):
                return auth_fault(tid)
            if not self._admit(realm, batch):
                self.stats.throttled += 1
                return self._throttled(tid)
            if self._script.faults and (writes or not self._script.faults[0][2]):
                fault, xml, _ = self._script.faults.popleft()
                if fault.code == "3001":
                    self.stats.throttled += 1
                return (
                    xml_fault(fault, tid) if xml else json_response(fault.body(), fault.status, tid)
                )
            rid = request.query_params.get("requestid")
            key = (realm, rid) if rid and writes and self.honour_requestid else None
            if key in self._replies:
                self.stats.replayed += 1
                status, content = self._replies[key]
                return Response(
                    content, status, media_type="application/json", headers=tid_header(tid)
                )
            try:
                company = self.companies.get(realm)
                if company is None:
                    raise SandboxFault("3100", "AuthorizationFailed", realm, status=403)
                status, content = 200, dumps(work(company, raw)).encode()
            except SandboxFault as fault:
                status, content = fault.status, dumps(fault.body()).encode()
            if key is not None:
                self._replies[key] = (status, content)
            if writes and status == 200 and self._script.altered:
                content = dumps(_altered(load(content), self._script.altered.popleft())).encode()
            if writes and self._script.after_commit:
                after = self._script.after_commit.popleft()
            elif writes and self.faults.lose():  # done, and the answer lost on its way
                after = ("fail", 503)
        if after and after[0] == "hang":
            await asyncio.sleep(after[1])
        elif after and after[0] == "fail":
            return json_response({"error": "injected failure after commit"}, after[1], tid)
        return Response(content, status, media_type="application/json", headers=tid_header(tid))

    def _bearer_ok(self, header: str, realm: str) -> bool:
        token = header[7:] if header.lower().startswith("bearer ") else ""
        known = self._access.get(token)
        return known is not None and known[0] == realm and known[1] > time.monotonic()

    def _admit(self, realm: str, batch: bool) -> bool:
        """Sliding windows per realm: every call, calls per second, batch calls."""
        now = time.monotonic()
        checks = [("minute", self.limits.per_minute, self.limits.minute)]
        checks.append(("second", self.limits.per_second, self.limits.second))
        if batch:
            checks.append(("batch", self.limits.batch_per_minute, self.limits.minute))
        for name, limit, length in checks:
            window = self._windows.setdefault((realm, name), deque())
            while window and now - window[0] >= length:
                window.popleft()
            if len(window) >= limit:
                return False
        for name, _, _ in checks:
            self._windows[(realm, name)].append(now)
        return True

    def _throttled(self, tid: str) -> Response:
        fault = SandboxFault(
            "3001",
            "message=ThrottleExceeded; errorCode=003001; statusCode=429",
            "The request limit was reached.  Try again later",
            status=429,
            fault_type="SERVICE",
        )
        self._throttle_count += 1
        xml = self.throttle_body == "xml" or (
            self.throttle_body == "alternate" and self._throttle_count % 2 == 0
        )
        return xml_fault(fault, tid) if xml else json_response(fault.body(), 429, tid)


def _altered(answer: dict, fields: dict) -> dict:
    """The answer with ``fields`` changed in each transaction it holds (batch or single)."""
    for part in answer.get("BatchItemResponse") or [answer]:
        for entity in ("Bill", "PurchaseOrder"):
            if isinstance(part.get(entity), dict):
                part[entity] = {**part[entity], **fields}
    return answer


def _batch_item(company: Company, item: object) -> dict:
    if not isinstance(item, dict):
        return {"Fault": required("bId").body()["Fault"]}
    bid = item.get("bId")
    try:
        if "Query" in item:
            return {"bId": bid, "QueryResponse": company.query(str(item["Query"]))}
        entity = next((k for k in ("Bill", "PurchaseOrder", "Vendor") if k in item), None)
        if entity is None or item.get("operation", "create") not in ("create", "update"):
            raise required("operation")
        return {"bId": bid, entity: company.save(entity, item[entity])}
    except SandboxFault as fault:
        return {"bId": bid, "Fault": fault.body()["Fault"]}
