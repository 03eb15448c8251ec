"""A bad entry in a long feed delays the feed by at most one poll (issue 15).

The supplier's change feed holds 10,000 entries: orders created directly with the supplier (each
imported as a new PO) and, in the middle, one order notified again. The sandbox supplier serves
them in-process over HTTP; ``supplier_sync.poll`` runs as the scheduler runs it, under the lease,
until the cursor reaches the end of the feed. Pages of 100 changes, so the feed spans several
polls, as a busy partner's would. The same feed is run twice on fresh databases: all good, and
with the order notified in the middle served as 50,000 nested brackets (a parser's recursion
limit). Before issue 15 that order stopped every later poll at the same place: the feed never
finished.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from bench import line
from bench.bench_supplier_apply import ACCOUNT, add_vendor
from connectors.sandbox.catalog import CatalogSandbox
from connectors.sandbox.server import Sandbox
from connectors.sandbox.supplier import SupplierSandbox
from posync_tui import leases
from posync_tui.config import load_settings
from posync_tui.db import Database
from posync_tui.models import Item
from posync_tui.runtime import Runtime
from posync_tui.services import supplier_sync

PAGE = 100
MAX_EXTRA_POLLS = 1
NESTED = "[" * 50_000 + "]" * 50_000


def run(quick: bool = False) -> list[str]:
    entries = 2_000 if quick else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        good_polls, good_s = asyncio.run(_polls(Path(tmp) / "good.db", entries, bad=False))
        bad_polls, bad_s = asyncio.run(_polls(Path(tmp) / "bad.db", entries, bad=True))
    extra = bad_polls - good_polls
    return [
        f"# feed of {entries} entries, pages of {PAGE}: {good_polls} polls ({good_s:.1f} s) "
        f"all good, {bad_polls} polls ({bad_s:.1f} s) with one bad entry in the middle; "
        f"ratio {bad_polls / good_polls:.2f}",
        line("feed_quarantine_extra_polls", extra, "polls", "<=", MAX_EXTRA_POLLS),
    ]


async def _polls(path: Path, entries: int, *, bad: bool) -> tuple[int, float]:
    """Polls until the whole feed is consumed, and how long they took."""
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    with db.session() as s:
        vendor = add_vendor(s)
        s.add(Item(sku="B-1", description="Part", supplier_part_no="BP-1", vendor_id=vendor.id))
    supplier = SupplierSandbox()
    for n in range(entries - 1):
        order_no = supplier.create_order(
            ACCOUNT, [{"supplier_part_no": "BP-1", "quantity": n % 9 + 1, "unit_cost": "2.5"}]
        )
        if n == entries // 2:  # the entry in the middle: the same order notified again
            if bad:
                supplier.break_order(order_no, NESTED)
            else:
                supplier.notify(order_no)
    settings = load_settings(supplier={"timeout": 30.0}, catalog={"enabled": False})
    sandbox = Sandbox([supplier, CatalogSandbox()])
    server = sandbox.serve()
    rt = Runtime(settings=settings, db=db, sandbox=sandbox, sandbox_server=server)
    fence = leases.acquire(db, "supplier", "bench", ttl=3600).fence()
    polls = 0
    started = time.perf_counter()
    try:
        while supplier_sync.read_cursor(db) != str(supplier.feed_length()):
            await supplier_sync.poll(rt, fence=fence, page_size=PAGE, attempts=1)
            polls += 1
            if polls > 10 * entries // PAGE:
                raise AssertionError(
                    f"the feed did not finish: stuck at {supplier_sync.read_cursor(db)}"
                )
    finally:
        server.stop()
    elapsed = time.perf_counter() - started
    db.dispose()
    return polls, elapsed
