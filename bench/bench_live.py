"""A change committed by one process → shown in another console: p95 ≤ 300 ms (SQLite, PostgreSQL).

The console is the real one (``PosyncApp`` headless at 80×24 through ``run_test``, the PO list
shown, the cross-process ``ChangeWatcher`` on as ``posync`` starts it) in this process. Another
process (``bench._live_writer``) commits a new total for one of the POs on the visible page about
every 100 ms, noting the change as every service does, and prints the wall-clock time taken just
before each commit. Both run on this machine, so their clocks agree.

"Shown" means: the frame the app writes contains the new total. The app's ``_display`` (where
Textual hands each composed frame to the terminal driver; headless, it writes nothing) is hooked
to render the frame's segments to text as the terminal would receive them and look for the
totals not seen yet. Each total is distinct and unlike the seeded ones, and one seen before its
commit fails the run, so a match is that change and no other.

SQLite: a copy of the 100k-PO bench database (PRAGMA data_version + change log). PostgreSQL: a
server started with pgserver (as the tests do), seeded with ``seed_bulk`` (LISTEN/NOTIFY).
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import bench_db, line
from bench._live_writer import shown

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 300
EVERY = 0.1  # seconds between two commits of the other process
VISIBLE = 8  # the first POs of the list, all on its first page at 80×24


def _console(db, load):
    """The console on ``db`` (opened first, as ``posync`` does), telling ``on_frame`` of every
    frame it writes."""
    from posync_tui.app import PosyncApp

    class Console(PosyncApp):
        on_frame = None

        def _display(self, screen, renderable) -> None:
            super()._display(screen, renderable)
            if renderable is not None and self.on_frame is not None:
                self.on_frame(renderable)

    return Console(load, open_database=lambda: db, watch_other_processes=True)


async def _measure(url: str, count: int, config: Path) -> list[float]:
    """Latencies in ms of ``count`` changes committed by another process on ``url``."""
    from posync_tui.config import load_settings
    from posync_tui.db import Database
    from posync_tui.runtime import Runtime

    db = Database(url)
    with db.engine.connect() as conn:
        po_ids = conn.exec_driver_sql(
            f"SELECT id FROM purchase_order ORDER BY number LIMIT {VISIBLE}"
        ).scalars()
        ids = ",".join(map(str, po_ids))
    settings = load_settings(config)
    app = _console(db, lambda _db: Runtime(settings=settings, db=db))
    pending = {shown(i): i for i in range(count)}
    seen: dict[int, float] = {}
    committed: dict[int, float] = {}

    def on_frame(renderable) -> None:
        text = renderable.render_segments(app.console)
        now = time.time()
        for total in [t for t in pending if t in text]:
            seen[pending.pop(total)] = now

    writer = subprocess.Popen(
        [sys.executable, "-m", "bench._live_writer", url, ids, str(count), str(EVERY)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )

    def read_writer() -> None:
        for text in writer.stdout:
            i, _po, at = text.split()
            committed[int(i)] = float(at)

    try:
        if writer.stdout.readline().strip() != "ready":
            raise RuntimeError("the writer process did not start")
        async with app.run_test(size=(80, 24)) as pilot:
            while app.watcher is None or not app.watcher.ready.is_set():
                await asyncio.sleep(0.01)
            table = app.screen.body.table
            while not table.applied:  # the first page is shown
                await asyncio.sleep(0.01)
            await pilot.pause()
            app.on_frame = on_frame
            reader = threading.Thread(target=read_writer, daemon=True)
            reader.start()
            writer.stdin.write("go\n")
            writer.stdin.flush()
            await asyncio.to_thread(writer.wait, count * EVERY * 2 + 60)
            await asyncio.to_thread(reader.join, 10)
            deadline = time.monotonic() + 5
            while len(seen) < len(committed) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
    finally:
        if writer.poll() is None:
            writer.kill()
        db.dispose()
    if writer.returncode != 0 or len(committed) != count:
        raise RuntimeError(f"the writer committed {len(committed)} of {count} changes")
    missing = [i for i in committed if i not in seen]
    if missing:
        raise RuntimeError(f"{len(missing)} of {count} changes never showed, e.g. {missing[:5]}")
    latencies = [(seen[i] - committed[i]) * 1000 for i in committed]
    if min(latencies) < 0:
        raise RuntimeError("a total showed before its commit: the values are not distinct")
    return latencies


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def _report(name: str, latencies: list[float], pos: int) -> list[str]:
    return [
        f"# {name}: {len(latencies)} changes, one per ~{EVERY * 1000:.0f} ms, {pos:,} POs: "
        f"median {statistics.median(latencies):.0f} ms, max {max(latencies):.0f} ms",
        line(f"live_change_{name}_p95", _p95(latencies), "ms", "<=", TARGET_MS),
    ]


def _sqlite(tmp: Path, count: int, config: Path) -> list[str]:
    path = tmp / "live.db"
    source, target = sqlite3.connect(bench_db()), sqlite3.connect(path)
    source.backup(target)  # a copy: the writer changes totals
    source.close()
    pos = target.execute("SELECT count(*) FROM purchase_order").fetchone()[0]
    target.close()
    return _report("sqlite", asyncio.run(_measure(f"sqlite:///{path}", count, config)), pos)


def _postgres(count: int, pos: int, config: Path) -> list[str]:
    import psycopg

    from posync_tui.db import Database
    from posync_tui.seed import seed_bulk
    from tests.pg import PgServer, url_for

    root = Path(tempfile.mkdtemp(prefix="posync-pg-live-"))
    root.chmod(0o755)  # the server may run as another user
    server = PgServer(root)
    try:
        with psycopg.connect(server.url, autocommit=True) as conn:
            conn.execute("CREATE DATABASE posync_live")
        url = url_for(server.url, "posync_live")
        db = Database(url)
        db.upgrade()
        seed_bulk(db, pos=pos)
        db.dispose()
        return _report("pg", asyncio.run(_measure(url, count, config)), pos)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def run(quick: bool) -> list[str]:
    count = 150 if quick else 600
    pg_pos = 20_000 if quick else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.toml"
        config.write_text("")  # the defaults, not the developer's config
        lines = _sqlite(Path(tmp), count, config)
        lines += _postgres(count, pg_pos, config)
    return lines


if __name__ == "__main__":
    print("\n".join(run(quick="--quick" in sys.argv)))
