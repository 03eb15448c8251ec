"""The paged table at 100k POs: first frame, key → frame, sort, filter, memory; DataTable baseline.

Every app runs in its own process under a pseudo-terminal (the real terminal driver), so a first
frame is "process start → first frame written"; the empty app and the stock DataTable are
measured in the same run as the PO list, for the ratios.
"""

from __future__ import annotations

import json
import os
import pty
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from fcntl import ioctl
from pathlib import Path

from bench import bench_db, line

ROOT = Path(__file__).resolve().parent.parent


def _run_child(args: list[str], timeout: float = 120) -> dict:
    """Run bench._table_child in a 120×40 pseudo-terminal; return its JSON results."""
    master, slave = pty.openpty()
    ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        path = out.name
    env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
    env.pop("TEXTUAL", None)
    # The console as `posync` starts it, on the bench database, reading no user config.
    env["POSYNC_DATABASE_URL"] = f"sqlite:///{args[1]}"
    env["POSYNC_CONFIG"] = str(Path(tempfile.gettempdir()) / "posync-bench-no-config.toml")
    env["POSYNC_DATA_DIR"] = tempfile.mkdtemp(prefix="posync-bench-data-")
    started = time.time()
    child = subprocess.Popen(
        [sys.executable, "-m", "bench._table_child", args[0], args[1], path, *args[2:]],
        stdin=slave,
        stdout=slave,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    os.close(slave)

    def drain() -> None:  # the terminal: read (and drop) what the app draws
        try:
            while os.read(master, 65536):
                pass
        except OSError:
            pass

    threading.Thread(target=drain, daemon=True).start()
    try:
        _, err = child.communicate(timeout=timeout)
    finally:
        if child.poll() is None:
            child.kill()
        os.close(master)
    try:
        with open(path) as f:
            results = json.load(f)
    except (OSError, ValueError):
        raise RuntimeError(f"{args[0]} app gave no results: {err.decode()[-2000:]}") from None
    finally:
        os.unlink(path)
    results["start_to_frame"] = results["first_frame"] - started
    return results


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def run(quick: bool) -> list[str]:
    db = str(bench_db())
    rounds = 3 if quick else 7
    empty, polist, shell, rows = [], [], [], []
    for _ in range(rounds):  # interleaved, so that machine noise hits all alike
        empty.append(_run_child(["empty", db])["start_to_frame"])
        polist.append(_run_child(["polist", db, "0"])["start_to_frame"])
        console = _run_child(["console", db])
        shell.append(console["start_to_frame"])
        rows.append(console["rows_frame"] - console["first_frame"] + console["start_to_frame"])
    empty_s, polist_s = statistics.median(empty), statistics.median(polist)
    shell_s, rows_s = statistics.median(shell), statistics.median(rows)
    keys = _run_child(["polist-keys", db, "100" if quick else "400"], timeout=600)
    stock = _run_child(["datatable", db], timeout=600)["start_to_frame"]

    lines = [
        f"# empty Textual app: process start → first frame {empty_s:.3f} s (median of {rounds})",
        f"# stock DataTable with every PO: start → first frame with rows {stock:.2f} s",
        f"# PO list: start → first frame with PO rows {polist_s:.3f} s",
        f"# posync console: start → shell {shell_s:.3f} s, → first PO rows {rows_s:.3f} s",
        line("console_first_frame", shell_s, "s", "<=", 1.6 * empty_s),
        line("console_first_frame_with_po_rows", rows_s, "s", "<=", 3 * empty_s),
        line("po_list_first_frame", polist_s, "s", "<=", 3 * empty_s),
        line("po_list_first_frame_vs_datatable", polist_s / stock, "ratio", "<=", 1),
    ]
    timings = keys["keys"]
    for kind in ("down", "pagedown", "end", "home", "mark"):
        lines.append(line(f"key_{kind}_median", statistics.median(timings[kind]), "ms", "<=", 5))
        lines.append(line(f"key_{kind}_p99", _p99(timings[kind]), "ms", "<=", 16))
    lines.append(line("sort_frame_median", statistics.median(timings["sort"]), "ms", "<=", 16))
    lines.append(
        line("filter_keystroke_frame_median", statistics.median(timings["filter"]), "ms", "<=", 20)
    )
    lines.append(f"# filter keystroke → frame p99 {_p99(timings['filter']):.1f} ms")
    lines.append(line("po_list_rss_100k", keys["VmHWM"], "MB", "<=", 150))
    return lines
