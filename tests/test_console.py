"""The console shell as an operator meets it: areas by single keys, help, connectors, counts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from posync_tui.config import Settings
from posync_tui.demo_data import seed_demo
from posync_tui.models import ConnectorState, utcnow
from screens.help import HelpScreen
from screens.messages import ConnectorHealth
from screens.status_line import entry
from tests.console import configured_settings, console_app, screen_lines, settled


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
    app = console_app(db, settings=configured_settings())
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        status = app.screen.query_one("StatusLine")
        assert "●sup ✖3" in str(status.render())
        await pilot.press("e")
        await settled(pilot)
        error = app.screen.query_one("#details")
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


async def test_a_burst_of_changes_reaches_the_screens_as_few_broadcasts(db):
    """A batch run commits a change every few ms: each broadcast is a re-read in a thread per
    screen, competing with the loop for the GIL. The first goes at once, the rest together."""
    from screens.messages import Changed

    app = console_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        broadcast = app._broadcast
        changes: list[Changed] = []

        def counting(make):
            if isinstance(message := make(), Changed):
                changes.append(message)
            broadcast(make)

        app._broadcast = counting
        for vendor_id in range(1, 51):
            app.post_message(Changed("vendor", (vendor_id,)))
        app.post_message(Changed("purchase_order", ()))
        await settled(pilot)
        vendors = [c for c in changes if c.kind == "vendor"]
        assert vendors[0].ids == (1,) and len(vendors) <= 3
        assert sorted(i for c in vendors for i in c.ids) == list(range(1, 51))
        assert [c.ids for c in changes if c.kind == "purchase_order"] == [()]


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
    assert said[0].plain.startswith("config error:") and "supplier.poll_interval" in said[0].plain


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


# --- connectors: the status line and the Connectors screen --------------------------------------


NINE = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def six_connectors(db) -> Settings:
    """Today's six partners, each with a health row."""
    with db.session() as s:
        for name in ("supplier", "catalog", "quickbooks", "warehouse", "edi_hub", "p21"):
            s.add(ConnectorState(name=name, last_success_at=NINE, leader="elsewhere:1:x"))
    return configured_settings()


@pytest.mark.usefixtures("local_time_utc")
async def test_six_connectors_fit_the_status_line_at_80_columns(db, monkeypatch):
    settings = six_connectors(db)  # all ok: the longest form of each
    app = console_app(db, settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        expected = " ".join(f"●{s} ✓09:00" for s in ("sup", "cat", "qbo", "ovo", "edi", "p21"))
        # The row above the key bar, as drawn: all six whole; who polls is on `e` (no room).
        assert screen_lines(app)[-2].strip() == expected


def test_each_state_has_its_own_sign_without_colour():
    def health(state, failures=0):
        return ConnectorHealth(
            "supplier", "sup", state, "12:03:09", "", failures, None, None, True, ""
        )

    shown = {
        state: entry(health(state, failures=3 if state == "failing" else 0)).plain
        for state in ("ok", "failing", "not configured", "not run yet")
    }
    assert shown == {
        "ok": "●sup ✓12:03",
        "failing": "●sup ✖3",
        "not configured": "○sup unset",
        "not run yet": "●sup –",
    }


async def test_the_connectors_screen_lists_every_partner_and_runs_the_selected_one(db, monkeypatch):
    settings = six_connectors(db)
    settings.edi.base_url = None
    app = console_app(db, settings=settings)
    runs: list[str | None] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await pilot.press("e")
        await settled(pilot)
        monkeypatch.setattr(app, "action_run_now", runs.append)
        table = app.screen.query_one("DataTable")
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        assert [row[0] for row in rows] == [
            "supplier", "catalog", "quickbooks", "warehouse", "edi_hub", "p21"
        ]  # fmt: skip
        assert str(rows[1][4]) == "on demand" and str(rows[4][1]) == "not configured"
        await pilot.press("down", "down", "down")  # warehouse
        await settled(pilot)
        details = str(app.screen.query_one("#details").render())
        assert "queue: 0 waiting, 0 errors" in details
        await pilot.press("r")
        await pilot.press("up", "up", "r")  # the catalog has no job of its own
        await pilot.press("down", "down", "down", "r")  # the EDI hub is not configured
        await settled(pilot)
        assert runs == ["warehouse"]
        details = str(app.screen.query_one("#details").render())
        assert '[edi] base_url = "https://…"' in details


@pytest.mark.parametrize("area", ["p", "v", "n", "a"])
async def test_the_key_bar_fits_80_columns_with_whole_labels_and_the_rest_under_help(db, area):
    from screens.key_bar import MORE, KeyBar

    app = console_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await pilot.press(area)
        await settled(pilot)
        bar = app.screen.query_one(KeyBar)
        text = bar.render().plain
        assert len(text) <= 80
        shown = bar.fitted(80)
        for key, description, _, _ in shown:
            assert f"{key} {description}" in text  # whole, never cut
        assert shown[-1][2] == "question_mark"
        if len(shown) < len(bar.entries()):
            assert text.endswith(f"? {MORE}")


async def test_help_lists_every_app_key_and_the_palette_reaches_every_area(db):
    from textual.binding import Binding

    from screens.help import HelpScreen
    from screens.palette import AreasProvider

    app = console_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await pilot.press("question_mark")
        await settled(pilot)
        assert isinstance(app.screen, HelpScreen)
        listed = {d for _, rows in app.screen.sections for _, d in rows}
        keys = [b for b in Binding.make_bindings(app.BINDINGS) if b.description]
        assert {b.description for b in keys} <= listed  # show=False ones too
        await pilot.press("escape")
        offered = [d for d, _, _ in AreasProvider(app.screen)._commands()]
        areas = [b.description for b in keys if b.action.startswith("area(")]
        assert set(areas) <= set(offered)
        await AreasProvider(app.screen)._run("area('vendors')")
        await settled(pilot)
        assert app.current_mode == "vendors"


async def test_the_first_escape_on_a_filtered_list_clears_the_filter(db):
    seed_demo(db, now=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    app = console_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        table = app.screen.body.table
        everything = table.row_count
        await pilot.press("slash", *"PO-000001", "enter")  # back on the table, filtered
        await settled(pilot)
        assert table.row_count < everything and table.has_focus
        await pilot.press("escape")
        await settled(pilot)
        assert table.row_count == everything and table.view.text == ""
