"""Database faults (issue 20): a locked SQLite database, a full disk, PostgreSQL dropping its
connections mid-run. In each flow the operation is waited for or reported in plain words, never
half-applied, and completes once the fault is gone: each partner holds each effect once.

The faults are real: SQLite's write lock held by another connection (``BEGIN IMMEDIATE``) past
the busy timeout, SQLite refusing to grow the file (``max_page_count``: SQLITE_FULL, as a full
disk answers), PostgreSQL's backends terminated (``pg_terminate_backend``, what a restart does to
its clients). Each is struck right after the n-th commit of the flow, for every n the flow has
(a sample of them in CI): before, between and after its calls to the partner.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import threading

import pytest

from posync_tui import failures
from posync_tui.db import Database
from tests.pg import migrated_database, started_server
from tests.reliability import scale
from tests.reliability.faults_db import (
    AfterCommits,
    AtBegins,
    Said,
    WriteLock,
    free_disk,
    limit_pages,
    short_busy_timeout,
    sqlite_copy,
    terminate_backends,
)
from tests.reliability.flows import FLOWS
from tests.reliability.scale import pick
from tests.waiting import until

BUSY = "the database is busy: another program holds its write lock"
FULL = "the database's disk is full"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return _migrated(tmp_path_factory.mktemp("template") / "posync.db")


@pytest.fixture(scope="module")
def small_pages(tmp_path_factory):
    """A template of 512-byte pages: nearly every write of a flow needs a new page."""
    path = tmp_path_factory.mktemp("small") / "posync.db"
    with sqlite3.connect(path) as conn:  # the page size is chosen before the first table
        conn.execute("PRAGMA page_size=512")
        conn.execute("VACUUM")
    return _migrated(path)


def _migrated(path):
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    with db.engine.connect() as conn:  # one file to copy: the WAL folded in
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


async def commits_of(flow: str, db: Database) -> int:
    """How many transactions the flow commits when nothing goes wrong (and that it passes)."""
    async with FLOWS[flow](db) as (operate, check):
        counter = AfterCommits(db, 0, None)
        await operate()
        counter.remove()
        check()
    return counter.count


def felt(run: asyncio.Future, waiting: Said):
    """Whether the run met the fault: it ended (failed, or done), or it waits for the database."""
    return lambda: run.done() or waiting.heard.is_set()


def points(commits: int, ci: int) -> list[int]:
    """The commits after (or transactions at) which to strike: all of them in the full run,
    ``ci`` of them in CI (from two on, always the first and the last; the others drawn at
    random, the seed printed)."""
    every = list(range(1, commits + 1))
    count = pick(ci, commits)
    if count >= commits:
        return every
    seed = random.randrange(1_000_000)
    print(f"strike points drawn with seed {seed}")
    if count == 1:
        return random.Random(seed).sample(every, 1)
    middle = random.Random(seed).sample(every[1:-1], count - 2)
    return sorted({1, commits, *middle})


def flows(ci: list[str]) -> list[str]:
    """Every flow in the full run; in CI, those named."""
    return list(FLOWS) if scale.FULL else ci


# --- the flows themselves -------------------------------------------------------------------


def _sandboxes() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "sandbox" and t.is_alive()}


@pytest.mark.parametrize("flow", flows(ci=["supplier feed"]))
async def test_a_flow_that_fails_partway_stops_its_sandbox_server(flow, template, tmp_path):
    db = sqlite_copy(template, tmp_path / "posync.db")
    before = _sandboxes()
    try:
        with pytest.raises(RuntimeError, match="partway"):
            async with FLOWS[flow](db):
                assert _sandboxes() - before, "the flow serves its partner"
                raise RuntimeError("a flow that fails partway")
    finally:
        db.dispose()
    assert not _sandboxes() - before, "a sandbox server left running"


# --- a locked SQLite database ----------------------------------------------------------------


@pytest.mark.parametrize("flow", list(FLOWS))
async def test_a_write_lock_held_past_the_busy_timeout_is_waited_for_or_reported_in_plain_words(
    flow, template, tmp_path
):
    commits = await commits_of(flow, sqlite_copy(template, tmp_path / "clean.db"))
    struck = 0
    for n in points(commits, ci=3):
        db = sqlite_copy(template, tmp_path / f"after-{n}.db")
        lock = WriteLock(db)
        waiting = Said("posync_tui", "wait for the database")
        try:
            async with FLOWS[flow](db) as (operate, check):
                AfterCommits(db, n, lock.take)
                run = asyncio.ensure_future(operate())
                # The run fails, or waits for the database: then the other program lets go.
                await until(felt(run, waiting), what="the lock felt")
                struck += lock.held
                lock.release()
                try:
                    await run
                except Exception as exc:  # noqa: BLE001 - what the operator is told, below
                    assert failures.plain(exc) == BUSY, f"after commit {n}: {exc!r}"
                await operate()  # the next tick, the lock gone
                check()
        finally:
            waiting.remove()
            lock.close()
            db.dispose()
    assert struck, "no strike point held the lock while the flow ran"
    print(f"{flow}: {commits} commits, locked after each of {struck} of them")


# --- a full disk -----------------------------------------------------------------------------


@pytest.mark.parametrize("flow", list(FLOWS))
async def test_a_full_disk_rolls_the_transaction_back_whole_says_so_and_recovers(
    flow, small_pages, tmp_path
):
    db = sqlite_copy(small_pages, tmp_path / "posync.db")
    try:
        async with FLOWS[flow](db) as (operate, check):
            waiting = Said("posync_tui", "wait for the database")
            limit_pages(db, extra_pages=0)
            run = asyncio.ensure_future(operate())
            await until(felt(run, waiting), what="the disk felt full")
            met = waiting.heard.is_set() or run.exception() is not None
            free_disk(db)  # space comes back (a run waiting for it goes on)
            try:
                await run
            except Exception as exc:  # noqa: BLE001 - what the operator is told
                assert failures.plain(exc) == FULL, repr(exc)
            finally:
                waiting.remove()
            assert met, "the flow never needed a new page"
            await operate()
            check()
    finally:
        db.dispose()


# --- PostgreSQL dropping its connections ------------------------------------------------------


def said_plainly(exc: BaseException) -> None:
    """A database fault told in one line of the driver's words ("the connection to the
    database server was lost: …", "database error: connection failed: …"): no SQL, no
    traceback."""
    said = failures.plain(exc)
    assert said == failures.database_fault(exc), repr(exc)
    assert "[SQL" not in said and "Traceback" not in said and "\n" not in said, said


_begun: dict[str, int] = {}


async def transactions_of(flow: str, server_url: str) -> int:
    """How many transactions (reads and writes) the flow begins when nothing goes wrong (and
    that it passes); counted once, on the first server asked."""
    if flow not in _begun:
        with migrated_database(server_url) as db:
            async with FLOWS[flow](db) as (operate, check):
                counter = AtBegins(db, 0, None)
                await operate()
                counter.remove()
                check()
        _begun[flow] = counter.count
    return _begun[flow]


@pytest.mark.parametrize("flow", list(FLOWS))
async def test_postgresql_ending_every_connection_mid_transaction_is_retried_or_said_plainly(
    flow, pg_url
):
    """What a restart does to the clients, without stopping the session's server: every
    connection ended (``pg_terminate_backend``) just as the flow's n-th transaction begins."""
    begun = await transactions_of(flow, pg_url)
    failed, struck = 0, points(begun, ci=1)
    for n in struck:
        with migrated_database(pg_url) as db:
            async with FLOWS[flow](db) as (operate, check):
                strike = AtBegins(db, n, lambda db=db: terminate_backends(db))
                try:
                    await operate()
                except Exception as exc:  # noqa: BLE001 - what the operator is told
                    said_plainly(exc)
                    failed += 1
                strike.remove()
                await operate()  # the next tick
                check()
    print(
        f"{flow}: {begun} transactions, connections ended as {len(struck)} of them began; "
        f"{failed} runs failed and were run again"
    )


