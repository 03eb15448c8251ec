"""`posync seed --pos 100000` (about 1M lines) into a fresh SQLite file: target 60 s."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench import BENCH_POS, line


def run(quick: bool) -> list[str]:
    from posync_tui.db import Database
    from posync_tui.seed import seed_bulk

    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'seed.db'}")
        db.upgrade()
        started = time.perf_counter()
        seed_bulk(db, pos=BENCH_POS)
        took = time.perf_counter() - started
        with db.engine.connect() as conn:
            lines = conn.exec_driver_sql("SELECT count(*) FROM purchase_order_line").scalar()
        db.dispose()
    return [
        f"# seeded {BENCH_POS:,} POs and {lines:,} lines",
        line("seed_100k_pos", took, "s", "<=", 60),
    ]
