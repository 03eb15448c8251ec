"""OAuth 2.0 for QuickBooks Online: the token file, refresh with rotation, and connecting.

Intuit rotates the refresh token: every refresh answers a new one, and the old one stops working
soon after. So the newest token is written to disk the moment it arrives, and only one refresh
runs at a time — an asyncio lock inside this process and a file lock between processes (each
SSH login is a process). After taking the locks the file is read again: another process may
already have refreshed, and using its token is what keeps the rotation chain intact.

Tokens live in a file of their own (mode 0600) in posync's data directory: never in the
database, never in a log or an error message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
import warnings
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import httpx
from authlib.integrations.base_client import OAuthError

with warnings.catch_warnings():
    # Authlib 1.9 nudges towards the httpx2 fork; posync uses httpx for every partner, and
    # the warning would reach operators' terminals. uv.lock pins the Authlib we tested.
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client

from connectors.base import PartnerUnavailable
from connectors.quickbooks.errors import ReconnectQuickBooks

if sys.platform == "win32":  # pragma: no cover - Windows: one process at a time is assumed
    fcntl = None
else:  # POSIX; posync consoles run on servers reached over SSH.
    import fcntl

AUTHORIZATION_URL = "https://appcenter.intuit.com/connect/oauth2"
TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
SCOPE = "com.intuit.quickbooks.accounting"
RECONNECT_HINT = (
    "Reconnect QuickBooks: sign in to the QuickBooks company again (posync's QuickBooks "
    "connect), or put a new refresh token in the quickbooks settings."
)


@dataclass(frozen=True)
class Token:
    access_token: str
    refresh_token: str
    expires_at: float  # epoch seconds
    realm_id: str = ""
    refresh_expires_at: float | None = None
    reconnect_required: bool = False
    reason: str = ""

    def fresh(self, leeway: float) -> bool:
        return bool(self.access_token) and self.expires_at - leeway > time.time()

    def __repr__(self) -> str:  # never print a secret by accident
        return f"Token(realm_id={self.realm_id!r}, expires_at={self.expires_at:.0f}, ...)"


class TokenStore:
    """The token file (0600) and its lock file, in posync's data directory."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.lock_path = self.path.with_suffix(".lock")

    def load(self) -> Token | None:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        except ValueError:
            return None  # a damaged file means "not connected", never a crash
        return Token(**{k: v for k, v in data.items() if k in Token.__dataclass_fields__})

    def save(self, token: Token) -> None:
        """Write atomically: a crash leaves the old file or the new one, never half of one."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".tmp{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(asdict(token), f)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    def mark_reconnect(self, reason: str) -> None:
        token = self.load() or Token("", "", 0.0)
        self.save(replace(token, access_token="", reconnect_required=True, reason=reason))

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive across processes; blocks (outside the event loop only)."""
        fd = self._open_lock()
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    @contextlib.asynccontextmanager
    async def alocked(self, poll: float = 0.02) -> AsyncIterator[None]:
        """The same lock for coroutines: polls instead of blocking the event loop."""
        fd = self._open_lock()
        try:
            while fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    await asyncio.sleep(poll)
            yield
        finally:
            os.close(fd)

    def _open_lock(self) -> int:
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)


