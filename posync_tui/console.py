"""``posync``: the console when run without arguments, else the commands (``posync_tui.cli``).

Operators start the console at every login: it starts without the command-line library, whose
import and set-up cost about 0.2 s before the first frame.
"""

from __future__ import annotations

import sys
from pathlib import Path


def run(config_path: Path | None = None, *, demo: bool = False, reset: bool = False) -> int:
    """Run the console until it quits; its exit code."""
    from posync_tui.app import PosyncApp

    def open_database():
        # The database the settings will name, opened without them: the PO list's first page
        # then shows while pydantic, the ORM and the partners load. The demo makes its own.
        from posync_tui import paths
        from posync_tui.db import Database

        url = None if demo else paths.database_url(config_path)
        return Database(url) if url else None

    def load(db):
        # Settings too are read after the first frame (pydantic costs start-up time); an
        # invalid file stops the console with the same one-line-per-problem message.
        from posync_tui.config import load_settings
        from posync_tui.runtime import open_runtime

        return open_runtime(load_settings(config_path), demo=demo, reset=reset, db=db)

    def jobs(rt):
        from posync_tui.jobs import jobs_for

        return jobs_for(rt)

    app = PosyncApp(load, open_database=open_database, jobs=jobs)
    # Why the console cannot start stays one line on stderr, however narrow the terminal.
    app.error_console.soft_wrap = True
    app.run()
    return app.return_code or 0


def main() -> None:
    if len(sys.argv) == 1:
        sys.exit(run())
    from posync_tui.cli import main as commands

    commands()
