"""QuickBooks upload throughput against the sandbox's documented limits (window scaled down).

The binding limit for bulk uploads is the batch endpoint: 40 batch calls per minute per realm,
30 operations each, i.e. 1,200 bills a "minute". The sandbox enforces it with a shorter
"minute"; ``accounting.deliver`` uploads billed POs through it end to end (database, outbox,
HTTP, answers applied). Steady-state throughput is measured from the sandbox's own clock:
batches after the first, over the time between the first and the last batch it received.
A few ThrottleExceeded answers (JSON and XML) are injected on top: each must be waited out, and
every PO must end up Imported exactly once.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, insert, select

from bench import line

TARGET_PCT = 90.0


def run(quick: bool) -> list[str]:
    from connectors.quickbooks import Limits
    from connectors.quickbooks.records import ListEntry
    from connectors.sandbox.quickbooks import QuickBooksSandbox
    from connectors.sandbox.server import Sandbox
    from posync_tui import leases
    from posync_tui.config import QuickBooksSettings, Settings
    from posync_tui.db import Database
    from posync_tui.models import AccountingStatus, MappingKind, PurchaseOrder
    from posync_tui.runtime import Runtime
    from posync_tui.services import accounting
    from posync_tui.services.accounting_mappings import choose

    windows = 2 if quick else 4  # full "minutes" of batches after the first burst
    limits = Limits().scaled(0.05)  # a "minute" of 3 s
    batches = limits.batch_per_minute * windows + 1
    bills = batches * limits.batch_size
    ceiling = limits.batch_per_minute * limits.batch_size / limits.minute  # bills per second

    with tempfile.TemporaryDirectory() as tmp:
        old_data_dir = os.environ.get("POSYNC_DATA_DIR")
        os.environ["POSYNC_DATA_DIR"] = str(Path(tmp) / "data")  # the token file goes here
        sandbox = QuickBooksSandbox(limits=limits)
        partners = Sandbox([sandbox])
        server = partners.serve()
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            db.upgrade()
            _seed(db, sandbox, bills)
            # Bill lines without a QuickBooks item book to the chosen expense account (the
            # sandbox company's Cost of Goods Sold, as the demo's books choose it).
            cogs = ListEntry("80", "Cost of Goods Sold", "Cost of Goods Sold")
            choose(db, MappingKind.EXPENSE_ACCOUNT, cogs)
            queued = accounting.enqueue_upload(
                db, "bill", accounting.queue_ids(db, accounting.QueueTab.SUPPLIER_INVOICES)
            )
            assert len(queued.queued) == bills, queued.summary()
            rt = Runtime(
                settings=Settings(quickbooks=QuickBooksSettings(timeout=30)),
                db=db,
                sandbox=partners,
                sandbox_server=server,
            )
            sandbox.inject_fault("3001", status=429, xml=True, writes_only=True)
            sandbox.inject_fault("3001", status=429, xml=False, writes_only=True)
            # As the scheduler runs the job: under the "quickbooks" lease, checked at each write.
            fence = leases.acquire(db, "quickbooks", "bench", ttl=600).fence()
            started = time.perf_counter()
            summary = asyncio.run(accounting.deliver(rt, fence=fence))
            elapsed = time.perf_counter() - started
            with db.reader() as s:
                imported = s.scalar(
                    select(func.count())
                    .select_from(PurchaseOrder)
                    .where(PurchaseOrder.accounting_status == AccountingStatus.IMPORTED)
                )
            at = sandbox.stats.batch_at
            rate = (len(at) - 1) * limits.batch_size / (at[-1] - at[0])
            pct = 100.0 * rate / ceiling
            unhandled = bills - imported + (len(sandbox.bills()) - bills)
            throttled = sandbox.stats.throttled
        finally:
            server.stop()
            db.dispose()
            if old_data_dir is None:
                os.environ.pop("POSYNC_DATA_DIR", None)
            else:
                os.environ["POSYNC_DATA_DIR"] = old_data_dir
    lines = [
        f"# qbo: {bills} bills in {len(at)} batches, {elapsed:.1f} s; limits 40 batch/min, "
        f"30 per batch, a 'minute' of {limits.minute:g} s; ceiling {ceiling:.0f} bills/s; "
        f"deliver said: {summary}",
        f"# qbo: {throttled} answers of 429 / ThrottleExceeded served, each waited out and sent "
        f"again; {imported} of {bills} POs Imported, {len(sandbox.bills())} bills in QuickBooks",
        line("qbo_throughput_of_ceiling", pct, "%", ">=", TARGET_PCT),
        line("qbo_unhandled_429", unhandled, "uploads", "<=", 0),
    ]
    return lines


def _seed(db, sandbox, count: int) -> None:
    """Billed POs with one line each, over a few vendors linked to QuickBooks."""
    from posync_tui.models import PurchaseOrder, PurchaseOrderLine, Vendor

    now = datetime.now(UTC)
    qbo_ids = [v["Id"] for v in sandbox.vendors()]
    with db.session() as s:
        vendors = [
            Vendor(code=f"V{n}", name=f"Vendor {n}", qbo_vendor_id=qbo_id)
            for n, qbo_id in enumerate(qbo_ids)
        ]
        s.add_all(vendors)
        s.flush()
        s.execute(
            insert(PurchaseOrder.__table__),
            [
                {
                    "id": n + 1,
                    "number": f"PO-{n + 1:06d}",
                    "vendor_id": vendors[n % len(vendors)].id,
                    "supplier_invoice_no": f"INV-{n + 1}",
                    "invoice_date": date(2024, 5, 2),
                    "accounting_status": "Not Imported Yet Or Reset For Re-import",
                    "total": Decimal("7.00"),
                    "line_count": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(count)
            ],
        )
        s.execute(
            insert(PurchaseOrderLine.__table__),
            [
                {
                    "po_id": n + 1,
                    "line_no": 1,
                    "description": "Hex bolts",
                    "quantity_ordered": Decimal(2),
                    "unit_cost": Decimal("3.50"),
                }
                for n in range(count)
            ],
        )
