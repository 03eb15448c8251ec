"""Hostile partner and operator text through every screen and toast of the console.

A vendor name, a PO note, an item, a supplier line, a notification and a connector's error hold
Rich markup, terminal escape sequences (set the title, clear the screen, CSI as one C1
character), a bidi override and NUL. The console must not crash, the frames it draws must hold
no control character (nothing the terminal would obey: Textual adds its own sequences around
the segments' text), and the markup must show as text.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

from textual.widgets import TabbedContent

from posync_tui.models import (
    AuditEntry,
    ConnectorState,
    Item,
    NotificationKind,
    PurchaseOrder,
    PurchaseOrderLine,
    SyncNotification,
    Vendor,
)
from screens.connectors import ConnectorsScreen
from screens.help import HelpScreen
from screens.notifications import NotificationDetail
from screens.po_detail import PurchaseOrderDetail
from screens.vendor_form import VendorForm
from tests.console import console_app, settled

HOSTILE = "[red]x[/] check [/] carton \x1b]0;pwned\x07\x1b[2J\x9b2J \u202eevil\u2069\x00."
# Every C0 control but none of them obeyed, DEL and C1, bidi overrides and isolates, surrogates.
OBEYED = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
ACCOUNT = "ACC [/]\x1b[2J\u202e"  # shown in an Input
TEXTUAL_SEQUENCE = re.compile(r"\x1b\[[0-9;]*[mH]")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def seed_hostile(db) -> int:
    """One vendor, item, PO, line, audit entry, notification and failing connector, each
    carrying ``HOSTILE``; the PO's id."""
    with db.session() as s:
        vendor = Vendor(code="EVIL", name=f"Acme {HOSTILE}", supplier_account=ACCOUNT)
        s.add(vendor)
        s.flush()
        item = Item(sku="ZZ[/]2\x1b[2J", description=f"Bolt {HOSTILE}", vendor_id=vendor.id)
        s.add(item)
        s.flush()
        po = PurchaseOrder(
            number="PO-1 [/]\x1b[2J",  # from the supplier
            vendor_id=vendor.id,
            reference="REF [/]\x1b]0;t\x07",
            notes=HOSTILE,
            auto_sync=True,
            last_sync_error=f"supplier said: {HOSTILE}",
            total=Decimal("12.00"),
            line_count=1,
        )
        s.add(po)
        s.flush()
        line = PurchaseOrderLine(
            po_id=po.id,
            line_no=1,
            item_id=item.id,
            description=f"Line {HOSTILE}",
            quantity_ordered=Decimal(1),
            unit_cost=Decimal("12.00"),
        )
        s.add(line)
        s.flush()
        s.add(
            AuditEntry(
                at=T0,
                record_kind="purchase_order_line",
                record_id=line.id,
                po_id=po.id,
                field="description",
                old_value=HOSTILE,
                new_value=f"Line {HOSTILE}",
                source="supplier-sync",
            )
        )
        s.add(
            SyncNotification(
                created_at=T0,
                kind=NotificationKind.SYNC_ERROR,
                vendor_id=vendor.id,
                po_id=po.id,
                message=f"order SO-9: {HOSTILE}",
            )
        )
        s.add(
            ConnectorState(
                name="supplier",
                consecutive_failures=2,
                last_error=f"HTTP 500: {HOSTILE}",
                last_attempt_at=T0,
            )
        )
        return po.id


