"""A failing partner in the console (#20): said in plain words on the status line, the
Connectors screen and QuickBooks' Errors tabs; no traceback on screen or in the log.

QuickBooks (simulated on a loopback port) fails every call — HTTP 500, a reset connection, a
proxy's error page — while its "quickbooks" job runs, as a worker's would, beside the console.
"""

from __future__ import annotations

import logging

import pytest
from sqlmodel import select

from connectors.quickbooks import Limits
from connectors.sandbox.quickbooks import QuickBooksSandbox
from connectors.sandbox.server import Sandbox
from posync_tui.delivery import MAX_LOOKUPS
from posync_tui.models import OutboxMessage, OutboxStatus
from posync_tui.scheduler import PollScheduler
from posync_tui.services.accounting import enqueue_upload
from tests.console import console_app, screen_lines, settled
from tests.test_accounting_screen import (
    add_po,
    add_vendor,
    open_accounting,
    quickbooks_job,
    rows,
    runtime_of,
)
from tests.waiting import until

FAULTS = ("500", "reset", "malformed")


@pytest.fixture
def qbo():
    sandbox = QuickBooksSandbox(limits=Limits().scaled(0.05))
    partners = Sandbox([sandbox])
    with partners.serve() as server:
        yield sandbox, partners, server


def assert_plain(app, where: str) -> str:
    text = "\n".join(screen_lines(app))
    assert "Traceback" not in text and "Error(" not in text and "()" not in text, (where, text)
    return text


async def test_a_failing_quickbooks_is_shown_in_plain_words(db, qbo, caplog):
    sandbox = qbo[0]
    caplog.set_level(logging.INFO)
    po_id = add_po(db, add_vendor(db, sandbox), "PO-1")
    rt = runtime_of(db, qbo)
    assert enqueue_upload(db, "bill", [po_id], settings=rt.settings).queued == [po_id]
    sandbox.faults.random_faults(1.0, seed=20, kinds=FAULTS, retry_after=0.05)
    scheduler = PollScheduler(db, quickbooks_job(rt))
    app = console_app(
        db, settings=rt.settings, sandbox=rt.sandbox, sandbox_server=rt.sandbox_server
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        runs = 1 + MAX_LOOKUPS  # the worker's: a send, then look-ups until a decision waits
        for _ in range(runs):  # each failing after the client's retries
            outcome = await scheduler.tick("quickbooks")
            assert outcome.status == "failed", outcome
            assert "QuickBooks" in outcome.summary and "Traceback" not in outcome.summary
        await settled(pilot)

        status = app.screen.query_one("StatusLine")
        await until(lambda: "qbo ✖" in str(status.render()), what="qbo failing on the status line")
        assert_plain(app, "status line")

        await pilot.press("e")
        await settled(pilot)
        table = app.screen.query_one("DataTable")
        table.move_cursor(row=table.get_row_index("quickbooks"))
        await settled(pilot)
        details = str(app.screen.query_one("#details").render())
        assert f"failing ×{runs}" in assert_plain(app, "Connectors")
        assert "last error: QuickBooks" in details, details
        await pilot.press("escape")
        await settled(pilot)

        with db.reader() as s:
            message = s.exec(select(OutboxMessage)).one()
        assert message.status == OutboxStatus.DECISION  # sent, then never found
        body = await open_accounting(pilot, "errors_supplier_invoices")
        await until(lambda: rows(body, "errors_supplier_invoices") == ["PO-1"], what="PO-1")
        detail = str(body.query_one("#errors_supplier_invoices-pane .queue-detail").render())
        assert "look it up again" in detail and "QuickBooks" in detail, detail
        assert_plain(app, "Errors tab")
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info], "a partner fault logged a traceback"
