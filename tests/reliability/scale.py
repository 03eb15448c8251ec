"""How big the reliability proof (issue 20) runs.

``uv run pytest`` (and so ``.ci/run``) runs a CI-sized variant; ``POSYNC_RELIABILITY=full uv run
pytest tests/reliability`` runs the full one whose figures the README states. Read at import, not
in a fixture: the suite's autouse fixture clears every ``POSYNC_*`` variable for each test.
"""

from __future__ import annotations

import os
from typing import TypeVar

T = TypeVar("T", int, float)

FULL = os.environ.get("POSYNC_RELIABILITY", "").lower() == "full"


def pick(ci: T, full: T) -> T:
    """The CI figure, or the full run's."""
    return full if FULL else ci