class QuickBooksAuth:
    """Hands out a valid access token, refreshing (and rotating) it when it is about to expire."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        store: TokenStore,
        token_url: str = TOKEN_URL,
        leeway: float = 300.0,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self.client_id, self.client_secret = client_id, client_secret
        self.store, self.token_url, self.leeway = store, token_url, leeway
        self.timeout, self.transport = timeout, transport
        self.refreshes = 0  # how many refreshes this object made (tests and status)
        self._lock: asyncio.Lock | None = None

    async def access_token(self) -> str:
        token = self.store.load()
        if token is not None and not token.reconnect_required and token.fresh(self.leeway):
            return token.access_token
        return await self.refresh(rejected=token.access_token if token else None)

    async def refresh(self, *, rejected: str | None = None) -> str:
        """A new access token. ``rejected``: the one QuickBooks refused or that expired."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            token = self._usable(self.store.load(), rejected)
            if token is not None:
                return token.access_token
            async with self.store.alocked():
                return await self._refresh_locked(rejected)

    def _usable(self, token: Token | None, rejected: str | None) -> Token | None:
        if token is None or not token.refresh_token and not token.access_token:
            raise ReconnectQuickBooks(f"QuickBooks is not connected yet. {RECONNECT_HINT}")
        if token.reconnect_required:
            raise ReconnectQuickBooks(f"{token.reason} {RECONNECT_HINT}".strip())
        if token.access_token != rejected and token.fresh(self.leeway):
            return token  # another coroutine or process refreshed it meanwhile
        return None

    async def _refresh_locked(self, rejected: str | None) -> str:
        current = self.store.load()
        token = self._usable(current, rejected)
        if token is not None:
            return token.access_token
        assert current is not None  # _usable refused a missing one
        try:
            async with self._oauth() as oauth:
                answer = await oauth.refresh_token(
                    self.token_url, refresh_token=current.refresh_token
                )
        except OAuthError as exc:
            if exc.error in ("invalid_grant", "invalid_client", "unauthorized_client"):
                reason = (
                    f"QuickBooks refused the saved sign-in ({exc.error}): the connection was "
                    "revoked, expired, or its refresh token was already used."
                )
                self.store.mark_reconnect(reason)
                raise ReconnectQuickBooks(f"{reason} {RECONNECT_HINT}") from None
            raise PartnerUnavailable(f"QuickBooks sign-in failed ({exc.error})") from None
        except (httpx.HTTPError, ValueError) as exc:
            # Nothing was rotated that we know of: keep the old token and try again later.
            raise PartnerUnavailable(f"QuickBooks sign-in service {_failure(exc)}") from None
        new = _token_from(answer, current)
        self.store.save(new)  # at once: the old refresh token may already be dead
        self.refreshes += 1
        return new.access_token

    def _oauth(self) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self.client_id,
            client_secret=self.client_secret,
            token_endpoint_auth_method="client_secret_basic",
            timeout=self.timeout,
            transport=self.transport,
        )


def _failure(exc: httpx.HTTPError | ValueError) -> str:
    """What went wrong with a refresh, in an operator's words (not the exception's class)."""
    if isinstance(exc, httpx.HTTPStatusError):
        return f"answered HTTP {exc.response.status_code}"
    if isinstance(exc, httpx.TimeoutException):
        return "did not answer in time"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "broke off its answer"
    if isinstance(exc, httpx.TransportError):
        return "cannot be reached"
    return "sent an answer that cannot be read"  # not JSON, or no token in it


def _token_from(answer: dict, previous: Token | None) -> Token:
    expires_at = answer.get("expires_at") or time.time() + float(answer.get("expires_in", 3600))
    refresh_in = answer.get("x_refresh_token_expires_in")
    return Token(
        access_token=answer["access_token"],
        # Intuit always answers a refresh token; keep the old one if a server does not.
        refresh_token=answer.get("refresh_token") or (previous.refresh_token if previous else ""),
        expires_at=float(expires_at),
        realm_id=previous.realm_id if previous else "",
        refresh_expires_at=time.time() + float(refresh_in) if refresh_in else None,
    )


# --- connecting a company (the OAuth "authorization code" flow) --------------------------------


def authorization_url(client_id: str, redirect_uri: str, state: str) -> str:
    """Where the operator signs in to QuickBooks and picks the company to connect."""
    client = AsyncOAuth2Client(client_id=client_id, redirect_uri=redirect_uri, scope=SCOPE)
    url, _ = client.create_authorization_url(AUTHORIZATION_URL, state=state)
    return url


async def connect_with_code(
    *,
    client_id: str,
    client_secret: str,
    code: str,
    realm_id: str,
    redirect_uri: str,
    store: TokenStore,
    token_url: str = TOKEN_URL,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Token:
    """Exchange the code Intuit sent to the redirect URI (with ``realmId``); save the tokens."""
    oauth = AsyncOAuth2Client(
        client_id=client_id,
        client_secret=client_secret,
        redirect_uri=redirect_uri,
        token_endpoint_auth_method="client_secret_basic",
        transport=transport,
    )
    async with oauth:
        try:
            answer = await oauth.fetch_token(token_url, grant_type="authorization_code", code=code)
        except OAuthError as exc:
            raise ReconnectQuickBooks(
                f"QuickBooks refused the sign-in code ({exc.error}); sign in again."
            ) from None
    token = replace(_token_from(answer, None), realm_id=realm_id)
    with store.locked():
        store.save(token)
    return token


def seed_refresh_token(store: TokenStore, refresh_token: str, realm_id: str = "") -> None:
    """Start from a refresh token given in the settings.

    Used once: afterwards the file holds the newer, rotated token and wins. A different token
    in the settings replaces the file only when the file says "reconnect" (the operator put a
    fresh one there to reconnect).
    """

    def wanted(token: Token | None) -> bool:
        return token is None or (token.reconnect_required and token.refresh_token != refresh_token)

    if not wanted(store.load()):
        return  # checked first: the lock may be held through a whole refresh elsewhere
    with store.locked():
        if wanted(store.load()):
            store.save(Token("", refresh_token, 0.0, realm_id=realm_id))
