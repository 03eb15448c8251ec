"""Batch runs: Send, Receive Updates, Commit and Update From Source, in the background.

``BatchRuns`` lives in the Batches area's body, not on a batch's screen, so a run keeps going
while the operator leaves the batch, opens another tab or another area. One run per batch at a
time. A run is a thread worker calling the warehouse service with a progress callback; the
callback posts ``_Progress`` (a burst collapses to the newest), and every start, progress and end
is published on ``changed`` for whoever shows it (the progress line above the tabs, the batch's
screen). The result arrives as a notification, naming the batch.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from textual import on, work
from textual.content import Content
from textual.message import Message
from textual.signal import Signal
from textual.widget import Widget
from textual.widgets import Static

from posync_tui import timefmt
from posync_tui.delivery import outbox_connector
from posync_tui.failures import plain
from posync_tui.models import utcnow
from posync_tui.services import (
    warehouse_commit,
    warehouse_receive,
    warehouse_send,
    warehouse_update,
)
from screens.safe_text import safe

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel

    from posync_tui.runtime import Runtime

# stage → (what the operator pressed, the progress line's verb)
STAGES = {
    "send": ("Send", "Sending"),
    "receive": ("Receive Updates", "Receiving"),
    "commit": ("Commit", "Committing"),
    "update": ("Update From Source", "Updating from source"),
}


@dataclass(frozen=True)
class Run:
    batch_id: int
    batch_name: str
    stage: str  # a key of STAGES
    done: int = 0
    total: int = 0
    finished: bool = False

    @property
    def words(self) -> str:
        verb = STAGES[self.stage][1]
        return f"{verb} {self.batch_name}: {self.done:,}/{self.total:,} lines"


class BatchRuns(Widget):
    """The batch runs under way (by batch id) and the signal that tells of each step."""

    DEFAULT_CSS = "BatchRuns { display: none; }"

    @dataclass
    class _Progress(Message):
        batch_id: int
        done: int
        total: int

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, BatchRuns._Progress) and message.batch_id == self.batch_id

    @dataclass
    class _Finished(Message):
        batch_id: int
        summary: str
        severity: str

    def __init__(self) -> None:
        super().__init__()
        self.rt: Runtime | None = None
        self.running: dict[int, Run] = {}
        self._sending: dict[int, list[int]] = {}  # a send's outbox messages, by batch
        self._following: set[int] = set()  # sends another run is delivering
        self.ended: dict[int, str] = {}  # how each batch's last run ended, in words
        self.changed: Signal[Run] = Signal(self, "batch-run")

    def start(
        self, batch_id: int, batch_name: str, stage: str, total: int, line_ids: list[int] | None
    ) -> bool:
        """Start ``stage`` on the batch (only ``line_ids`` when given); False if one runs."""
        if self.rt is None or batch_id in self.running:
            return False
        run = Run(batch_id, batch_name, stage, 0, total)
        self.running[batch_id] = run
        self.changed.publish(run)
        if stage == "send":
            self._send(run, line_ids)
        else:
            self._run(run, line_ids)
        return True

    def _progress_of(self, batch_id: int):
        def progress(done: int, total: int) -> None:
            self.post_message(self._Progress(batch_id, done, total))

        return progress

    @work(group="batch-run", exit_on_error=False)
    async def _run(self, run: Run, line_ids: list[int] | None) -> None:
        """Receive Updates, Commit or Update From Source: the service's network calls on the
        loop (async), its database work in threads."""
        rt, progress = self.rt, self._progress_of(run.batch_id)
        assert rt is not None
        try:
            if run.stage == "receive":
                result = await warehouse_receive.receive_updates(
                    rt, run.batch_id, line_ids, progress=progress
                )
                failed = bool(result.missing)
            elif run.stage == "commit":
                result = await asyncio.to_thread(
                    warehouse_commit.commit_batch, rt.db, run.batch_id, line_ids, progress=progress
                )
                failed = bool(result.short)
            else:
                result = await warehouse_update.update_from_source(
                    rt, run.batch_id, progress=progress
                )
                failed = bool(result.refused)
        except Exception as exc:  # noqa: BLE001 - shown; the lines say how far it got
            self._finish(run.batch_id, f"{STAGES[run.stage][0]} stopped: {plain(exc)}", "error")
            return
        self._finish(run.batch_id, result.summary, "warning" if failed else "information")

    @work(group="batch-run", exit_on_error=False)
    async def _send(self, run: Run, line_ids: list[int] | None) -> None:
        """Send: the lines are queued (in a thread); the holder of the "warehouse" lease sends
        them — this console's scheduler runs its job now if it may, else the process holding
        the lease picks them up. Progress follows the outbox as its changes arrive."""
        rt = self.rt
        assert rt is not None
        try:
            queued = await asyncio.to_thread(
                warehouse_send.enqueue_send, rt.db, run.batch_id, line_ids
            )
        except Exception as exc:  # noqa: BLE001 - nothing was queued
            self._finish(run.batch_id, f"Send stopped: {plain(exc)}", "error")
            return
        if not queued.queued:
            self._finish(run.batch_id, "No staged or failed line to send.", "warning")
            return
        self._sending[run.batch_id] = queued.message_ids
        self.post_message(self._Progress(run.batch_id, 0, queued.queued))
        scheduler = getattr(self.app, "scheduler", None)
        if scheduler is None or "warehouse" not in scheduler.jobs:
            words = f"{queued.queued:,} line(s) queued: the process running Ovotrack sends them"
            self._finish(run.batch_id, words, "information")
            return
        outcome = await scheduler.run_now("warehouse")
        if outcome.status == "busy":
            # A run under way here sends them too: the outbox changes finish this one.
            self._following.add(run.batch_id)
            self._read_sent({run.batch_id: queued.message_ids})
            return
        if outcome.status == "skipped":
            leader = outcome.leader or "another process"
            words = f"{queued.queued:,} line(s) queued: {leader} runs Ovotrack and sends them"
            self._finish(run.batch_id, words, "information")
        elif outcome.status == "ok":
            failed = "failed" in outcome.summary
            self._finish(run.batch_id, outcome.summary, "warning" if failed else "information")
        else:  # failed or lost: the lines stay queued and go out on the next run
            words = f"Send stopped: {outcome.summary}. The lines go out on the next run."
            self._finish(run.batch_id, words, "error")

    def on_change(self, kind: str) -> None:
        """An outbox change: how far the sends under way have come (read in a thread)."""
        if self._sending and outbox_connector(kind) == "warehouse":
            self._read_sent(dict(self._sending))

    @work(thread=True, exclusive=True, group="batch-run-progress", exit_on_error=False)
    def _read_sent(self, sending: dict[int, list[int]]) -> None:
        assert self.rt is not None
        for batch_id, message_ids in sending.items():
            done = warehouse_send.settled(self.rt.db, message_ids)
            self.post_message(self._Progress(batch_id, done, len(message_ids)))

    def _finish(self, batch_id: int, summary: str, severity: str) -> None:
        self.post_message(self._Finished(batch_id, summary, severity))

    @on(_Progress)
    def _progress(self, message: _Progress) -> None:
        run = self.running.get(message.batch_id)
        if run is not None:
            run = replace(run, done=message.done, total=message.total)
            self.running[message.batch_id] = run
            self.changed.publish(run)
            if run.batch_id in self._following and run.done >= run.total:
                words = f"{run.total:,} line(s) sent to Ovotrack or failed (see the batch)"
                self._finish(run.batch_id, words, "information")

    @on(_Finished)
    def _finished(self, message: _Finished) -> None:
        self._sending.pop(message.batch_id, None)
        self._following.discard(message.batch_id)
        run = self.running.pop(message.batch_id, None)
        if run is None:
            return
        ended = f"{STAGES[run.stage][0]} ended {timefmt.local_time(utcnow())}: {message.summary}"
        self.ended[run.batch_id] = ended
        self.changed.publish(replace(run, finished=True))
        severity: SeverityLevel = message.severity  # type: ignore[assignment]
        # A failure stays until read: the operator may be busy elsewhere when it comes.
        timeout = 30 if severity == "error" else 8
        self.app.notify(message.summary, title=run.batch_name, severity=severity, timeout=timeout)


class RunProgress(Static):
    """One line above the tabs: the run under way (what it does, how far it is, a bar) — on a
    batch's screen, when none runs, how its last run ended. In the Batches area (any batch) the
    line shows only while a run is under way.

    One Static updated without layout: a run updates it every few hundred ms, and a screen
    layout per step would stall the console (and Textual's ProgressBar keeps a timer and three
    widgets for what one line of text shows)."""

    DEFAULT_CSS = """
    RunProgress {
        height: 1; display: none; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    RunProgress.-running, RunProgress.-batch { display: block; }
    """
    BAR_WIDTH = 20

    def __init__(self, runs: BatchRuns, batch_id: int | None = None):
        super().__init__("", classes="-batch" if batch_id is not None else "")
        self.runs = runs
        self.batch_id = batch_id  # only this batch's run (on its screen); None: any run

    def on_mount(self) -> None:
        self.runs.changed.subscribe(self, self._show)
        self._show(None)

    def _show(self, _run: Run | None) -> None:
        mine = [r for r in self.runs.running.values() if self.batch_id in (None, r.batch_id)]
        if self.batch_id is None:
            self.set_class(bool(mine), "-running")  # the area's line: only while one runs
        if mine:
            more = f" (+{len(mine) - 1} more)" if len(mine) > 1 else ""
            shown = safe(mine[0].words + more, one_line=True) + Content(" ") + bar(mine[0])
        else:
            ended = self.runs.ended.get(self.batch_id) if self.batch_id is not None else None
            shown = safe(ended, one_line=True) if ended else Content("No run under way.")
        self.update(shown, layout=False)


def bar(run: Run, width: int = RunProgress.BAR_WIDTH) -> Content:
    """How far ``run`` is: a bar of ``width`` cells and the percentage."""
    share = min(1.0, run.done / run.total) if run.total else 0.0
    filled = round(share * width)
    return Content.assemble(
        ("━" * filled, "$accent"), ("━" * (width - filled), "$foreground 20%"), f" {share:4.0%}"
    )
