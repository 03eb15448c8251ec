"""A change committed by one process → seen by another process's ChangeWatcher: p95 ≤ 300 ms.

Another Python process commits changes (note_change, as every service does) at irregular
moments and prints the wall-clock time just after each commit; this process's ChangeWatcher
records when each arrived. Both run on this machine, so their clocks agree. Measured on SQLite
(PRAGMA data_version) and on PostgreSQL (LISTEN/NOTIFY, a server started with pgserver).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import line

TARGET_MS = 300

# The committing process: waits for "go", then commits COUNT vendor edits 10-60 ms apart.
WRITER = """
import random, sys, time
from posync_tui.db import Database
from posync_tui.events import note_change
from posync_tui.models import Vendor
from sqlmodel import select
db = Database(sys.argv[1])
count = int(sys.argv[2])
with db.session() as s:
    s.add(Vendor(code="BENCH", name="Bench vendor"))
print("ready", flush=True)
sys.stdin.readline()
for i in range(count):
    time.sleep(random.uniform(0.01, 0.06))
    with db.session() as s:
        vendor = s.exec(select(Vendor).where(Vendor.code == "BENCH")).one()
        vendor.name = f"Bench vendor {i}"
        note_change(s, "vendor", [i])
        # Taken as the commit starts, so the latency includes the commit itself.
        committing = time.time()
    print(i, committing, flush=True)
db.dispose()
"""


def measure(url: str, count: int) -> list[float]:
    """Latencies in ms of ``count`` changes committed by another process on ``url``."""
    from posync_tui.watch import ChangeWatcher

    arrived: dict[int, float] = {}
    all_in = threading.Event()

    def on_change(change) -> None:
        if change.kind == "vendor" and change.ids:
            arrived[change.ids[0]] = time.time()
            if len(arrived) >= count:
                all_in.set()

    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, url, str(count)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout.readline().strip() == "ready"
    # The watcher from the database the writer just made (a Database of our own).
    from posync_tui.db import Database

    db = Database(url)
    watcher = ChangeWatcher(db, on_change)
    watcher.start()
    watcher.wait_ready()
    writer.stdin.write("go\n")
    writer.stdin.flush()
    committed = {}
    for text in writer.stdout:
        i, at = text.split()
        committed[int(i)] = float(at)
    writer.wait(timeout=60)
    all_in.wait(timeout=10)
    watcher.stop()
    db.dispose()
    missing = set(committed) - set(arrived)
    if missing:
        raise RuntimeError(f"{len(missing)} of {count} changes never reached the watcher")
    return [(arrived[i] - committed[i]) * 1000 for i in committed]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def _report(name: str, latencies: list[float]) -> list[str]:
    return [
        f"# {name}: {len(latencies)} changes, median {statistics.median(latencies):.1f} ms, "
        f"max {max(latencies):.1f} ms",
        line(f"event_latency_{name}_p95", p95(latencies), "ms", "<=", TARGET_MS),
    ]


def run(quick: bool) -> list[str]:
    from posync_tui.db import Database

    count = 60 if quick else 300
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'events.db'}"
        db = Database(url)
        db.upgrade()
        db.dispose()
        lines += _report("sqlite", measure(url, count))

    from tests.pg import TEMPLATE, PgServer, url_for

    root = Path(tempfile.mkdtemp(prefix="posync-pg-bench-"))
    root.chmod(0o755)
    server = PgServer(root)
    try:
        import psycopg

        with psycopg.connect(server.url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
            conn.execute(f"CREATE DATABASE {TEMPLATE}")
        url = url_for(server.url, TEMPLATE)
        db = Database(url)
        db.upgrade()
        db.dispose()
        lines += _report("pg", measure(url, count))
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return lines


if __name__ == "__main__":
    print("\n".join(run(quick="--quick" in sys.argv)))
