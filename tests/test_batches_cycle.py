"""The operator's daily job in the Batches area, by keyboard, against the simulated Ovotrack
(Ovotrack seed): New Batch → Send Batch → Receive Updates → Commit, each confirmed with its
counts and run in the background; a refused line's reason on the Commit Messages tab."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from textual.widgets import Input

from posync_tui.models import LineStage
from posync_tui.scheduler import Job
from posync_tui.services.warehouse_send import deliver
from screens.batch_detail import BatchDetail
from screens.batch_new import NewBatch
from screens.batch_runs import Run, RunProgress, bar
from screens.confirm import Confirm
from tests.console import console_app, settled
from tests.warehouse_world import open_world

SIZE = (100, 32)


def warehouse_job(rt) -> list[Job]:
    """The console's scheduler with the "warehouse" job alone (it runs when handed work)."""
    return [Job("warehouse", interval=3600, run=lambda fence: deliver(rt, fence=fence))]


@pytest.fixture
def world(db):
    with open_world(db) as world:
        yield world


def app_for(world):
    return console_app(world.db, settings=world.rt.settings, jobs=warehouse_job)


def toasts(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def until_done(pilot, screen: BatchDetail) -> None:
    """Wait for the batch's run to end: its result arrives as a notification."""
    runs = screen.runs
    while screen.batch_id in runs.running:
        await settled(pilot)
    await settled(pilot)


async def confirm(pilot, key: str, expected: str) -> None:
    await pilot.press(key)
    await settled(pilot)
    question = pilot.app.screen
    assert isinstance(question, Confirm), f"{key} asked nothing"
    assert expected in question.question, question.question
    await pilot.press("y")
    await settled(pilot)


async def new_batch(pilot, last_modified: str) -> NewBatch:
    await settled(pilot)
    await pilot.press("b")
    await settled(pilot)
    await pilot.press("N")
    await settled(pilot)
    form = pilot.app.screen
    assert isinstance(form, NewBatch)
    await retype(pilot, form.query_one("#last_modified", Input), last_modified)
    return form


async def retype(pilot, field: Input, text: str) -> None:
    """Replace the field's text as typed (the last key pressed for real)."""
    field.value = text[:-1]
    field.cursor_position = len(field.value)
    await pilot.press(text[-1])
    await settled(pilot)


async def test_new_batch_send_receive_commit_by_keyboard(world):
    lines = world.order([(world.large, 6), (world.medium, 12)])
    await world.send_master_data()
    app = app_for(world)
    async with app.run_test(size=SIZE) as pilot:
        await new_batch(pilot, "2020-01-01")
        await pilot.press("ctrl+s")
        await settled(pilot)
        detail = app.screen
        assert isinstance(detail, BatchDetail), toasts(app)
        assert detail.lines.row_count == 2

        seen = []
        detail.runs.changed.subscribe(detail, seen.append, immediate=True)
        await confirm(pilot, "g", "Send 2 lines of Batch")
        await until_done(pilot, detail)
        # A progress line counted the lines queued while the run went on.
        assert ("send", 2) in [(r.stage, r.total) for r in seen if not r.finished]
        assert [ln.stage for ln in world.batch_lines(detail.batch_id)] == [LineStage.SENT] * 2
        assert any("2 line(s) sent to Ovotrack" in t for t in toasts(app)), toasts(app)
        # The line above the tabs showed the run's progress, and now how it ended.
        ended = str(detail.query_one(RunProgress).content)
        assert ended.startswith("Send ended ") and "2 line(s) sent to Ovotrack" in ended, ended

        world.ovotrack.ship("SO-1", 2, 10)  # Ovotrack will ship 10 of the 12
        await confirm(pilot, "r", "Receive Ovotrack's updates for 2 lines")
        await until_done(pilot, detail)
        received = world.batch_lines(detail.batch_id)
        assert [ln.received_quantity for ln in received] == [Decimal(6), Decimal(10)]

        await confirm(pilot, "c", "Commit 2 lines")
        await until_done(pilot, detail)
        assert world.line(lines[1]).quantity == Decimal(10)
        assert "2 committed" in str(detail.query_one("#batch-header").render())


async def test_an_invalid_date_is_refused_at_the_field(world):
    app = app_for(world)
    async with app.run_test(size=SIZE) as pilot:
        form = await new_batch(pilot, "31/31")
        error = form.query_one("#last_modified-error")
        assert "Last Modified" in error.message
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert app.screen is form  # nothing imported


async def test_a_date_after_eligible_lines_warns_they_will_be_missed(world):
    world.order([(world.large, 6)], modified=datetime(2025, 8, 1, 9, 0).astimezone())
    await world.send_master_data()
    app = app_for(world)
    async with app.run_test(size=SIZE) as pilot:
        # The order was made on 8/1: Last Modified 8/2 would miss it.
        form = await new_batch(pilot, "2025-08-02")
        missed = str(form.query_one("#missed").render())
        assert "1 eligible order line" in missed and "will be missed" in missed
        assert "2025-07-31" in missed  # the seed's advice: set 7/31
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert isinstance(app.screen, Confirm)  # asks before importing without it
        await pilot.press("n")
        await settled(pilot)

        await retype(pilot, form.query_one("#last_modified", Input), "7/31/2025")
        assert str(form.query_one("#missed").render()) == ""
        await pilot.press("enter")
        await settled(pilot)
        assert isinstance(app.screen, BatchDetail)
        assert app.screen.lines.row_count == 1


async def test_a_refused_line_gets_its_reason_on_the_commit_messages_tab(world):
    lines = world.order([(world.large, 6), (world.medium, 2)])
    await world.send_master_data()
    app = app_for(world)
    async with app.run_test(size=SIZE) as pilot:
        await new_batch(pilot, "2020-01-01")
        await pilot.press("ctrl+s")
        await settled(pilot)
        detail = app.screen
        hold(world.db, lines[1])  # in the ERP, after staging: no longer to be sent
        await confirm(pilot, "g", "Send 2 lines")
        await until_done(pilot, detail)
        stages = [ln.stage for ln in world.batch_lines(detail.batch_id)]
        assert stages == [LineStage.SENT, LineStage.FAILED]
        await pilot.press("2")
        await settled(pilot)
        assert detail.messages.row_count == 1
        row = detail.messages.cursor_row
        assert row.data["line"] == "SO-1/2"
        assert "Warehouse Interface Status" in row.data["message"], row.data["message"]


def hold(db, line_id: int) -> None:
    from posync_tui.models import SalesOrderLine

    with db.session() as s:
        s.get(SalesOrderLine, line_id).warehouse_interface_status = "Hold"


async def test_the_command_palette_jumps_to_a_batch(world):
    from posync_tui.services.warehouse_batches import import_batch

    world.order([(world.large, 6)])
    await world.send_master_data()
    batch = import_batch(world.db, datetime(2020, 1, 1).astimezone())
    app = app_for(world)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)  # from the PO list
        await pilot.press("ctrl+p", *f"batch {batch.batch_id}")
        await settled(pilot)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settled(pilot)
        assert app.current_mode == "batches"
        assert isinstance(app.screen, BatchDetail) and app.screen.batch_id == batch.batch_id


def test_the_run_line_counts_and_draws_how_far_a_run_is():
    run = Run(7, "Batch 7", "send", done=1_250, total=5_000)
    assert run.words == "Sending Batch 7: 1,250/5,000 lines"
    drawn = bar(run, width=8)
    assert drawn.plain == "━" * 8 + "  25%"
    filled = [span for span in drawn.spans if span.style == "$accent"]
    assert [(span.start, span.end) for span in filled] == [(0, 2)]
    assert bar(Run(7, "Batch 7", "send", done=0, total=0), width=4).plain == "━━━━   0%"
