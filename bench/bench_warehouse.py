"""A 10,000-line Ovotrack batch through Import/Create, Send, Receive and Commit against the
simulated Ovotrack on a loopback port (Ovotrack seed; issue 16: each stage within 10 s)."""

from __future__ import annotations

import asyncio
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert

from bench import line

TARGET_S = 10.0


def run(quick: bool) -> list[str]:
    from connectors.sandbox.server import Sandbox
    from connectors.sandbox.warehouse import WarehouseSandbox
    from posync_tui import leases
    from posync_tui.config import load_settings
    from posync_tui.db import Database
    from posync_tui.models import LineStage, utcnow
    from posync_tui.runtime import Runtime
    from posync_tui.services import warehouse_master
    from posync_tui.services.warehouse_batches import import_batch, stage_counts
    from posync_tui.services.warehouse_commit import commit_batch
    from posync_tui.services.warehouse_receive import receive_updates
    from posync_tui.services.warehouse_send import send_batch

    lines = 2_000 if quick else 10_000
    ovotrack = WarehouseSandbox()
    with tempfile.TemporaryDirectory() as tmp, Sandbox([ovotrack]).serve() as server:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        db.upgrade()
        since = utcnow()
        _seed(db, lines)
        settings = load_settings(warehouse={"base_url": f"{server.url}/warehouse"})
        rt = Runtime(settings=settings, db=db)
        asyncio.run(warehouse_master.send_master_data(rt))
        fence = leases.acquire(db, "warehouse", "bench", ttl=600).fence()
        times = {}

        started = time.perf_counter()
        batch_id = import_batch(db, since).batch_id
        times["import"] = time.perf_counter() - started

        started = time.perf_counter()
        asyncio.run(send_batch(rt, batch_id, fence=fence))
        times["send"] = time.perf_counter() - started

        started = time.perf_counter()
        asyncio.run(receive_updates(rt, batch_id))
        times["receive"] = time.perf_counter() - started

        started = time.perf_counter()
        commit_batch(db, batch_id)
        times["commit"] = time.perf_counter() - started

        counts = stage_counts(db, batch_id)
        db.dispose()
    out = [f"# warehouse: {lines:,} lines, {ovotrack.line_count():,} held by Ovotrack"]
    if counts[LineStage.COMMITTED] != lines or ovotrack.line_count() != lines:
        out.append(
            f"BENCH warehouse_lines_committed {counts[LineStage.COMMITTED]} lines "
            f"target >= {lines} FAIL"
        )
    for stage, seconds in times.items():
        out.append(line(f"warehouse_{stage}_{lines // 1000}k", seconds, "s", "<=", TARGET_S))
    return out


def _seed(db, lines: int) -> None:
    """Customers with a ship-to each, 50 items in stock, orders of 10 lines marked Send."""
    from posync_tui.models import (
        Customer,
        CustomerLocation,
        Division,
        Item,
        ItemStock,
        SalesOrder,
        SalesOrderLine,
    )

    orders = lines // 10
    with db.session() as s:
        division = Division(code="MAIN", name="Main", warehouse_interface=True)
        s.add(division)
        s.flush()
        conn = s.connection()
        conn.execute(
            insert(Customer.__table__),
            [{"id": c, "code": f"C{c:05d}", "name": f"Customer {c}"} for c in range(1, 101)],
        )
        conn.execute(
            insert(CustomerLocation.__table__),
            [
                {
                    "id": c,
                    "customer_id": c,
                    "code": "SHIP",
                    "name": "Dock",
                    "address": "",
                    "city": "",
                    "is_ship_to": True,
                    "is_bill_to": False,
                    "warehouse_interface": True,
                }
                for c in range(1, 101)
            ],
        )
        conn.execute(
            insert(Item.__table__),
            [
                {
                    "id": i,
                    "sku": f"EGG-{i:03d}",
                    "description": f"Eggs {i}",
                    "unit_cost": Decimal(1),
                    "created_at": utcnow_(),
                }
                for i in range(1, 51)
            ],
        )
        conn.execute(
            insert(ItemStock.__table__),
            [
                {"item_id": i, "on_hand": Decimal(lines), "allocated": Decimal(0)}
                for i in range(1, 51)
            ],
        )
        conn.execute(
            insert(SalesOrder.__table__),
            [
                {
                    "id": o,
                    "number": f"SO-{o:06d}",
                    "customer_id": o % 100 + 1,
                    "ship_to_id": o % 100 + 1,
                    "division_id": division.id,
                    "status": "open",
                    "created_at": utcnow_(),
                    "updated_at": utcnow_(),
                }
                for o in range(1, orders + 1)
            ],
        )
        now = utcnow_()
        conn.execute(
            insert(SalesOrderLine.__table__),
            [
                {
                    "sales_order_id": o,
                    "line_no": n,
                    "item_id": (o + n) % 50 + 1,
                    "quantity": Decimal(n),
                    "quantity_backordered": Decimal(0),
                    "special_order": False,
                    "unit_price": Decimal(2),
                    "created_at": now,
                    "updated_at": now,
                    "warehouse_interface_status": "Send",
                    "quantity_allocated": Decimal(0),
                }
                for o in range(1, orders + 1)
                for n in range(1, 11)
            ],
        )


def utcnow_():
    from posync_tui.models import utcnow

    return utcnow()
