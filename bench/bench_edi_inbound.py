"""Inbound EDI interchanges parsed, applied and audited per second, and the console's worst
stall meanwhile (issue 17: at least 300 a second, a stall of at most 50 ms).

The simulated EDI hub runs in a process of its own, as a real hub would (in this process its
HTTP server would compete with the console for the GIL), on loopback. Its inbox holds, for each
of the EDI supplier's POs, an order response (a changed quantity on line 1: an amendment and
audit entries), a despatch advice (an Item Receipt with serials and a tracking number) and an
invoice (a vendor bill with freight): about a kilobyte each. The real console (``PosyncApp``,
headless at 80×24, the PO list shown) runs the scheduler's "edi_hub" job, the real
``edi_sync.poll`` (download, parse, apply, audit, acknowledge), until the inbox is taken in;
a monitor coroutine on the app's loop measures how late it wakes from 3 ms naps.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from bench import line

TARGET_RATE = 300
TARGET_MS = 50
SLEEP = 0.003
INTERVAL = 5.0  # the job's poll interval: its lease outlives a page's transaction
BUYER, SUPPLIER = "5412345000013", "5412345000020"


def _hub(pipe, pos: int) -> None:
    """The hub's process: fill the inbox, serve it, wait for "stop"."""
    from connectors.edifact import (
        Charge,
        DespatchAdvice,
        DespatchLine,
        Envelope,
        Interchange,
        Invoice,
        InvoiceLine,
        OrderResponse,
        Package,
        PaymentTerms,
        ResponseLine,
        build,
    )
    from connectors.sandbox.edi_hub import EdiHubSandbox
    from connectors.sandbox.server import Sandbox

    hub = EdiHubSandbox()
    day = date(2026, 11, 3)
    refs = iter(range(1, 10 * pos))

    def drop(message) -> None:
        ref = f"B{next(refs):08d}"
        envelope = Envelope(SUPPLIER, BUYER, ref, datetime(2026, 11, 3, 9, 0))
        hub.drop(build(Interchange(envelope, (message,))))

    for n in range(pos):
        number = _number(n)
        drop(
            OrderResponse(
                f"R{n}",
                "4",
                number,
                day,
                BUYER,
                SUPPLIER,
                (
                    ResponseLine(1, "3", 1, "BN-100", quantity=Decimal(9), price=Decimal("4.25")),
                    ResponseLine(2, "5", 2, "BN-200", quantity=Decimal(5)),
                ),
            )
        )
    for n in range(pos):
        serials = tuple(f"SN{n:06d}{k}" for k in range(3))
        lines = (DespatchLine(1, Decimal(3), "BN-100", buyer_line=1, serials=serials),)
        drop(
            DespatchAdvice(
                f"D{n}",
                day,
                SUPPLIER,
                BUYER,
                (Package("1", lines, tracking=(f"1Z{n:010d}",)),),
                order_number=_number(n),
                despatched=day,
            )
        )
    for n in range(pos):
        drop(
            Invoice(
                f"I{n}",
                day,
                SUPPLIER,
                BUYER,
                "EUR",
                (
                    InvoiceLine(
                        1,
                        Decimal(9),
                        Decimal("4.25"),
                        Decimal("38.25"),
                        "BN-100",
                        buyer_line=1,
                        tax_rate=Decimal(21),
                        tax_amount=Decimal("8.03"),
                    ),
                ),
                order_number=_number(n),
                due=date(2026, 12, 3),
                charges=(Charge("FC", Decimal("7.50")),),
                terms=PaymentTerms("NET30"),
            )
        )
    with Sandbox([hub]).serve() as server:
        pipe.send(f"{server.url}/{hub.name}")
        pipe.recv()


def _number(n: int) -> str:
    return f"PE-{n:07d}"


