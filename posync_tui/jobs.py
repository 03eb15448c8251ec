"""The scheduled work of each enabled connector: poll a partner, or deliver the outbox."""

from __future__ import annotations

from posync_tui.runtime import Runtime
from posync_tui.scheduler import Job


def jobs_for(rt: Runtime) -> list[Job]:
    from posync_tui.services import accounting, supplier_sync

    runs = {
        "supplier": lambda fence: supplier_sync.poll(rt, fence=fence),
        "quickbooks": lambda fence: accounting.deliver(rt, fence=fence),
    }
    settings = rt.settings.connectors()
    return [
        Job(name=name, interval=settings[name].poll_interval, run=run)
        for name, run in runs.items()
        if settings[name].enabled
    ]
