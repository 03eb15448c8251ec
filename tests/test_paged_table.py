"""The paged table on the PO list: cursor, marks, sort, filter, live changes, red last-synced."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import select
from textual.app import App, ComposeResult

from posync_tui.config import load_settings
from posync_tui.events import Change
from posync_tui.models import Integration, PurchaseOrder, Vendor, utcnow
from posync_tui.paging import View
from posync_tui.runtime import Runtime
from posync_tui.seed import seed_bulk
from screens.confirm import Confirm
from screens.messages import OpenPurchaseOrder
from screens.paged_loader import MarksCounted
from screens.paged_table import FilterInput, PagedTable
from screens.purchase_orders import PurchaseOrders


class ListApp(App):
    def __init__(self, db):
        super().__init__()
        self.db = db
        self.opened: list[int] = []

    def compose(self) -> ComposeResult:
        yield PurchaseOrders()

    def on_mount(self) -> None:
        self.runtime = Runtime(settings=load_settings(), db=self.db)
        self.query_one(PurchaseOrders).attach(self.runtime)
        self.query_one(PurchaseOrders).focus_table()

    def on_open_purchase_order(self, message: OpenPurchaseOrder) -> None:
        self.opened.append(message.po_id)


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.fixture
def seeded(db):
    seed_bulk(db, pos=300, lines_per_po=2, vendors=6, items=30)
    return db


def table(app) -> PagedTable:
    return app.query_one(PagedTable)


def shown(app, y: int) -> str:
    return table(app).render_line(y).text


async def test_the_cursor_moves_by_row_page_and_to_either_end(seeded):
    app = ListApp(seeded)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        t = table(app)
        assert t.row_count == 300
        assert "300" in str(t.frame.border_title)
        await pilot.press("down", "down")
        assert t.cursor == 2
        await pilot.press("pagedown")
        assert t.cursor == 2 + t._body_height()
        await pilot.press("end")
        assert t.cursor == 299
        assert "PO-0000300" in shown(app, t.cursor - t.scroll_offset.y + 1)
        await pilot.press("home")
        assert t.cursor == 0 and t.scroll_offset.y == 0
        await pilot.press("enter")
        await pilot.pause()
        assert app.opened == [t.cursor_key]


async def test_space_marks_the_row_and_mark_all_marks_every_matching_po(seeded):
    app = ListApp(seeded)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        t = table(app)
        first = t.cursor_key
        await pilot.press("space")
        assert t.marks == {first} and t.cursor == 1
        assert shown(app, 1).startswith("●")
        await pilot.press("slash", *"PO-00001")
        await settle(pilot)
        await pilot.press("enter", "ctrl+a")
        await settle(pilot)
        assert len(t.marks) == t.row_count == 100  # PO-0000100 .. PO-0000199
        assert t.selected_keys() == sorted(t.marks)
        assert "100 marked" in str(t.frame.border_title)
        await pilot.press("ctrl+a")
        assert t.marks == set()


async def test_sorting_keeps_the_cursor_on_its_po(seeded):
    app = ListApp(seeded)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        t = table(app)
        await pilot.press("pagedown", "down", "down")
        key = t.cursor_key
        for _ in range(6):  # vendor, status, auto-sync, last synced, lines, total
            await pilot.press("s")
            await settle(pilot)
            assert t.cursor_key == key
            assert t.cursor == t.source.position(t.view, key)
            assert str(t.frame.border_subtitle) == f"{t.cursor + 1}/300"
            top, height = t.scroll_offset.y, t._body_height()
            expected = [row.data["number"] for row in t.source.page(t.view, top, height)]
            assert [shown(app, y + 1).split()[0] for y in range(height)] == expected
        await pilot.press("S")
        await settle(pilot)
        assert t.view.descending and t.cursor_key == key
        assert "Total ▼" in shown(app, 0)


async def test_a_sort_shows_its_rows_before_the_cursor_row_position_is_counted(seeded):
    app = ListApp(seeded)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        t = table(app)
        # A PO in the middle of both orders: the rows around it fill the screen either way.
        by_vendor = View(sort="vendor")
        key = next(
            row.key
            for row in t.source.page(by_vendor, 120, 50)
            if 120 <= t.source.position(t.view, row.key) < 180
            and t.source.position(by_vendor, row.key) != t.source.position(t.view, row.key)
        )
        t.show_key(key)
        await settle(pilot)
        screen_row = t.cursor - t.scroll_offset.y
        counted = threading.Event()
        position = t.source.position

        def slow_position(view, row_key):
            counted.wait(10)
            return position(view, row_key)

        t.source.position = slow_position
        await pilot.press("s")  # by vendor
        for _ in range(50):
            await pilot.pause(0.02)
            if t.view.sort == "vendor":
                break
        # Shown in the new order where the cursor was, its position still being counted.
        assert t.cursor_key == key and t.cursor - t.scroll_offset.y == screen_row
        assert str(t.frame.border_subtitle) == "…/300"
        assert t.loader.row_at(t.scroll_offset.y + t._body_height() + 60) is None  # no guess
        await pilot.press("down")  # a move meanwhile is kept
        moved_to = t.cursor_key
        counted.set()
        await settle(pilot)
        assert t.cursor_key == moved_to
        assert t.cursor == position(t.view, key) + 1
        assert str(t.frame.border_subtitle) == f"{t.cursor + 1}/300"
        top, height = t.scroll_offset.y, t._body_height()
        expected = [row.data["number"] for row in t.source.page(t.view, top, height)]
        assert [shown(app, y + 1).split()[0] for y in range(height)] == expected


async def test_a_second_sort_does_not_wait_for_the_first_sorts_position(seeded):
    app = ListApp(seeded)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        t = table(app)
        key = t.source.page(View(sort="number"), 150, 1)[0].key
        t.show_key(key)
        await settle(pilot)
        counted = threading.Event()
        position = t.source.position

        def slow_position(view, row_key):
            if view.sort == "vendor":
                counted.wait(10)
            return position(view, row_key)

        t.source.position = slow_position
        await pilot.press("s")  # by vendor: its position is slow to count
        for _ in range(50):
            await pilot.pause(0.02)
            if t.view.sort == "vendor":
                break
        await pilot.press("s")  # by status, while the vendor position is still being counted
        for _ in range(50):
            await pilot.pause(0.02)
            if t.view.sort == "status" and str(t.frame.border_subtitle) != "…/300":
                break
        assert t.view.sort == "status" and t.cursor_key == key
        assert t.cursor == position(t.view, key)
        counted.set()  # the vendor count ends, unused
        await settle(pilot)
        assert t.view.sort == "status" and t.cursor_key == key
        assert t.cursor == position(t.view, key)
        assert str(t.frame.border_subtitle) == f"{t.cursor + 1}/300"


async def test_the_filter_shows_its_match_count_in_the_title(seeded):
    app = ListApp(seeded)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        t = table(app)
        await pilot.press("slash", *"PO-000012")
        await settle(pilot)
        assert t.row_count == 10
        assert "/PO-000012  10 matching" in str(t.frame.border_title)
        await pilot.press("escape")
        await settle(pilot)
        assert t.row_count == 300 and t.has_focus


async def test_a_change_keeps_the_cursor_on_the_same_po_when_a_row_is_inserted_above(seeded):
    app = ListApp(seeded)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        t = table(app)
        await pilot.press("down", "down", "down")
        key, index = t.cursor_key, t.cursor
        with seeded.session() as s:
            vendor_id = s.get(PurchaseOrder, key).vendor_id
            new = PurchaseOrder(number="PO-0000000", vendor_id=vendor_id)  # sorts first
            s.add(new)
            s.flush()
            new_id = new.id
        app.query_one(PurchaseOrders).on_change(Change("purchase_order", (new_id,)))
        await settle(pilot)
        assert t.row_count == 301
        assert t.cursor_key == key and t.cursor == index + 1
        assert "PO-0000000" not in shown(app, 1)  # the cursor stayed on its screen row
        await pilot.press("home")
        assert "PO-0000000" in shown(app, 1)


async def test_the_last_synced_date_is_red_when_the_supplier_changed_the_po_since(seeded):
    now = utcnow()
    with seeded.session() as s:
        vendor = s.get(Vendor, 1)
        vendor.integration = Integration.B2B
        po = PurchaseOrder(
            number="PO-0000000", vendor_id=vendor.id, auto_sync=True,
            last_synced_at=now - timedelta(days=1), supplier_notified_at=now,
        )  # fmt: skip
        fresh = PurchaseOrder(
            number="PO-0000000A", vendor_id=vendor.id, auto_sync=True,
            last_synced_at=now, supplier_notified_at=now - timedelta(days=1),
        )  # fmt: skip
        s.add_all([po, fresh])
    app = ListApp(seeded)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        stale_line, fresh_line = table(app).render_line(1), table(app).render_line(2)
        date = now.astimezone().strftime("%Y-%m-%d")
        stale = [seg for seg in stale_line if date[:4] in seg.text]
        assert stale and stale[0].style.color.name == "red"
        assert stale[0].text.startswith("✖ 20")  # and marked: it reads without colour too
        assert not [seg for seg in fresh_line if seg.style and seg.style.color
                    and seg.style.color.name == "red"]  # fmt: skip


async def test_partner_text_is_shown_as_text_not_markup(seeded):
    with seeded.session() as s:
        s.get(Vendor, 1).name = "[bold red]Evil[/] \x1b[2J"
    app = ListApp(seeded)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s")  # by vendor: "[" sorts first
        await settle(pilot)
        assert "[bold red]Evil[/]" in shown(app, 1)
        assert "\x1b" not in shown(app, 1)


async def test_the_position_shows_under_the_table_and_marks_in_its_title(seeded):
    app = ListApp(seeded)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        t = table(app)
        assert str(t.frame.border_subtitle) == "1/300"
        await pilot.press("down", "down", "space")
        assert str(t.frame.border_subtitle) == "4/300"
        assert "1 marked" in str(t.frame.border_title)
        await pilot.press("up", "space")
        assert "marked" not in str(t.frame.border_title)


async def test_home_end_and_the_next_screen_are_read_before_they_are_asked_for(seeded):
    app = ListApp(seeded)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        t = table(app)
        last_page = (t.row_count - 1) // 50
        assert {0, last_page} <= set(t._pages)  # 300 rows: pages 0..5
        await pilot.press("end")
        assert "PO-0000300" in shown(app, t.cursor - t.scroll_offset.y + 1)


async def test_a_typed_filter_character_and_its_matches_share_one_frame(seeded):
    app = ListApp(seeded)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        app.query_one(FilterInput).value = "P"  # as a keystroke does
        assert app._batch_count == 1  # the frame waits for the matches...
        await settle(pilot)
        assert app._batch_count == 0  # ...and is drawn once they are read
        assert "/P  300 matching" in str(table(app).frame.border_title)


class MovesApp(ListApp):
    """The PO list, recording the keys ``CursorMoved`` reports."""

    def __init__(self, db):
        super().__init__(db)
        self.moves: list[int | None] = []

    def on_paged_table_cursor_moved(self, message: PagedTable.CursorMoved) -> None:
        self.moves.append(message.key)


async def test_the_table_says_where_its_cursor_is_after_each_move_and_each_load(seeded):
    app = MovesApp(seeded)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        t = table(app)
        assert app.moves and app.moves[-1] == t.cursor_key  # after the first load
        await pilot.press("down")
        await pilot.pause()
        assert app.moves[-1] == t.cursor_key == t._row_at(1).key
        app.moves.clear()
        t.refresh_rows()
        await settle(pilot)
        assert app.moves == [t.cursor_key]  # the rows were read again: the same row


async def test_a_burst_of_cursor_moves_is_reported_once(seeded):
    app = MovesApp(seeded)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        t = table(app)
        app.moves.clear()
        for _ in range(5):  # before the table handles any of its messages
            t.action_cursor(1)
        await settle(pilot)
        assert app.moves == [t._row_at(5).key]


async def test_clear_marks_unmarks_every_row(seeded):
    app = ListApp(seeded)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        t = table(app)
        await pilot.press("space", "space")
        assert len(t.marks) == 2 and "2 marked" in str(t.frame.border_title)
        t.clear_marks()
        assert t.marks == set() and "marked" not in str(t.frame.border_title)
        assert not shown(app, 1).startswith("●")
        assert t.selected_keys() == [t.cursor_key]


async def test_an_action_touches_only_the_marked_pos_the_filter_shows_and_says_so(seeded):
    app = ListApp(seeded)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        t = table(app)
        await pilot.press("space", "space", "space")  # PO-0000001 .. PO-0000003
        marked = set(t.marks)
        await pilot.press("slash", *"PO-0000002", "enter")
        await settle(pilot)
        assert "3 marked, 2 hidden by the filter" in str(t.frame.border_title)
        assert t.selected_keys() == [t.cursor_key]  # PO-0000002 alone
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        assert app.screen.question == (
            "Refresh 1 marked PO (2 more marked are hidden by the filter and will not be touched)?"
        )
        await pilot.press("n")
        await settle(pilot)

        t.set_filter("PO-000003")  # none of the marked POs
        await settle(pilot)
        assert "3 marked, 3 hidden by the filter" in str(t.frame.border_title)
        await pilot.press("r")
        await settle(pilot)
        assert not isinstance(app.screen, Confirm)
        assert [n.message for n in app._notifications] == [
            "All 3 marked POs are hidden by the filter: nothing was done (esc clears it)."
        ]
        t.set_filter("")
        await settle(pilot)
        assert t.marks == marked
        assert "3 marked" in str(t.frame.border_title)
        assert "hidden" not in str(t.frame.border_title)


async def test_a_row_marked_while_a_load_is_under_way_counts_as_shown(seeded):
    app = ListApp(seeded)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        t = table(app)
        asked = frozenset(t.marks)  # a load asks which marks its view shows ...
        await pilot.press("space")  # ... a row is marked meanwhile ...
        t.post_message(MarksCounted(t.loader.generation, asked, frozenset()))  # ... the answer
        await settle(pilot)  # the new mark is asked about again
        assert t.marks_shown == t.marks and len(t.marks) == 1
        assert "1 marked" in str(t.frame.border_title)
        assert "hidden" not in str(t.frame.border_title)


async def test_an_action_before_a_new_filters_marks_are_counted_reads_them_in_place(seeded):
    app = ListApp(seeded)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        t = table(app)
        await pilot.press("space", "space")  # PO-0000001, PO-0000002
        first = t._row_at(0).key
        counting, matching = threading.Event(), t.source.matching

        def counted_later(view, keys):  # the loader's count waits; one in place does not
            if threading.current_thread() is not threading.main_thread():
                counting.wait(10)
            return matching(view, keys)

        t.source.matching = counted_later
        t.set_filter("PO-0000001")
        while t.view.text != "PO-0000001":  # the rows are shown; their marks not yet counted
            await pilot.pause()
        assert "hidden" not in str(t.frame.border_title)
        selection = t.selection()
        assert selection.keys == [first] and selection.hidden == 1
        counting.set()
        await settle(pilot)
        assert "2 marked, 1 hidden by the filter" in str(t.frame.border_title)


async def test_show_key_moves_the_cursor_onto_a_row_far_down_the_list(seeded):
    app = ListApp(seeded)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        t = table(app)
        with seeded.reader() as s:
            key = s.exec(select(PurchaseOrder.id).where(PurchaseOrder.number == "PO-0000250")).one()
        t.show_key(key)
        await settle(pilot)
        assert t.cursor_key == key and t.cursor == 249
        assert "PO-0000250" in shown(app, t.cursor - t.scroll_offset.y + 1)
        assert str(t.frame.border_subtitle) == "250/300"


async def test_show_key_holds_through_a_reload_asked_for_before_it_is_shown(seeded):
    app = ListApp(seeded)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        t = table(app)
        with seeded.session() as s:  # a new PO, as the New PO form saves one
            vendor_id = s.get(PurchaseOrder, t.cursor_key).vendor_id
            new = PurchaseOrder(number="PO-0000200A", vendor_id=vendor_id)
            s.add(new)
            s.flush()
            new_id = new.id
        t.show_key(new_id)
        t.refresh_rows([new_id])  # the change arrives while the cursor is still elsewhere
        await settle(pilot)
        assert t.row_count == 301 and t.cursor_key == new_id and t.cursor == 200


async def test_show_key_of_a_row_the_filter_hides_leaves_the_cursor(seeded):
    app = ListApp(seeded)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        t = table(app)
        await pilot.press("slash", *"PO-00001")
        await settle(pilot)
        await pilot.press("enter", "down", "down")
        key = t.cursor_key
        with seeded.reader() as s:
            hidden = s.exec(select(PurchaseOrder.id).where(PurchaseOrder.number == "PO-0000250"))
            t.show_key(hidden.one())
        await settle(pilot)
        assert t.cursor_key == key and t.cursor == 2
