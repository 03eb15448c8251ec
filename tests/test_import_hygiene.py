"""The layers hold at run time: the core and the connectors load without Textual.

import-linter (`.ci/run`) checks the import statements; this checks what importing really
loads, in a fresh interpreter, so that `posync worker` on a server never pays for Textual.
"""

from __future__ import annotations

import json
import subprocess
import sys

# Every module of the core and of connectors/, except the Textual app and the console entry
# point that starts it, and the Alembic scripts, which run only inside Alembic.
_IMPORT_ALL = """
import json, pkgutil, sys
import connectors, posync_tui

SKIP = {"posync_tui.app", "posync_tui.console"}
imported = []
for package in (posync_tui, connectors):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        name = info.name
        if name in SKIP or name.startswith("posync_tui.migrations."):
            continue
        __import__(name)
        imported.append(name)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "screens"))
print(json.dumps({"imported": imported, "loaded": loaded}))
"""


def _fresh_import(code: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_core_and_the_connectors_load_without_textual_or_screens():
    found = _fresh_import(_IMPORT_ALL)
    # The walk reached the services, the models and the connectors, not just the packages.
    assert "posync_tui.services.po_list" in found["imported"]
    assert "posync_tui.cli" in found["imported"]
    assert "connectors.sandbox.partners" in found["imported"]
    assert found["loaded"] == []


def test_the_check_sees_textual_when_the_app_is_imported():
    code = _IMPORT_ALL.replace('SKIP = {"posync_tui.app", ', "SKIP = {")
    assert "textual" in _fresh_import(code)["loaded"]
