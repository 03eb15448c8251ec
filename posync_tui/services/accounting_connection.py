"""The QuickBooks connection: a client for the configured company (or the demo's simulated one),
and QuickBooks' declaration as a partner.

Tokens are kept in a file of their own in posync's data directory (see
``connectors.quickbooks.oauth``); the demo's simulated company uses a different file, so a demo
never overwrites a real company's sign-in.
"""

from __future__ import annotations

from connectors.quickbooks import (
    QuickBooksAuth,
    QuickBooksClient,
    ReconnectQuickBooks,
    TokenStore,
    authorization_url,
    connect_with_code,
    seed_refresh_token,
)
from connectors.quickbooks.oauth import TOKEN_URL, Token
from posync_tui.config import Settings
from posync_tui.leases import Fence
from posync_tui.partners import Partner, Queue, Schedule, address
from posync_tui.paths import data_dir
from posync_tui.runtime import Runtime

CONNECTOR = "quickbooks"


def _sandbox(rt: Runtime):
    if rt.settings.quickbooks.base_url or rt.sandbox is None:
        return None
    return rt.sandbox.partners.get(CONNECTOR)


def token_store(rt: Runtime) -> TokenStore:
    # The demo's simulated company has its own file, so it never overwrites a real sign-in.
    name = "quickbooks-sandbox-token.json" if _sandbox(rt) else TOKEN_FILE
    return TokenStore(data_dir() / name)


TOKEN_FILE = "quickbooks-token.json"  # a real company's tokens


def qbo_client(rt: Runtime) -> QuickBooksClient:
    """A client for the configured QuickBooks company, or for the demo's simulated one."""
    q = rt.settings.quickbooks
    store = token_store(rt)
    base = address(rt, CONNECTOR)
    sandbox = _sandbox(rt)
    if sandbox is not None:
        client_id, secret, realm = sandbox.client_id, sandbox.client_secret, sandbox.realm_id
        token_url, limits = f"{base}/oauth2/v1/tokens/bearer", sandbox.limits
        saved = store.load()
        if saved is None or not sandbox.knows_refresh_token(saved.refresh_token):
            # A new demo run: "connect" to this run's simulated company.
            with store.locked():
                store.save(Token("", sandbox.issue_refresh_token(), 0.0, realm_id=realm))
    else:
        missing = [n for n in ("client_id", "client_secret", "realm_id") if not getattr(q, n)]
        if missing:
            raise ReconnectQuickBooks(
                "QuickBooks is not set up: set quickbooks."
                + ", quickbooks.".join(missing)
                + " in the config file, then connect the company."
            )
        assert q.client_id and q.client_secret and q.realm_id  # none is missing
        client_id, secret, realm = q.client_id, q.client_secret.get_secret_value(), q.realm_id
        token_url, limits = q.token_url or TOKEN_URL, None
        if q.refresh_token is not None:
            seed_refresh_token(store, q.refresh_token.get_secret_value(), realm)
    auth = QuickBooksAuth(
        client_id=client_id,
        client_secret=secret,
        store=store,
        token_url=token_url,
        timeout=q.timeout,
    )
    extra = {"limits": limits} if limits is not None else {}
    return QuickBooksClient(
        base, realm, auth, minor_version=q.minor_version, timeout=q.timeout, **extra
    )


def connection_state(rt: Runtime) -> str:
    """'connected', 'not connected', or the reason an operator must reconnect QuickBooks."""
    if _sandbox(rt) is not None:
        return "connected"
    token = token_store(rt).load()
    if token is not None and token.reconnect_required:
        return f"reconnect QuickBooks: {token.reason}"
    if token is None and rt.settings.quickbooks.refresh_token is None:
        return "not connected"
    return "connected"


# --- connecting a real company (OAuth authorization code flow) -----------------------------


def authorization_link(settings: Settings, state: str) -> str:
    """The Intuit sign-in page where an operator picks the company to connect to posync."""
    q = settings.quickbooks
    if not q.client_id:
        raise ReconnectQuickBooks("Set quickbooks.client_id (your Intuit app's key) first.")
    return authorization_url(q.client_id, q.redirect_uri, state)


async def connect_company(settings: Settings, code: str, realm_id: str) -> str:
    """Finish connecting a real company: Intuit redirected to
    ``redirect_uri?code=..&realmId=..&state=..``. Touches no database.

    Saves the tokens (0600 file); returns the realm id to put in quickbooks.realm_id.
    """
    q = settings.quickbooks
    if not (q.client_id and q.client_secret):
        raise ReconnectQuickBooks("Set quickbooks.client_id and client_secret first.")
    token = await connect_with_code(
        client_id=q.client_id,
        client_secret=q.client_secret.get_secret_value(),
        code=code,
        realm_id=realm_id,
        redirect_uri=q.redirect_uri,
        store=TokenStore(data_dir() / TOKEN_FILE),
        token_url=q.token_url or TOKEN_URL,
    )
    return token.realm_id


# --- the partner ----------------------------------------------------------------------------


async def _deliver(rt: Runtime, fence: Fence) -> str:
    from posync_tui.services import accounting  # it imports this module for the client

    return await accounting.deliver(rt, fence=fence)


async def _read_back(rt: Runtime, fence: Fence) -> str:
    from posync_tui.services.accounting_discrepancies import read_back

    return await read_back(rt, fence)


READ_BACK_JOB = "quickbooks-readback"
READ_BACK_EVERY = 3600.0  # seconds: a read-back of every record is a few queries per 100


def _queue(rt: Runtime) -> Queue:
    from posync_tui.services.accounting import queue_counts

    counts = queue_counts(rt.db, rt.settings)
    return Queue(waiting=counts["upload_waiting"], errors=counts["upload_errors"])


QUICKBOOKS = Partner(
    name=CONNECTOR,
    short="qbo",
    client=qbo_client,
    jobs=(
        Schedule(CONNECTOR, _deliver),
        # Reads back what posync made, for Accounting › Discrepancies.
        Schedule(READ_BACK_JOB, _read_back, interval=READ_BACK_EVERY),
    ),
    queue=_queue,
)
