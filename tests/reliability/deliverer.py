"""A delivering posync process for the crash test: ``posync worker``'s scheduler running the four
outbound partners' real jobs (QuickBooks, Ovotrack, the EDI hub, P21), configured as an operator
configures posync — ``POSYNC_*`` variables, e.g. ``POSYNC_WAREHOUSE__BASE_URL``.

    python -m tests.reliability.deliverer CLAIM_SECONDS [--upload-all]

Two things differ from ``posync
worker``, both for the test's clock, neither for what it proves: a claim lasts ``claim_seconds``
instead of five minutes (a killed deliverer's claims are retaken after it), and only the
delivering jobs run. ``--upload-all`` first does what a console's Upload All does: queue every
ready PO of both QuickBooks queues. It prints ``origin=<lease holder>`` before anything else, so
that the test knows which process holds a lease.
"""

from __future__ import annotations

import argparse
import functools

from posync_tui import delivery, events
from posync_tui.config import load_settings
from posync_tui.db import Database
from posync_tui.jobs import jobs_for
from posync_tui.runtime import Runtime
from posync_tui.worker import run_worker

JOBS = ("quickbooks", "warehouse", "edi_hub", "p21")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("claim_seconds", type=float)
    parser.add_argument("--upload-all", action="store_true")
    args = parser.parse_args()
    claim_seconds, upload_all = args.claim_seconds, args.upload_all
    print(f"origin={events.ORIGIN}", flush=True)
    settings = load_settings()
    rt = Runtime(settings=settings, db=Database(settings.resolved_database_url()))
    # Every service reaches the engine through its module (``delivery.deliver(...)``).
    delivery.deliver = functools.partial(delivery.deliver, claim_seconds=claim_seconds)  # type: ignore[assignment]
    if upload_all:
        _upload_all(rt)
    # Imported before the jobs start: the first run would import them on the event loop, for
    # seconds on a loaded machine, while its lease runs out.
    from posync_tui.services import accounting, edi_sync, p21_export, warehouse_send  # noqa: F401

    jobs = [job for job in jobs_for(rt) if job.name in JOBS]
    assert sorted(job.name for job in jobs) == sorted(JOBS), [job.name for job in jobs]
    run_worker(rt, jobs)


def _upload_all(rt) -> None:
    from posync_tui.services import accounting

    for tab, kind in (
        (accounting.QueueTab.SUPPLIER_INVOICES, "bill"),
        (accounting.QueueTab.PURCHASE_ORDERS, "purchase_order"),
    ):
        queued = accounting.enqueue_upload(
            rt.db, kind, accounting.queue_ids(rt.db, tab), settings=rt.settings
        )
        print(f"upload all {kind}: {queued.summary()}", flush=True)


if __name__ == "__main__":
    main()