@pytest.fixture(scope="module")
def own_server():
    """A PostgreSQL server of this module's own: restarting it leaves the session's alone."""
    with started_server() as server:
        yield server


@pytest.mark.parametrize("flow", flows(ci=["QuickBooks upload", "EDI inbound"]))
async def test_a_postgresql_restart_mid_transaction_is_waited_for_or_said_and_then_completes(
    flow, own_server
):
    """A real restart: the server stops (``pg_ctl stop -m fast``) as the flow's n-th
    transaction begins, and starts again only once the run has met it."""
    begun = await transactions_of(flow, own_server.url)
    struck = points(begun, ci=1)
    for n in struck:
        with migrated_database(own_server.url) as db:
            waiting = Said("posync_tui", "wait for the database")
            try:
                async with FLOWS[flow](db) as (operate, check):
                    strike = AtBegins(db, n, own_server.halt)
                    run = asyncio.ensure_future(operate())
                    await until(felt(run, waiting), what="the restart felt")
                    strike.remove()
                    await asyncio.to_thread(own_server.start_again)
                    try:
                        await run
                    except Exception as exc:  # noqa: BLE001 - what the operator is told
                        said_plainly(exc)
                    await operate()
                    check()
            finally:
                waiting.remove()
    print(f"{flow}: {begun} transactions, the server restarted as {len(struck)} of them began")


