"""Worst event-loop stall in a console while its scheduler applies 10,000 supplier changes.

The real console (``PosyncApp``, headless at 80×24 through ``run_test``, the PO list shown, the
cross-process watcher on as ``posync`` starts it) runs the scheduler's supplier job, the real
``supplier_sync.poll``, on a copy of the 100k-PO bench database to which one auto-sync B2B
vendor is added with 10,000 POs of two lines (numbered PB-…, so they sort first: the PO list's
visible page is among the POs being changed). Each PO has its order at the simulated supplier
(``SupplierSandbox`` and ``CatalogSandbox`` in ``Sandbox.serve()`` on loopback). The supplier
runs in a process of its own, as a real partner would: in this process its HTTP server would
compete with the console for the GIL, which no deployment does. Its feed holds 10,000 pending
changes, one per order (a confirmed quantity and a cost on line 1); the connector's stored
cursor sits just after the orders' creation.

While the scheduler applies them, a monitor coroutine on the app's loop sleeps 3 ms again and
again: how much later than asked it wakes is the loop's stall at that moment. The worst and the
99th percentile are reported, with the time from the first tick to the last change applied.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import sqlite3
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from bench import bench_db, line

TARGET_MS = 50
CHANGES = 10_000
ACCOUNT = "ACC-STALL"
SLEEP = 0.003  # the monitor's nap; lateness beyond it is the stall
INTERVAL = 2.0  # the supplier job's poll interval (one cycle applies up to 25,000 changes)
# (supplier part no., description, quantity, unit cost) of each PO's two lines
LINES = (("ST-100", "Stall widget", 12, Decimal("4.25")), ("ST-200", "Stall gadget", 5, 10))


def _number(n: int) -> str:
    return f"PB-{n:07d}"


def _order_no(n: int) -> str:
    return f"SO-B{n:07d}"


# --- the simulated supplier, in a process of its own ----------------------------------------


def _supplier(pipe, orders: int) -> None:
    """Create the orders, then one change each; serve until told to stop."""
    from connectors.sandbox.catalog import CatalogSandbox
    from connectors.sandbox.server import Sandbox
    from connectors.sandbox.supplier import SupplierSandbox

    # It stands in for another machine: on a small one it must not take the console's CPU.
    os.nice(19)
    supplier = SupplierSandbox()
    for n in range(1, orders + 1):
        lines = [
            {"supplier_part_no": part, "description": text, "quantity": qty, "unit_cost": cost}
            for part, text, qty, cost in LINES
        ]
        supplier.create_order(ACCOUNT, lines, buyer_po_number=_number(n), order_no=_order_no(n))
    created = supplier.feed_length()
    for n in range(1, orders + 1):
        supplier.change_line(_order_no(n), 1, quantity_confirmed=12, unit_cost=f"4.{n % 90 + 10}")
    with Sandbox([supplier, CatalogSandbox()]).serve() as server:
        pipe.send((server.url, created, supplier.feed_length() - created))
        pipe.recv()  # the benchmark is done


# --- the database ----------------------------------------------------------------------------


def _database(path: Path, orders: int, cursor: int):
    """A copy of the 100k-PO bench database plus the auto-sync vendor's POs, cursor set."""
    from sqlalchemy import insert

    from posync_tui.db import Database
    from posync_tui.models import (
        ConnectorState,
        Integration,
        Item,
        PurchaseOrder,
        PurchaseOrderLine,
        Vendor,
    )
    from posync_tui.sqltypes import utcnow

    source = sqlite3.connect(bench_db())
    target = sqlite3.connect(path)
    source.backup(target)  # a consistent copy, whatever WAL the source has
    source.close()
    target.close()
    db = Database(f"sqlite:///{path}")
    now = utcnow()
    with db.session() as s:
        vendor = Vendor(
            code="STALL",
            name="Stall Supply",
            integration=Integration.B2B,
            supplier_account=ACCOUNT,
            auto_sync=True,
        )
        s.add(vendor)
        s.flush()
        items = [
            Item(
                sku=f"STALL-{i}",
                description=text,
                supplier_part_no=part,
                vendor_id=vendor.id,
                unit_cost=Decimal(cost),
            )
            for i, (part, text, _, cost) in enumerate(LINES)
        ]
        s.add_all(items)
        s.flush()
        first = s.connection().exec_driver_sql("SELECT max(id) FROM purchase_order").scalar() + 1
        total = sum(qty * Decimal(cost) for _, _, qty, cost in LINES)
        s.execute(
            insert(PurchaseOrder.__table__),
            [
                {
                    "id": first + n,
                    "number": _number(n + 1),
                    "vendor_id": vendor.id,
                    "auto_sync": True,
                    "supplier_order_no": _order_no(n + 1),
                    "line_count": len(LINES),
                    "total": total,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(orders)
            ],
        )
        s.execute(
            insert(PurchaseOrderLine.__table__),
            [
                {
                    "po_id": first + n,
                    "line_no": k + 1,
                    "item_id": items[k].id,
                    "supplier_part_no": part,
                    "description": text,
                    "quantity_ordered": Decimal(qty),
                    "unit_cost": Decimal(cost),
                }
                for n in range(orders)
                for k, (part, text, qty, cost) in enumerate(LINES)
            ],
        )
        s.add(ConnectorState(name="supplier", cursor=str(cursor)))
    return db


# --- the console -----------------------------------------------------------------------------


async def _measure(db, base_url: str, changes: int, config: Path) -> dict:
    from posync_tui.app import PosyncApp
    from posync_tui.config import load_settings
    from posync_tui.runtime import Runtime
    from posync_tui.scheduler import Job
    from posync_tui.services import supplier_sync

    settings = load_settings(
        config,
        supplier={"base_url": f"{base_url}/supplier", "timeout": 10.0},
        catalog={"base_url": f"{base_url}/catalog", "timeout": 10.0},
    )
    runs: list[tuple[float, float, str]] = []  # (started, ended, summary or error) per cycle
    done = asyncio.Event()

    async def poll(fence) -> str:
        # The real job; the times around it say when the changes were applied.
        started, outcome = time.perf_counter(), "?"
        try:
            outcome = await supplier_sync.poll(rt, fence=fence)
            return outcome
        except Exception as exc:
            outcome = f"failed: {exc}"
            raise
        finally:
            runs.append((started, time.perf_counter(), outcome))
            if await asyncio.to_thread(supplier_sync.read_cursor, db) == str(target):
                done.set()

    def jobs(runtime: Runtime) -> list[Job]:
        nonlocal rt
        rt = runtime
        return [Job("supplier", INTERVAL, poll)]

    rt: Runtime | None = None
    target = int(supplier_sync.read_cursor(db)) + changes
    app = PosyncApp(lambda _db: Runtime(settings=settings, db=db), jobs=jobs)
    stalls: list[float] = []
    idle: list[float] = []

    async def monitor(into: list[float], until: asyncio.Event) -> None:
        while not until.is_set():
            asked = time.perf_counter()
            await asyncio.sleep(SLEEP)
            into.append((time.perf_counter() - asked - SLEEP) * 1000)

    async with app.run_test(size=(80, 24)):
        while app.scheduler is None:  # the first tick is due as the scheduler starts
            await asyncio.sleep(0.001)
        watch = asyncio.create_task(monitor(stalls, done))
        await asyncio.wait_for(done.wait(), timeout=600)
        await watch
        # The same console at rest for a second afterwards, for comparison.
        rest = asyncio.Event()
        asyncio.get_running_loop().call_later(1.0, rest.set)
        await monitor(idle, rest)
        shown = app.screen.body.table.row_count
    return {"stalls": stalls, "idle": idle, "runs": runs, "rows": shown}


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def run(quick: bool) -> list[str]:
    context = multiprocessing.get_context("spawn")  # no fork of a process with threads
    ours, theirs = context.Pipe()
    supplier = context.Process(target=_supplier, args=(theirs, CHANGES), daemon=True)
    supplier.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            if not ours.poll(300):  # 10,000 orders are made in a few seconds
                raise RuntimeError(f"the simulated supplier did not start ({supplier.exitcode})")
            base_url, created, pending = ours.recv()
            db = _database(Path(tmp) / "stall.db", CHANGES, created)
            config = Path(tmp) / "config.toml"
            config.write_text("")
            try:
                # A poll longer than its interval is reported as "skipped" by APScheduler.
                quiet = logging.getLogger("apscheduler")
                level, quiet.level = quiet.level, logging.ERROR
                try:
                    result = asyncio.run(_measure(db, base_url, pending, config))
                finally:
                    quiet.setLevel(level)
            finally:
                db.dispose()
    finally:
        ours.send("stop")
        supplier.join(timeout=10)
        if supplier.is_alive():
            supplier.kill()
    stalls, runs = result["stalls"], result["runs"]
    cycles = "; ".join(f"{end - start:.1f} s: {outcome}" for start, end, outcome in runs)
    applied = runs[-1][1] - runs[0][0]
    worst = max(stalls)
    return [
        f"# {pending:,} supplier changes applied by the console's scheduler in {applied:.1f} s "
        f"({pending / applied:,.0f}/s; poll cycles: {cycles}); "
        f"PO list of {result['rows']:,} POs",
        f"# loop stall over {len(stalls):,} naps: median {statistics.median(stalls):.1f} ms, "
        f"p99 {_p99(stalls):.1f} ms, max {worst:.1f} ms, {sum(s > TARGET_MS for s in stalls)} over "
        f"{TARGET_MS} ms; the console at rest afterwards: max "
        f"{max(result['idle']):.1f} ms",
        line("console_loop_stall_max", worst, "ms", "<=", TARGET_MS),
    ]


if __name__ == "__main__":
    import sys

    print("\n".join(run(quick="--quick" in sys.argv)))
