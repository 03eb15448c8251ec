"""Snapshots of the shell: help, an empty and a populated table, failing connectors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from posync_tui.demo_data import seed_demo
from posync_tui.models import ConnectorState
from tests.console import configured_settings, console_app, settled

pytestmark = pytest.mark.usefixtures("local_time_utc")

FIXED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SIZE = (80, 24)


def healthy(db, *failing: str) -> None:
    with db.session() as s:
        for name in ("supplier", "quickbooks"):
            bad = name in failing
            s.add(
                ConnectorState(
                    name=name,
                    last_success_at=FIXED - timedelta(minutes=5 if bad else 0, seconds=12),
                    last_attempt_at=FIXED,
                    next_run_at=FIXED + timedelta(seconds=30),
                    consecutive_failures=4 if bad else 0,
                    last_error="supplier did not answer in time (ReadTimeout)" if bad else None,
                )
            )


def test_empty_purchase_order_list(db, snap_compare):
    healthy(db)
    assert snap_compare(
        console_app(db, settings=configured_settings()), terminal_size=SIZE, run_before=settled
    )


def test_populated_purchase_order_list(db, snap_compare):
    seed_demo(db, now=FIXED)
    healthy(db)
    assert snap_compare(
        console_app(db, settings=configured_settings()), terminal_size=SIZE, run_before=settled
    )


def test_help_screen(db, snap_compare):
    healthy(db)

    async def open_help(pilot):
        await settled(pilot)
        await pilot.press("question_mark")
        await settled(pilot)

    assert snap_compare(
        console_app(db, settings=configured_settings()), terminal_size=SIZE, run_before=open_help
    )


def test_failing_connector_in_the_status_line_and_its_error(db, snap_compare):
    seed_demo(db, now=FIXED)
    healthy(db, "supplier")
    assert snap_compare(
        console_app(db, settings=configured_settings()), terminal_size=SIZE, run_before=settled
    )


def test_failing_connector_error_one_key_away(db, snap_compare):
    healthy(db, "supplier")

    async def open_connectors(pilot):
        await settled(pilot)
        await pilot.press("e")
        await settled(pilot)

    assert snap_compare(
        console_app(db, settings=configured_settings()),
        terminal_size=SIZE,
        run_before=open_connectors,
    )


def test_six_connectors_in_the_status_line(db, snap_compare):
    """ok, failing, not configured and not run yet, side by side at 80 columns."""
    healthy(db, "quickbooks")
    with db.session() as s:
        s.add(ConnectorState(name="catalog", last_success_at=FIXED - timedelta(minutes=2)))
        s.add(ConnectorState(name="warehouse", last_success_at=FIXED, consecutive_failures=0))
    settings = configured_settings(edi={"base_url": None})
    assert snap_compare(console_app(db, settings=settings), terminal_size=SIZE, run_before=settled)
