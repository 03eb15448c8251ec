"""The other process of bench_live: ``python -m bench._live_writer URL IDS COUNT EVERY``.

Waits for a line on stdin, then commits COUNT changes about EVERY seconds apart, each the total
of one of the POs IDS (comma-separated) set to ``value(i)``, with its change noted as every
service notes one. After each commit it prints ``i po_id committed_at`` (wall clock), the time
taken just before the commit, so that the latency measured includes the commit itself.
"""

from __future__ import annotations

import random
import sys
import time
from decimal import Decimal

from sqlalchemy import update

from posync_tui.db import Database
from posync_tui.events import note_change
from posync_tui.models import PurchaseOrder
from posync_tui.sqltypes import utcnow


def value(i: int) -> Decimal:
    """The total of change ``i``: distinct from every other change's and unlike seeded totals."""
    return Decimal(f"{123_000 + i}.{(i * 37 + 11) % 100:02d}")


def shown(i: int) -> str:
    """``value(i)`` as the PO list shows it."""
    return f"{value(i):,.2f}"


def main() -> None:
    url, ids, count, every = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    po_ids = [int(x) for x in ids.split(",")]
    db = Database(url)
    po = PurchaseOrder.__table__
    rnd = random.Random(11)
    print("ready", flush=True)
    sys.stdin.readline()
    for i in range(count):
        time.sleep(every * rnd.uniform(0.7, 1.3))
        po_id = po_ids[i % len(po_ids)]
        with db.session() as session:
            session.execute(
                update(po).where(po.c.id == po_id).values(total=value(i), updated_at=utcnow())
            )
            note_change(session, "purchase_order", [po_id])
            committing = time.time()
        print(i, po_id, committing, flush=True)
    db.dispose()


if __name__ == "__main__":
    main()
