"""Benchmarks: one script per target of issue 11, all run by ``uv run python -m bench``.

Convention (for every engineer adding one):

- a module ``bench/bench_<name>.py`` exposing ``run(quick: bool) -> list[str]``;
- each returned line reads ``BENCH <name> <value> <unit> target <op> <target> PASS|FAIL``
  (build it with ``bench.line``); lines starting with ``#`` are notes (baselines, machine);
- a baseline a target is relative to (an empty Textual app, a stock DataTable, a per-row ORM
  write) is measured in the same run, so ratios hold on a noisy machine;
- ``quick=True`` keeps the module well under a minute or two: ``python -m bench --quick`` runs
  everything in under five minutes;
- big fixtures live outside the repository: ``bench.bench_db()`` seeds 100k POs once into
  ``$POSYNC_BENCH_DB`` (default ``/tmp/posync-bench-100k.db``) and reuses it.

No timing assertions live in unit tests; they live here.
"""

from __future__ import annotations

import operator
import os
from pathlib import Path

BENCH_POS = 100_000
_OPS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}


def line(name: str, value: float, unit: str, op: str, target: float) -> str:
    verdict = "PASS" if _OPS[op](value, target) else "FAIL"
    return f"BENCH {name} {value:.4g} {unit} target {op} {target:.4g} {verdict}"


def bench_db(pos: int = BENCH_POS) -> Path:
    """A SQLite database with ``pos`` seeded POs, made once and reused while its schema holds."""
    from posync_tui.db import Database, SchemaOutOfDate
    from posync_tui.seed import seed_bulk

    path = Path(os.environ.get("POSYNC_BENCH_DB", f"/tmp/posync-bench-{pos // 1000}k.db"))
    if path.exists():
        db = Database(f"sqlite:///{path}")
        try:
            db.check_schema()
            _check_columns(db)
            with db.engine.connect() as conn:
                if conn.exec_driver_sql("SELECT count(*) FROM purchase_order").scalar() >= pos:
                    return path
        except SchemaOutOfDate:
            pass
        finally:
            db.dispose()
        for stale in path.parent.glob(path.name + "*"):
            stale.unlink()
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    seed_bulk(db, pos=pos)
    db.dispose()
    return path


def _check_columns(db) -> None:
    """Until the first release 0001 is regenerated in place: its id alone says too little."""
    from sqlalchemy import inspect
    from sqlmodel import SQLModel

    import posync_tui.models  # noqa: F401
    from posync_tui.db import SchemaOutOfDate

    found = inspect(db.engine)
    tables = set(found.get_table_names())
    for table in SQLModel.metadata.sorted_tables:
        if table.name not in tables:
            raise SchemaOutOfDate(f"{table.name} is missing", "the models")
        have = {c["name"] for c in found.get_columns(table.name)}
        if not {c.name for c in table.columns} <= have:
            raise SchemaOutOfDate(f"{table.name} lacks columns", "the models")
