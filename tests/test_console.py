"""The console shell as an operator meets it: areas by single keys, help, connectors, counts."""

from __future__ import annotations

from posync_tui.demo_data import seed_demo
from posync_tui.models import ConnectorState, utcnow
from screens.help import HelpScreen
from tests.console import console_app, settled


async def test_areas_are_one_key_away(db):
    seed_demo(db)
    app = console_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        assert app.current_mode == "purchase_orders"
        for key, mode in [
            ("v", "vendors"),
            ("n", "notifications"),
            ("b", "batches"),
            ("a", "accounting"),
            ("p", "purchase_orders"),
        ]:
            await pilot.press(key)
            await settled(pilot)
            assert app.current_mode == mode


async def test_question_mark_lists_every_binding(db):
    app = console_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = " ".join(str(row) for _, rows in app.screen.sections for row in rows)
        for description in ("POs", "Vendors", "Notices", "Accounting", "Connectors", "Quit"):
            assert description in text


async def test_a_failing_connector_is_red_and_its_error_one_key_away(db):
    with db.session() as s:
        s.add(
            ConnectorState(
                name="supplier",
                consecutive_failures=3,
                last_error="supplier did not answer in time",
                last_attempt_at=utcnow(),
            )
        )
    app = console_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        status = app.screen.query_one("StatusLine")
        assert "supplier failed ×3 (e)" in str(status.render())
        await pilot.press("e")
        await settled(pilot)
        error = app.screen.query_one("#error")
        assert "supplier did not answer in time" in str(error.render())


async def test_a_change_reaches_each_screen_once_and_is_not_echoed_back(db):
    from screens.messages import Changed

    app = console_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        broadcast = app._broadcast
        changes: list = []

        def counting(make):
            if isinstance(make(), Changed):
                changes.append(make)
            broadcast(make)

        app._broadcast = counting
        app.post_message(Changed("vendor", (1,)))
        await settled(pilot)
        assert len(changes) == 1


async def test_the_command_palette_jumps_to_a_po_by_part_of_its_number(db):
    from screens.po_detail import PurchaseOrderDetail

    seed_demo(db)
    app = console_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await pilot.press("v")  # from another area
        await settled(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"0000042")
        await settled(pilot)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settled(pilot)
        assert app.current_mode == "purchase_orders"
        assert isinstance(app.screen, PurchaseOrderDetail)


async def test_the_command_palette_jumps_to_a_vendor_by_part_of_its_name(db):
    from screens.vendor_form import VendorForm

    seed_demo(db)
    app = console_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"Golden Egg")
        await settled(pilot)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settled(pilot)
        assert app.current_mode == "vendors"
        assert isinstance(app.screen, VendorForm)
        assert app.screen.vendor.code == "GLDN"


def test_partner_text_in_a_jump_hit_is_not_markup():
    from textual.fuzzy import Matcher

    from screens.palette import highlight

    content = highlight(Matcher("red"), "[red]x[/] Supplies")
    assert content.plain == "[red]x[/] Supplies"


async def test_a_vendors_pos_are_one_key_away_and_the_filter_is_named_in_the_title(db):
    seed_demo(db)
    app = console_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await pilot.press("v")
        await settled(pilot)
        await pilot.press("o")  # the first vendor by code: ATLAS
        await settled(pilot)
        assert app.current_mode == "purchase_orders"
        table = app.screen.body.table
        assert "vendor ATLAS" in str(table.frame.border_title)
        assert table.row_count > 0
        await pilot.press("t")  # status: draft
        await settled(pilot)
        assert "status draft" in str(table.frame.border_title)
        await pilot.press("x")
        await settled(pilot)
        assert "[" not in str(table.frame.border_title)
        assert table.row_count == 320


async def test_an_invalid_config_stops_the_console_with_one_line_per_problem(tmp_path):
    from posync_tui.app import PosyncApp
    from posync_tui.config import load_settings

    config = tmp_path / "bad.toml"
    config.write_text("[supplier]\npoll_interval = 0\n")
    app = PosyncApp(lambda _db: load_settings(config))
    said = []
    exit_app = app.exit
    app.exit = lambda *args, **kw: (said.append(kw.get("message")), exit_app(*args, **kw))
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
    assert app.return_code == 1
    assert said[0].startswith("config error:") and "supplier.poll_interval" in said[0]


async def test_the_key_bar_shows_the_focused_keys_and_a_click_presses_one(db):
    from screens.key_bar import KeyBar

    app = console_app(db)
    async with app.run_test(size=(120, 24)) as pilot:
        await settled(pilot)
        bar = app.screen.query_one(KeyBar)
        text = bar.render().plain
        assert "s Sort" in text and "/ Filter" in text and "v Vendors" in text
        await pilot.press("slash")  # the filter input has the focus: the table's keys go
        await settled(pilot)
        assert "s Sort" not in app.screen.query_one(KeyBar).render().plain
        await pilot.press("enter")
        await settled(pilot)
        start = next(start for start, _end, key in bar._spans if key == "v")
        await pilot.click(KeyBar, offset=(start + 1, 0))
        await settled(pilot)
        assert app.current_mode == "vendors"
