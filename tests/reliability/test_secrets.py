"""Secrets stay secret: QuickBooks' OAuth tokens and client secret, partners' API keys and
passwords, the database password.

A full sync against the simulated partners, configured with a secret for every partner, leaves
none of them in any column of any table, in the log (at DEBUG, httpx's request lines included)
or in what `posync sync --once` and `posync config show` print; the token file and its lock are
0600; a crash while the token file is written, or a refresh answer that never arrives, never
loses the refresh token that still works.
"""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import stat
import time

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from connectors.quickbooks import QuickBooksAuth, TokenStore
from connectors.quickbooks.oauth import Token
from connectors.sandbox.partners import default_sandbox
from posync_tui.cli import app
from posync_tui.db import Database
from posync_tui.demo_data import seed_demo
from posync_tui.paths import masked_url
from posync_tui.services.accounting import QueueTab, queue_ids
from posync_tui.services.accounting_enqueue import enqueue_upload
from tests.reliability.scale import pick

runner = CliRunner()
API_KEYS = {
    name: f"sk-{name}-Zq8v1Xw" for name in ("supplier", "catalog", "warehouse", "edi", "p21")
}
CLIENT_SECRET = "qbo-client-secret-7Hk2"
DB_PASSWORD = "db-pa55-Wy7r"


def tables(db: Database) -> list[str]:
    return sa.inspect(db.engine).get_table_names()


def dump(db: Database) -> str:
    with db.engine.connect() as conn:
        # Table names from the database's own catalogue, quoted: not operator input.
        return "\n".join(
            repr(row) for t in tables(db) for row in conn.execute(sa.text(f'SELECT * FROM "{t}"'))
        )


def test_a_full_sync_leaves_no_secret_in_the_database_the_log_or_the_output(
    tmp_path, monkeypatch, caplog
):
    partners = default_sandbox()
    qbo = partners.partners["quickbooks"]
    qbo.client_secret = CLIENT_SECRET
    refresh_token = qbo.issue_refresh_token()
    db_url = f"sqlite:///{tmp_path / 'ops.db'}"
    db = Database(db_url)
    db.upgrade()
    seed_demo(db)
    for tab, kind in (
        (QueueTab.SUPPLIER_INVOICES, "bill"),
        (QueueTab.PURCHASE_ORDERS, "purchase_order"),
    ):
        enqueue_upload(db, kind, queue_ids(db, tab)[:5])
    old_umask = os.umask(0)  # the token file must be 0600 whatever the umask
    with partners.serve() as server:
        url = server.url
        for name, key in API_KEYS.items():
            path = "edi_hub" if name == "edi" else name
            monkeypatch.setenv(f"POSYNC_{name.upper()}__BASE_URL", f"{url}/{path}")
            monkeypatch.setenv(f"POSYNC_{name.upper()}__API_KEY", key)
        # A partner reached with basic auth in its URL instead of an API key, and one whose
        # URL holds a password but cannot be reached: its error is kept and shown.
        monkeypatch.delenv("POSYNC_EDI__API_KEY")
        with_password = url.replace("http://", "http://posync:url-pa55-Qm3@")
        monkeypatch.setenv("POSYNC_EDI__BASE_URL", f"{with_password}/edi_hub")
        monkeypatch.setenv("POSYNC_SUPPLIER__BASE_URL", "http://posync:url-pa55-Qm3@127.0.0.1:9/")
        monkeypatch.setenv("POSYNC_DATABASE_URL", db_url)
        monkeypatch.setenv("POSYNC_QUICKBOOKS__BASE_URL", f"{url}/quickbooks")
        monkeypatch.setenv(
            "POSYNC_QUICKBOOKS__TOKEN_URL", f"{url}/quickbooks/oauth2/v1/tokens/bearer"
        )
        monkeypatch.setenv("POSYNC_QUICKBOOKS__CLIENT_ID", qbo.client_id)
        monkeypatch.setenv("POSYNC_QUICKBOOKS__CLIENT_SECRET", CLIENT_SECRET)
        monkeypatch.setenv("POSYNC_QUICKBOOKS__REALM_ID", qbo.realm_id)
        monkeypatch.setenv("POSYNC_QUICKBOOKS__REFRESH_TOKEN", refresh_token)
        caplog.set_level(logging.DEBUG)
        first = runner.invoke(app, ["sync", "--once"])
        # An expired access token: the second run refreshes (and rotates) once more.
        qbo.expire_access_tokens()
        enqueue_upload(db, "bill", queue_ids(db, QueueTab.SUPPLIER_INVOICES)[:5])
        second = runner.invoke(app, ["sync", "--once", "--json"])
        shown = runner.invoke(app, ["config", "show"])
    os.umask(old_umask)
    assert qbo.stats.refreshes >= 2, first.output + second.output
    token = TokenStore(tmp_path / "data" / "quickbooks-token.json").load()
    assert token is not None and token.access_token and token.refresh_token != refresh_token

    secrets = {
        "client secret": CLIENT_SECRET,
        "first refresh token": refresh_token,
        "refresh token": token.refresh_token,
        "access token": token.access_token,
        "URL password": "url-pa55-Qm3",
        **{f"{name} API key": key for name, key in API_KEYS.items()},
    }
    places = {
        "database": dump(db),
        "log": "\n".join(r.getMessage() for r in caplog.records),
        "sync --once": first.output + second.output,
        "config show": shown.output,
    }
    leaks = [f"{what} in the {where}" for what, s in secrets.items() for where, text in
             places.items() if s in text]  # fmt: skip
    assert not leaks, leaks
    assert any(r.name == "httpx" and "/edi_hub/" in r.getMessage() for r in caplog.records)
    assert "FAILED  supplier" in first.output  # its error was kept and shown

    data = tmp_path / "data"
    for path in (data / "quickbooks-token.json", data / "quickbooks-token.lock"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    db.dispose()


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://posync:{DB_PASSWORD}@db.example/posync",
        f"postgresql://posync:{DB_PASSWORD}@db@db.example/posync",  # a raw "@" in the password
        f"postgresql+psycopg://:{DB_PASSWORD}@db.example:5432/posync",
        f"postgresql://posync@db.example/posync?password={DB_PASSWORD}&sslmode=require",
        f"postgresql://posync@db.example/posync?sslmode=require&PASSWORD={DB_PASSWORD}",
    ],
)
def test_config_show_never_prints_the_database_password(url, monkeypatch):
    assert DB_PASSWORD not in masked_url(url)
    monkeypatch.setenv("POSYNC_DATABASE_URL", url)
    shown = runner.invoke(app, ["config", "show"])
    assert shown.exit_code == 0, shown.output
    assert DB_PASSWORD not in shown.output
    assert json.loads(shown.output.split("\n", 1)[1])["database_url"].startswith("postgresql")


