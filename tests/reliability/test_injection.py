"""Nothing injected: hostile partner and operator text through every screen of the console.

The demo data set (every flow: vendors, POs, sales orders, batches, EDI documents, QuickBooks
mappings, P21 backorders) has a hostile payload appended to EVERY free-text column of EVERY
table, then the console is driven headless through each area, each tab, each detail screen,
form, dialog, toast, the command palette and the help. What the app's driver writes to the
terminal is captured (a driver that records instead of discarding) and must hold only the
sequences Textual itself makes (colours, cursor moves): no OSC, no other ESC, no C0 or C1
control, no BEL; the payload never appears raw, its markup shows literally, and the console
never crashes. ``tests/test_hostile_text.py`` checks the same on hand-picked fields; this is
the sweep over every column and screen.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel, select
from textual.drivers import headless_driver
from textual.widgets import TabbedContent, TabPane

from posync_tui.demo_data import seed_demo
from posync_tui.models import ConnectorState, NotificationKind, PurchaseOrder, SyncNotification
from posync_tui.services.warehouse_batches import import_batch
from tests.console import configured_settings, console_app, settled
from tests.reliability.scale import pick

# One payload holding every kind of attack the terminal or Rich could obey.
PIECES = {
    "markup close": "[/]",
    "markup style": "[bold red]red[/bold red]",
    "markup link": "[link=https://evil.example/]click[/link]",
    "markup action": "[@click=app.quit]quit[/]",
    "variable": "[$accent]v",
    "OSC 0 title (BEL)": "\x1b]0;pwned\x07",
    "OSC 2 title (ST)": "\x1b]2;pwned2\x1b\\",
    "OSC 8 hyperlink": "\x1b]8;;https://evil.example\x1b\\x\x1b]8;;\x1b\\",
    "OSC 52 clipboard": "\x1b]52;c;cm0gLXJmIC8K\x07",
    "CSI clear": "\x1b[2J\x1b[H",
    "CSI colour": "\x1b[31m",
    "C1 CSI": "\x9b2J",
    "C1 OSC": "\x9d0;c1\x9c",
    "BEL": "\x07",
    "backspace": "ab\x08\x08",
    "carriage return": "over\rwrite",
    "NUL and DEL": "\x00\x7f",
    "bidi override": "\u202eevil\u202c",
    "bidi isolate": "\u2066iso\u2069",
    "zero-width": "z\u200bw\u200dj\ufeff",
    "emoji": "📦👩‍👩‍👧",
}
PAYLOAD = " " + "".join(PIECES.values())
LONG = "long " * 400  # 2,000 characters in a few fields
RAW = ("\x1b]0;pwned", "\x1b]2;pwned2", "\x1b[2J", "\x9b2J", "\x1b]52;")

SIZES = [(160, 50), (80, 24)][: pick(1, 2)]  # the full run adds the smallest terminal
# Columns the machine owns (states, keys, JSON the code parses, enums): not free text.
MACHINE = {
    "record_kind", "partner_kind", "kind", "status", "connector", "payload", "cursor", "ids",
    "origin", "idempotency_key", "installation_id", "key", "value", "claimed_by", "leader",
    "edi_submit_status", "edi_accept_status", "warehouse_interface_status", "special_order_type",
    "currency", "message_type", "stage", "field", "direction", "integration", "entity",
    "error_code", "accounting_error_code", "terms_identifier", "serials", "tracking_numbers",
    "over_despatch", "entry_key", "field_path",
}  # fmt: skip
# Free text that is often empty: set where it is (an error, a note), so the screens show it.
FILL_EMPTY = {
    ("purchase_order", "notes"), ("purchase_order", "last_sync_error"),
    ("purchase_order", "accounting_error"), ("purchase_order", "edi_submit_error"),
    ("purchase_order", "reference"), ("edi_document", "error"), ("vendor_bill", "held_reason"),
    ("outbox_message", "last_error"), ("warehouse_commit_message", "message"),
}  # fmt: skip
LONG_TEXT = {("purchase_order", "notes"), ("edi_document", "error"), ("feed_quarantine", "raw")}

# What Textual writes around the text: SGR colours/styles, cursor positioning, synchronized
# output, the Kitty pointer shape. Anything else with ESC, any C0 but LF, any C1 is foreign.
TEXTUAL_SEQUENCE = re.compile(
    r"\x1b\[[0-9;:]*m|\x1b\[[0-9]*;?[0-9]*H|\x1b\[\?2026[hl]|\x1b\]22;[a-z-]+\x07"
)
FOREIGN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def seed(db) -> None:
    """The demo data set, a warehouse batch staged and a notification of every kind."""
    seed_demo(db)
    import_batch(db, datetime(2000, 1, 1, tzinfo=UTC))
    with db.session() as s:
        po = s.exec(select(PurchaseOrder).limit(1)).one()
        for kind in NotificationKind:
            s.add(SyncNotification(kind=kind, vendor_id=po.vendor_id, po_id=po.id, message=kind))


def poison(db) -> tuple[int, int]:
    """Append ``PAYLOAD`` to every free-text column of every table; (columns, values) touched."""
    columns = values = 0
    with db.engine.begin() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for column in table.columns:
                free_text = isinstance(column.type, sa.Text) or type(column.type).__name__ == (
                    "AutoString"
                )
                if not free_text or column.name in MACHINE or table.name == "change_log":
                    continue
                if (table.name, column.name) == ("connector_state", "name"):
                    continue
                text = LONG + PAYLOAD if (table.name, column.name) in LONG_TEXT else PAYLOAD
                value = column + sa.literal(text)
                if (table.name, column.name) in FILL_EMPTY:
                    value = sa.func.coalesce(column, "") + sa.literal(text)
                    where = sa.true()
                else:
                    where = column.is_not(None)
                done = conn.execute(table.update().where(where).values({column: value}))
                columns += 1
                values += done.rowcount
    with db.session() as s:
        for name in ("quickbooks", "supplier", "p21"):
            s.add(
                ConnectorState(name=name, consecutive_failures=3, last_error=f"{name}: {PAYLOAD}")
            )
    return columns, values


class WritingDriver(headless_driver.HeadlessDriver):
    """The test driver, except that the app writes its frames to it (Textual skips writing to a
    headless driver) and it keeps what was written."""

    written: list[str]

    @property
    def is_headless(self) -> bool:
        return False

    def write(self, data: str) -> None:
        self.written.append(data)


@pytest.fixture
def writing_driver(monkeypatch):
    written: list[str] = []
    monkeypatch.setattr(WritingDriver, "written", written, raising=False)
    monkeypatch.setattr(headless_driver, "HeadlessDriver", WritingDriver)
    return written


class Sweep:
    """Visits screens and checks what each one made the driver write."""

    def __init__(self, app, pilot, written: list[str]):
        self.app, self.pilot, self.written = app, pilot, written
        self.visited: list[str] = []
        self.markup_seen = 0

    async def check(self, where: str) -> None:
        # Everything drawn since the last check, in full for a screen just shown.
        await settled(self.pilot)
        assert self.app.is_running, f"the console stopped at {where}"
        out = "".join(self.written)
        self.written.clear()
        for raw in RAW:
            assert raw not in out, f"{where}: {raw!r} written raw"
        foreign = FOREIGN.findall(TEXTUAL_SEQUENCE.sub("", out))
        assert not foreign, f"{where} writes {sorted({f'U+{ord(c):04X}' for c in foreign})}"
        if "[@click=app.quit]" in out:
            self.markup_seen += 1
        self.visited.append(f"{where} ({type(self.app.screen).__name__})")

    async def tabs(self, where: str, *, open_rows: bool = False) -> None:
        """The screen, then each tab of each TabbedContent on it; with ``open_rows``, in each
        the detail that ``enter`` on the first row of its table opens."""
        await self.check(where)
        if open_rows:
            await self.open_first_row(where)
        for tabbed in list(self.app.screen.query(TabbedContent)):
            for pane in list(tabbed.query(TabPane)):
                if pane.id and pane.id != tabbed.active:
                    tabbed.active = pane.id
                    await self.check(f"{where} › {pane.id}")
                    if open_rows:
                        await self.open_first_row(f"{where} › {pane.id}")

    async def press(self, *keys: str) -> None:
        await self.pilot.press(*keys)
        await settled(self.pilot)

    async def back_to(self, depth: int) -> None:
        while len(self.app.screen_stack) > depth:
            self.app.pop_screen()
            await settled(self.pilot)

    async def open_first_row(self, where: str) -> None:
        shown = [t for t in self.app.screen.query("PagedTable, DataTable") if t.region.area]
        if not shown:
            return
        depth, mode = len(self.app.screen_stack), self.app.current_mode
        shown[0].focus()
        await self.press("enter")
        if len(self.app.screen_stack) > depth or self.app.current_mode != mode:
            await self.tabs(f"{where} › row")
        if self.app.current_mode != mode:  # a PO opened from another area: back there
            await self.back_to(1)
            await self.app.switch_mode(mode)
            await settled(self.pilot)
        await self.back_to(depth)


# The whole console, every screen: ~35 s of CPU; on a machine shared by several runs, more wall.
@pytest.mark.timeout(300)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_hostile_text_in_every_column_never_reaches_the_terminal(db, writing_driver, size):
    seed(db)
    columns, values = poison(db)
    app = console_app(db, settings=configured_settings())
    async with app.run_test(size=size, notifications=True) as pilot:
        sweep = Sweep(app, pilot, writing_driver)
        await sweep.check("start")
        for key, area in (("p", "purchase orders"), ("v", "vendors"), ("n", "notifications"),
                          ("b", "batches"), ("a", "accounting"), ("d", "EDI documents"),
                          ("T", "purchase target lines"), ("comma", "settings")):  # fmt: skip
            await sweep.press(key)
            await sweep.tabs(area, open_rows=True)
        await sweep.press("question_mark")
        await sweep.check("help")
        await sweep.press("escape")
        await sweep.press("e")
        await sweep.check("connectors")
        await sweep.press("escape")

        # Forms and dialogs holding partner text.
        await sweep.press("v")
        app.screen.body.table.focus()
        await sweep.press("E")
        await sweep.check("vendor form")
        await sweep.press("escape")
        await sweep.press("b")
        app.screen.query_one("#wh-tabs", TabbedContent).active = "master_data"
        await sweep.press("d")
        await sweep.check("warehouse divisions")
        await sweep.press("escape")
        await sweep.press("p")
        await sweep.press("N")
        await sweep.check("new PO form")
        await sweep.press("escape")
        await sweep.back_to(1)

        # Toasts and titles quoting partner text; the command palette's hits.
        app.notify("QuickBooks said:" + PAYLOAD, title="P21" + PAYLOAD, severity="error")
        await sweep.check("toast")
        app.clear_notifications()
        await sweep.press("ctrl+p", *"At")
        await sweep.check("command palette")
        await sweep.press("escape")
        await sweep.press("slash", *"[/")
        await sweep.check("filter box")
        await sweep.press("escape")
        assert app.is_running

    print(
        f"injection at {size[0]}x{size[1]}: {len(sweep.visited)} screens × {len(PIECES)} "
        f"hostile strings in {columns} columns ({values} values): 0 injected"
    )
    assert sweep.markup_seen >= 5, "the markup shows literally on the screens that show it"