def frame(app) -> tuple[str, str]:
    """The current screen's full frame: the text of its segments (a line per row), and what
    Textual would write to the terminal for it."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    text = "\n".join(
        "".join(segment.text for strip in line for segment in strip) for line in update.strips
    )
    return text, update.render_segments(app.console)


def assert_safe(app, *, shows_markup: bool = True) -> None:
    name = type(app.screen).__name__
    text, written = frame(app)
    obeyed = sorted({f"U+{ord(c):04X}" for line in text.split("\n") for c in OBEYED.findall(line)})
    assert not obeyed, f"{name} draws {obeyed}"
    # What Textual itself writes around the text: colours and styles, cursor moves, new lines.
    foreign = OBEYED.findall(TEXTUAL_SEQUENCE.sub("", written).replace("\n", ""))
    assert not foreign, f"{name} writes {sorted(set(foreign))}"
    if shows_markup:
        assert "[/]" in text, f"{name} hides the markup"
        assert "␛" in text, f"{name} hides the escape"


async def test_hostile_text_shows_literally_and_never_reaches_the_terminal(db):
    po_id = seed_hostile(db)
    app = console_app(db)
    async with app.run_test(size=(200, 50), notifications=True) as pilot:
        await settled(pilot)
        assert_safe(app)  # the PO list: vendor name, note

        app.open_purchase_order(po_id)
        await settled(pilot)
        detail = app.screen
        assert isinstance(detail, PurchaseOrderDetail) and detail.detail is not None
        assert_safe(app)  # banner (last sync error), header fields, lines
        tabs = detail.query_one("#tabs", TabbedContent)
        for tab in ("audit-tab", "notices-tab", "accounting-tab", "lines-tab"):
            tabs.active = tab
            await settled(pilot)
            assert_safe(app, shows_markup=tab != "accounting-tab")

        grid = detail.query_one("FieldGrid")
        grid.focus()
        grid.move_to("notes")
        await pilot.press("enter")  # the note in the inline editor
        await settled(pilot)
        assert detail.query_one("EditBar").is_open
        assert_safe(app)
        await pilot.press("escape")

        app.notify(f"toast {HOSTILE}", title=f"title {HOSTILE}")
        await settled(pilot)
        assert_safe(app)
        assert "toast [red]x[/] check" in frame(app)[0]
        app.clear_notifications()
        await pilot.press("escape")
        await settled(pilot)

        await pilot.press("v")
        await settled(pilot)
        assert_safe(app)  # the vendor list
        app.screen.body.table.focus()
        await pilot.press("E")
        await settled(pilot)
        assert isinstance(app.screen, VendorForm)
        assert_safe(app)
        assert "ACC [/]␛[2J�" in frame(app)[0]
        await pilot.press("escape")
        await settled(pilot)

        await pilot.press("n")
        await settled(pilot)
        assert_safe(app)  # the notification list and the cursor's message
        app.screen.body.focus_table()
        await pilot.press("enter")
        await settled(pilot)
        assert isinstance(app.screen, NotificationDetail)
        assert_safe(app)
        await pilot.press("escape")
        await settled(pilot)

        await pilot.press("a")
        await settled(pilot)
        queues = app.screen.query_one("#queues", TabbedContent)
        for tab in ("supplier_invoices", "purchase_orders", "errors_supplier_invoices",
                    "errors_purchase_orders", "contacts"):  # fmt: skip
            queues.active = tab
            await settled(pilot)
            assert_safe(app, shows_markup=tab == "contacts")  # the vendor, not linked yet

        await pilot.press("e")
        await settled(pilot)
        assert isinstance(app.screen, ConnectorsScreen)
        assert_safe(app)  # the supplier's last error
        await pilot.press("escape")
        await pilot.press("question_mark")
        await settled(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert_safe(app, shows_markup=False)


async def test_a_note_with_markup_is_saved_and_told_in_a_toast(db):
    """`check [/] carton` typed in a PO note used to kill the console (MarkupError in the
    "Saved" toast)."""
    po_id = seed_hostile(db)
    app = console_app(db)
    async with app.run_test(size=(200, 50), notifications=True) as pilot:
        await settled(pilot)
        app.open_purchase_order(po_id)
        await settled(pilot)
        detail = app.screen
        grid = detail.query_one("FieldGrid")
        grid.focus()
        grid.move_to("reference")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.press("ctrl+u", *"check [/] carton", "enter")
        await settled(pilot)
        assert app.is_running and app.screen is detail
        assert "Saved: reference = check [/] carton" in frame(app)[0]
    with db.reader() as s:
        assert s.get(PurchaseOrder, po_id).reference == "check [/] carton"


async def test_a_hostile_hit_in_the_command_palette_shows_as_text(db):
    """A PO's hit names its vendor in the help line, which Textual reads as markup."""
    seed_hostile(db)
    app = console_app(db)
    async with app.run_test(size=(200, 50)) as pilot:
        await settled(pilot)
        await pilot.press("ctrl+p", *"PO-1")
        await settled(pilot)
        assert "purchase order · Acme [red]x[/]" in frame(app)[0]
        assert_safe(app)
