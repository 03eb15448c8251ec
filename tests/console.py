"""Building the console for Pilot and snapshot tests: a real app on a real test database."""

from __future__ import annotations

import contextlib

from posync_tui.app import PosyncApp
from posync_tui.config import Settings, load_settings
from posync_tui.db import Database
from posync_tui.runtime import Runtime


def configured_settings(cls: type[Settings] = Settings, **sections) -> Settings:
    """Settings with a base_url for every registered partner (none is reached in these tests),
    then ``sections`` over them."""
    from posync_tui.partners import registered

    urls = {p.section or p.name: {"base_url": f"http://{p.name}.test/"} for p in registered()}
    return cls(**(urls | sections))


def console_app(
    db: Database,
    *,
    settings: Settings | None = None,
    sandbox=None,
    sandbox_server=None,
    jobs=None,
) -> PosyncApp:
    """The console on ``db``; no cross-process watcher and no scheduler unless ``jobs``."""
    settings = settings or load_settings()

    def load(_opened) -> Runtime:
        return Runtime(settings=settings, db=db, sandbox=sandbox, sandbox_server=sandbox_server)

    # As `posync` does: the PO list's first page is read before the runtime is built.
    return PosyncApp(load, open_database=lambda: db, jobs=jobs, watch_other_processes=False)


async def settled(pilot) -> None:
    """Wait until the console's workers (reads in threads) and their messages are done."""
    from textual.worker import WorkerCancelled

    for _ in range(3):
        await pilot.pause()
        # An exclusive worker replaced by a newer one is cancelled: the next round waits on.
        with contextlib.suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def screen_lines(app) -> list[str]:
    """The text of each row of the terminal as the console draws it now."""
    return [strip.text for strip in app.screen._compositor.render_strips()]
