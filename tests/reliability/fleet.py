"""The delivering posync processes of the crash test: started, killed, paused and resumed.

Each ``Deliverer`` runs ``python -m tests.reliability.deliverer`` in a process of its own, its
output in a log file. ``until`` waits on a condition, with a generous bound,
never for a fixed time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def until(condition: Callable[[], object], bound: float, what: str, poll: float = 0.1) -> None:
    """Return once ``condition()`` is true; fail after ``bound`` seconds saying ``what``."""
    deadline = time.monotonic() + bound
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {bound:g} s: {what}")
        time.sleep(poll)


class Deliverer:
    """One posync process delivering the outbox: a worker, or a console that did Upload All."""

    def __init__(self, env: dict[str, str], log: Path, claim_seconds: float, upload_all: bool):
        self.log = log
        self.role = "console" if upload_all else "worker"
        self.starts = 0
        self._args = [sys.executable, "-m", "tests.reliability.deliverer", f"{claim_seconds:g}"]
        self._args += ["--upload-all"] if upload_all else []
        # The world's POSYNC_* variables only, none of the test's own.
        self._env = {k: v for k, v in os.environ.items() if not k.startswith("POSYNC_")} | env
        self._process: subprocess.Popen | None = None
        self._log_from = 0
        self.start()

    def start(self) -> None:
        self.starts += 1
        with self.log.open("a") as out:
            out.write(f"--- start {self.starts} at {time.strftime('%H:%M:%S')}\n")
            out.flush()
            self._log_from = out.tell()
            self._process = subprocess.Popen(
                self._args, cwd=ROOT, env=self._env, stdout=out, stderr=subprocess.STDOUT
            )

    @property
    def origin(self) -> str | None:
        """The lease holder this run of the process is (it prints it first), once it has."""
        for line in self.output().splitlines():
            if line.startswith("origin="):
                return line.removeprefix("origin=")
        return None

    def output(self) -> str:
        """What this run of the process wrote so far."""
        with self.log.open() as f:
            f.seek(self._log_from)
            return f.read()

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def kill(self) -> None:
        """SIGKILL: nothing of the process runs after it, no lease is given back."""
        assert self._process is not None
        self._process.kill()
        self._process.wait(timeout=60)

    def restart(self) -> None:
        self.kill()
        self.start()

    def pause(self) -> None:
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)

    def stop(self) -> None:
        """SIGTERM, as an operator stops a worker; SIGKILL if it does not end."""
        if not self.alive():
            return
        assert self._process is not None
        self.resume()  # a paused process cannot end
        self._process.terminate()
        try:
            self._process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill()

    def _signal(self, signum: int) -> None:
        assert self._process is not None
        self._process.send_signal(signum)