# --- the refresh token's persistence ----------------------------------------------------------


def test_a_crash_while_the_token_file_is_written_leaves_a_whole_token(tmp_path):
    """SIGKILL at random points of a process saving rotated tokens over and over: the file
    always holds one whole token, never half of one or none, and stays 0600."""
    path = tmp_path / "quickbooks-token.json"
    store = TokenStore(path)
    store.save(Token("AT-0", "RT-0", 0.0, realm_id="1"))
    rnd = random.Random(20)
    seen = set()
    for kill in range(pick(50, 500)):
        target = rnd.randint(1, 40)
        child = os.fork()
        if child == 0:  # the saver: nothing but file writes, then killed
            n = 0
            while True:
                n += 1
                store.save(Token("AT-" + "a" * 4000, f"RT-{kill}-{n}", 0.0, realm_id="1"))
        try:
            deadline = time.monotonic() + 30
            while _count(store.load(), kill) < target:  # polls the file: a condition, no timing
                assert time.monotonic() < deadline, "the saver never got there"
        finally:
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
        token = store.load()
        assert token is not None and token.refresh_token.startswith("RT-"), path.read_text()
        assert len(token.access_token) == 4003
        seen.add(token.refresh_token)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(seen) > 1


def _count(token: Token | None, kill: int) -> int:
    """How many tokens the saver of round ``kill`` has saved, as the file says."""
    prefix = f"RT-{kill}-"
    if token is None or not token.refresh_token.startswith(prefix):
        return 0
    return int(token.refresh_token.removeprefix(prefix))


async def test_a_refresh_answer_that_never_arrives_keeps_the_saved_refresh_token(tmp_path):
    """The token endpoint takes the request and the answer is lost (connection reset): the
    file keeps the refresh token it had, is not marked "reconnect", and the error says nothing
    secret."""
    import httpx

    from connectors.base import PartnerUnavailable

    store = TokenStore(tmp_path / "t.json")
    store.save(Token("", "RT-only", 0.0, realm_id="1"))
    taken = []

    def lost(request: httpx.Request) -> httpx.Response:
        taken.append(request.content)
        raise httpx.ReadError("connection reset by peer")

    auth = QuickBooksAuth(
        client_id="cid",
        client_secret=CLIENT_SECRET,
        store=store,
        token_url="https://oauth.example/tokens",
        transport=httpx.MockTransport(lost),
    )
    with pytest.raises(PartnerUnavailable) as refused:
        await auth.access_token()
    assert taken and b"RT-only" in taken[0]  # the request did go out
    kept = store.load()
    assert kept is not None and kept.refresh_token == "RT-only" and not kept.reconnect_required
    assert "RT-only" not in str(refused.value) and CLIENT_SECRET not in str(refused.value)


async def test_a_rotated_refresh_token_is_on_disk_before_its_access_token_is_used(tmp_path):
    """The new refresh token is saved the moment the answer arrives: by the time the caller
    holds the new access token, the file holds the new refresh token (the old one is dead)."""
    import httpx

    store = TokenStore(tmp_path / "t.json")
    store.save(Token("", "RT-old", 0.0, realm_id="1"))

    def rotate(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"access_token": "AT-new", "refresh_token": "RT-new", "expires_in": 3600}
        )

    auth = QuickBooksAuth(
        client_id="cid",
        client_secret=CLIENT_SECRET,
        store=store,
        token_url="https://oauth.example/tokens",
        transport=httpx.MockTransport(rotate),
    )
    assert await auth.access_token() == "AT-new"
    on_disk = json.loads(store.path.read_text())
    assert on_disk["refresh_token"] == "RT-new" and on_disk["realm_id"] == "1"