def _database(path: Path, pos: int):
    from posync_tui.db import Database
    from posync_tui.models import EdiChargeType, Item, PurchaseOrder, PurchaseOrderLine, Vendor

    db = Database(f"sqlite:///{path}")
    db.upgrade()
    with db.session() as s:
        vendor = Vendor(code="EDIB", name="EDI bench", edi_enabled=True, gln=SUPPLIER)
        s.add(vendor)
        s.add(EdiChargeType(code="FC", name="Freight", expense_account="6100"))
        s.flush()
        items = [
            Item(sku=f"BN-{k}", description=f"Bench {k}", mpn=f"BN-{k}", vendor_id=vendor.id)
            for k in (100, 200)
        ]
        s.add_all(items)
        s.flush()
        for n in range(pos):
            po = PurchaseOrder(number=_number(n), vendor_id=vendor.id, line_count=2)
            s.add(po)
            s.flush()
            for k, item in enumerate(items, start=1):
                s.add(
                    PurchaseOrderLine(
                        po_id=po.id,
                        line_no=k,
                        item_id=item.id,
                        quantity_ordered=Decimal(10),
                        unit_cost=Decimal(4),
                        buyer_line_ref=str(k),
                    )
                )
    return db


async def _measure(db, base_url: str, documents: int) -> dict:
    from posync_tui import feed
    from posync_tui.app import PosyncApp
    from posync_tui.config import Settings
    from posync_tui.runtime import Runtime
    from posync_tui.scheduler import Job
    from posync_tui.services.edi_feed import CONNECTOR
    from posync_tui.services.edi_partner import EDI

    runs: list[tuple[float, float, str]] = []
    done = asyncio.Event()

    async def poll(fence) -> str:
        started, outcome = time.perf_counter(), "?"
        try:
            # The real job (``EDI``'s): its client made in a thread, then deliver and poll.
            outcome = await EDI.jobs[0].run(rt, fence)
            return outcome
        except Exception as exc:
            outcome = f"failed: {exc}"
            raise
        finally:
            runs.append((started, time.perf_counter(), outcome))
            if await asyncio.to_thread(feed.read_cursor, db, CONNECTOR) == str(documents):
                done.set()

    rt = Runtime(settings=Settings(edi={"base_url": base_url, "timeout": 10.0}), db=db)
    app = PosyncApp(
        lambda _db: rt,
        jobs=lambda _rt: [Job(CONNECTOR, INTERVAL, poll)],
    )
    stalls: list[float] = []

    async def monitor() -> None:
        while not done.is_set():
            asked = time.perf_counter()
            await asyncio.sleep(SLEEP)
            stalls.append((time.perf_counter() - asked - SLEEP) * 1000)

    async with app.run_test(size=(80, 24)):
        while app.scheduler is None:
            await asyncio.sleep(0.001)
        watch = asyncio.create_task(monitor())
        await asyncio.wait_for(done.wait(), timeout=900)
        await watch
    return {"stalls": stalls, "runs": runs}


def run(quick: bool) -> list[str]:
    pos = 300 if quick else 1_000
    documents = 3 * pos
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    hub = context.Process(target=_hub, args=(theirs, pos), daemon=True)
    hub.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = _database(Path(tmp) / "edi.db", pos)
            if not ours.poll(300):
                raise RuntimeError(f"the simulated hub did not start ({hub.exitcode})")
            base_url = ours.recv()
            try:
                result = asyncio.run(_measure(db, base_url, documents))
            finally:
                db.dispose()
    finally:
        ours.send("stop")
        hub.join(timeout=10)
        if hub.is_alive():
            hub.kill()
    runs, stalls = result["runs"], result["stalls"]
    busy = sum(end - start for start, end, _ in runs)
    rate = documents / busy
    worst = max(stalls)
    return [
        f"# {documents:,} interchanges (ORDRSP, DESADV, INVOIC for {pos:,} POs) taken in by the "
        f"console's scheduler in {busy:.1f} s of polls ({len(runs)} polls: "
        f"{'; '.join(outcome for *_, outcome in runs)}) at {datetime.now(UTC):%Y-%m-%d}",
        f"# loop stall over {len(stalls):,} naps: median {statistics.median(stalls):.1f} ms, "
        f"max {worst:.1f} ms",
        line("edi_inbound_rate", rate, "interchanges/s", ">=", TARGET_RATE),
        line("edi_inbound_console_stall_max", worst, "ms", "<=", TARGET_MS),
    ]


if __name__ == "__main__":
    import sys

    print("\n".join(run(quick="--quick" in sys.argv)))
