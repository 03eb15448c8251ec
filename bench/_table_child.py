"""The app bench_table runs in a pseudo-terminal: ``python -m bench._table_child MODE DB OUT``.

MODE ``empty``: an empty Textual app; ``datatable``: a stock DataTable holding every PO;
``polist``: the PO list; ``console``: the real console (``posync``). Each writes, as JSON to
OUT, the wall-clock time of its first frame with content, and for ``polist`` key → frame times
measured from posting the key event (as the terminal driver does) to the frame the app writes to
the terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import sys
import time

_started = time.time()

from textual import events  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.keys import _character_to_key  # noqa: E402
from textual.widgets import DataTable, Static  # noqa: E402


class Timed(App):
    """An app that notes when it writes a frame."""

    def __init__(self, out: str):
        super().__init__()
        self.out = out
        self.results: dict = {"imported": _started}
        self.frame_at: float | None = None
        self._frame = asyncio.Event()

    def _display(self, screen, renderable) -> None:
        super()._display(screen, renderable)
        if renderable is not None:
            self.results.setdefault("any_frame", time.time())
            self.frame_at = time.perf_counter()
            self._frame.set()
            if "first_frame" not in self.results and self.has_content():
                self.results["first_frame"] = time.time()
                # A task of its own: the app's message loop must keep running meanwhile.
                self.run_worker(self.after_first_frame(), exit_on_error=False)

    def has_content(self) -> bool:
        return True

    async def after_first_frame(self) -> None:
        self.finish()

    def finish(self) -> None:
        with open("/proc/self/status") as status:
            for text in status:
                if text.startswith(("VmRSS", "VmHWM")):
                    self.results[text.split(":")[0]] = int(text.split()[1]) / 1024
        with open(self.out, "w") as out:
            json.dump(self.results, out)
        self.exit()

    async def key_to_frame(self, key: str, ready=lambda: True) -> float:
        """Post a key as the driver would; time until a frame is written with ``ready()``."""
        self._frame.clear()
        started = time.perf_counter()
        char = {"space": " ", "slash": "/"}.get(key, key if len(key) == 1 else None)
        if len(key) == 1 and not key.isalnum():
            key = _character_to_key(key)
        event = events.Key(key, char)
        event.set_sender(self)
        self._driver.send_message(event)  # what the terminal driver does with a key read
        while True:
            await asyncio.wait_for(self._frame.wait(), 10)
            self._frame.clear()
            if ready():
                return (self.frame_at - started) * 1000


class Empty(Timed):
    def compose(self) -> ComposeResult:
        yield Static("posync")


class StockTable(Timed):
    def __init__(self, out: str, db: str):
        super().__init__(out)
        self.db = db

    def compose(self) -> ComposeResult:
        yield DataTable()

    def on_mount(self) -> None:
        import sqlite3

        conn = sqlite3.connect(self.db)
        rows = conn.execute(
            "SELECT po.number, v.name, po.status, po.auto_sync, po.last_synced_at,"
            " po.line_count, po.total / 10000.0 FROM purchase_order po"
            " JOIN vendor v ON v.id = po.vendor_id ORDER BY po.number"
        ).fetchall()
        table = self.query_one(DataTable)
        table.add_columns("PO", "Vendor", "Status", "Auto", "Last synced", "Lines", "Total")
        table.add_rows(rows)

    def has_content(self) -> bool:
        return self.query_one(DataTable).row_count > 0


class PoList(Timed):
    def __init__(self, out: str, db: str, measure: bool, repeat: int):
        super().__init__(out)
        self.db, self.measure, self.repeat = db, measure, repeat

    def compose(self) -> ComposeResult:
        from screens.purchase_orders import PurchaseOrders

        yield PurchaseOrders()

    def on_mount(self) -> None:
        from screens.purchase_orders import PurchaseOrders

        body = self.query_one(PurchaseOrders)
        body.focus_table()
        self.table = body.table
        self.run_worker(self.open_database, thread=True, exit_on_error=False)

    def open_database(self) -> None:
        """As the console does: the database is opened in a thread after the first frame."""
        from posync_tui.db import Database

        self.results["db_imported"] = time.time()
        db = Database(f"sqlite:///{self.db}")
        self.results["db_open"] = time.time()
        self.call_from_thread(self.attach, db)

    def attach(self, db) -> None:
        self.query_one("PurchaseOrders").open_database(db)
        # What start-up loaded stays: frozen, full collections skip it (a 30-40 ms pause
        # each otherwise). The console should do the same once its runtime is loaded.
        gc.freeze()

    def has_content(self) -> bool:
        return self.table.applied > 0

    async def after_first_frame(self) -> None:
        if self.measure:
            await asyncio.sleep(0.3)  # let start-up work settle
            self.results["keys"] = await self.keys()
        self.finish()

    async def keys(self) -> dict[str, list[float]]:
        timings: dict[str, list[float]] = {}
        n = self.repeat

        async def press(kind: str, key: str, wait_load: bool = False) -> None:
            before = self.table.applied
            ready = (lambda: self.table.applied > before) if wait_load else (lambda: True)
            timings.setdefault(kind, []).append(await self.key_to_frame(key, ready))
            await asyncio.sleep(0.025)  # keys at most 40/s: past the 60 fps refresh tick

        for _ in range(n):
            await press("down", "down")
        for _ in range(n // 2):
            await press("pagedown", "pagedown")
        for _ in range(n // 4):
            await press("end", "end")
            await press("home", "home")
        for _ in range(n // 2):
            await press("mark", "space")
        await press("pagedown", "pagedown")
        for _ in range(max(2, n // 10)):
            for _ in range(7):  # every column, the cursor kept on its PO
                await press("sort", "s", wait_load=True)
        await self.key_to_frame("slash")
        for text in ("summit", "hin-0012", "0042173", "so1234", "tools"):
            for char in text:
                await press("filter", char, wait_load=True)
            for _ in text:
                await press("filter", "backspace", wait_load=True)
        return timings


def console(out: str) -> None:
    """The real console, started as ``posync`` starts it (``POSYNC_DATABASE_URL`` names the
    database): its shell's first frame, then its first PO rows."""
    from posync_tui import console as posync
    from posync_tui.app import PosyncApp

    results: dict = {"imported": _started}
    display = PosyncApp._display

    def timed_display(self, screen, renderable) -> None:
        display(self, screen, renderable)
        if renderable is None or "rows_frame" in results:
            return
        results.setdefault("first_frame", time.time())
        table = getattr(getattr(self.screen, "body", None), "table", None)
        if table is not None and table.row_count and table.cursor_row is not None:
            results["rows_frame"] = time.time()
            with open(out, "w") as f:
                json.dump(results, f)
            self.exit()

    PosyncApp._display = timed_display
    sys.argv = ["posync"]
    with contextlib.suppress(SystemExit):
        posync.main()  # the `posync` command's entry point


def main() -> None:
    mode, db, out = sys.argv[1:4]
    if mode == "empty":
        app = Empty(out)
    elif mode == "console":
        console(out)
        return
    elif mode == "datatable":
        app = StockTable(out, db)
    else:
        app = PoList(out, db, measure=mode == "polist-keys", repeat=int(sys.argv[4]))
    app.run()


if __name__ == "__main__":
    main()
