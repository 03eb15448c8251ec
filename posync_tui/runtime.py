"""Everything a running posync needs, built once: settings, database, the demo's sandbox.

The console builds it in a worker after its first frame; ``posync worker`` and
``posync sync --once`` build it directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from posync_tui.config import Settings
from posync_tui.db import Database

if TYPE_CHECKING:
    from connectors.sandbox.server import Sandbox, SandboxServer


@dataclass
class Runtime:
    settings: Settings
    db: Database
    # The demo runs the simulated partners in this process, on a loopback port.
    sandbox: Sandbox | None = None
    sandbox_server: SandboxServer | None = None
    # Things to stop when the runtime closes (e.g. the demo's simulated supplier activity).
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for close in self.closers:
            close()
        if self.sandbox_server is not None:
            self.sandbox_server.stop()
        self.db.dispose()


def open_runtime(
    settings: Settings, *, demo: bool = False, reset: bool = False, db: Database | None = None
) -> Runtime:
    """Open the configured database (``db`` if already open on it), or for the demo its own
    database and the sandbox."""
    if not demo:
        url = settings.resolved_database_url()
        if db is None or db.url != url:
            db = Database(url)
        return Runtime(settings=settings, db=db)
    from posync_tui import demo as demo_mode

    return demo_mode.open_demo(settings, reset=reset)
