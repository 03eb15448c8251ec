"""The scheduled work of each configured partner: poll it, or deliver its outbox."""

from __future__ import annotations

from posync_tui.partners import Partner, Schedule, not_configured, registered
from posync_tui.runtime import Runtime
from posync_tui.scheduler import Job


def jobs_for(rt: Runtime) -> list[Job]:
    """Every job of every enabled partner that has a base_url (or a sandbox in the demo)."""
    return [
        _job(rt, partner, schedule)
        for partner in registered()
        if partner.configured(rt)
        for schedule in partner.jobs
    ]


def _job(rt: Runtime, partner: Partner, schedule: Schedule) -> Job:
    interval = schedule.interval or partner.settings(rt.settings).poll_interval
    return Job(name=schedule.name, interval=interval, run=lambda fence: schedule.run(rt, fence))


def not_configured_line(rt: Runtime) -> str | None:
    """One line naming the enabled connectors that need a base_url, or None if none does."""
    missing = not_configured(rt)
    if not missing:
        return None
    names = ", ".join(p.name for p in missing)
    lines = "; ".join(p.config_line() for p in missing)
    return f"not configured (skipped): {names}; add to the config file: {lines}"
