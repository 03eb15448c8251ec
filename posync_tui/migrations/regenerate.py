"""Regenerate the initial migration from the models (only until the first release).

Run: uv run python -m posync_tui.migrations.regenerate
After the first release, add new revisions with alembic instead and never edit 0001.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command

from posync_tui.db import MIGRATIONS, Database

if __name__ == "__main__":
    for old in (MIGRATIONS / "versions").glob("0001_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'empty.db'}")
        command.revision(
            db.alembic_config(), message="initial schema", autogenerate=True, rev_id="0001"
        )
        db.dispose()
    versions = str(MIGRATIONS / "versions")
    subprocess.run([sys.executable, "-m", "ruff", "check", "--fix", "-q", versions], check=False)
    subprocess.run([sys.executable, "-m", "ruff", "format", "-q", versions], check=False)
