"""Run every benchmark: ``uv run python -m bench [--quick] [name ...]``.

Discovers ``bench/bench_*.py`` modules with a ``run(quick)`` function (see ``bench/__init__``),
prints their lines as each finishes, and exits 1 if any target FAILed.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import platform
import sys
import time
import traceback
from pathlib import Path


def compile_bytecode() -> None:
    """Measure posync as installed: its modules and its dependencies' compiled to bytecode, as
    pip and ``uv sync --compile-bytecode`` leave them. Where PYTHONDONTWRITEBYTECODE is set
    (as on our CI machines) nothing is ever cached, and every start would compile from source."""
    import compileall
    import sysconfig

    root = Path(__file__).parent.parent
    for path in (sysconfig.get_paths()["purelib"], *(root / d for d in PACKAGES)):
        compileall.compile_dir(str(path), quiet=2, workers=0)


PACKAGES = ("posync_tui", "screens", "connectors", "bench")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="a shorter run (under 5 minutes)")
    parser.add_argument("names", nargs="*", help="only these benchmarks (e.g. table seed)")
    args = parser.parse_args()
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    if args.names:
        names = [n for n in names if n.removeprefix("bench_") in args.names]
    compile_bytecode()
    print(f"# {platform.node()} {platform.machine()} {platform.python_version()}", flush=True)
    failed = False
    for name in names:
        started = time.perf_counter()
        try:
            lines = importlib.import_module(f"bench.{name}").run(args.quick)
        except Exception:
            traceback.print_exc()
            print(f"BENCH {name} error - target - - FAIL", flush=True)
            failed = True
            continue
        for text in lines:
            print(text, flush=True)
            failed |= text.startswith("BENCH") and text.endswith("FAIL")
        print(f"# {name}: {time.perf_counter() - started:.1f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