# --- what the operator is told ---------------------------------------------------------------


def test_a_locked_database_is_told_in_plain_words_on_the_status_line_not_as_sql(template, tmp_path):
    from posync_tui.scheduler import plain_error

    db = sqlite_copy(template, tmp_path / "posync.db")
    lock = WriteLock(db)
    lock.take()
    try:
        with pytest.raises(Exception) as locked:
            db.installation_id()
    finally:
        lock.close()
        db.dispose()
    assert plain_error(locked.value) == failures.plain(locked.value) == BUSY
    assert failures.expected_failure(locked.value) == BUSY


@pytest.fixture
def one_vendor(db):
    """A vendor with one item (the widget), on a database whose busy timeout is short."""
    from decimal import Decimal

    from posync_tui.models import Item, Vendor

    with db.session() as s:
        acme = Vendor(code="ACME", name="Acme Supply")
        s.add(acme)
        s.flush()
        s.add(Item(sku="W-1", description="Widget", vendor_id=acme.id, unit_cost=Decimal("4.25")))
    return short_busy_timeout(db)


def _written(db) -> dict[str, int]:
    """How many rows a PO's save writes to, table by table."""
    from sqlmodel import func, select

    from posync_tui.models import AuditEntry, OutboxMessage, PurchaseOrder, PurchaseOrderLine

    with db.reader() as s:
        return {
            model.__name__: s.exec(select(func.count()).select_from(model)).one()
            for model in (PurchaseOrder, PurchaseOrderLine, AuditEntry, OutboxMessage)
        }


async def test_a_po_saved_while_the_database_is_locked_keeps_the_form_and_says_so_plainly(
    one_vendor,
):
    from textual.widgets import Input

    from screens.form import FieldError
    from screens.po_detail import PurchaseOrderDetail
    from tests.console import console_app, settled
    from tests.test_po_form import one_widget_line, open_form, pick, pos

    db = one_vendor
    before = _written(db)
    lock = WriteLock(db)
    app = console_app(db)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            form = await open_form(pilot)
            await pick(pilot, form, "vendor", "acm")
            await one_widget_line(pilot, form, "12")
            typed = {field.id: field.value for field in form.query(Input)}
            lock.take()  # another program writes, longer than the busy timeout
            await pilot.press("ctrl+s")
            await settled(pilot)

            said = form.query_one("#form-error", FieldError)
            assert said.display and said.message == f"Not saved: {BUSY}"
            assert app.screen is form and not form.saving
            assert {field.id: field.value for field in form.query(Input)} == typed
            assert typed["line-1-quantity"] == "12" and "ACME" in typed["vendor"]
            assert _written(db) == before, "a part of the PO was saved"

            lock.release()
            await pilot.press("ctrl+s")
            await settled(pilot)
            assert isinstance(app.screen, PurchaseOrderDetail)
    finally:
        lock.close()
    (po,) = pos(db).values()
    assert (po.total, po.line_count) == (51, 1)
