"""Snapshots at 80×24 of the purchase target lines and the Settings screen (Recurrency seed).

Fixed data: the P21 test world (three backordered sales orders; one customer's name is hostile
text), one PO exported with links, a setting changed at a fixed time. Local time is UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from connectors.sandbox.p21 import P21Sandbox
from connectors.sandbox.server import Sandbox
from posync_tui.models import AppSetting, AuditEntry, Customer
from tests.console import console_app, settled
from tests.p21_world import P21World

pytestmark = pytest.mark.usefixtures("local_time_utc")

FIXED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SIZE = (80, 24)


@pytest.fixture
def world(db):
    p21 = P21Sandbox()
    with Sandbox([p21]).serve() as server:
        world = P21World(db, p21, server)
        with db.session() as s:
            delta = s.exec(select(Customer).where(Customer.name == "Delta Marine")).one()
            delta.name = "Delta [b]Marine[/b]\x1b[31m"
        yield world


@pytest.fixture
def linked(world):
    import asyncio

    world.link_backorders()
    asyncio.run(world.export(world.po("PO-A", ("BOLT-8", 5))))
    with world.db.session() as s:
        for entry in s.exec(select(AuditEntry)):
            entry.at = FIXED
        for setting in s.exec(select(AppSetting)):
            setting.updated_at = FIXED
    return world


def area(key: str, *presses: str):
    async def run_before(pilot) -> None:
        await settled(pilot)
        await pilot.press(key)
        await settled(pilot)
        pilot.app.screen.body.focus_table()
        await pilot.press(*presses)
        await settled(pilot)

    return run_before


def test_purchase_target_lines_oldest_first_with_what_pos_cover(linked, snap_compare):
    app = console_app(linked.db, settings=linked.rt.settings)
    assert snap_compare(app, terminal_size=SIZE, run_before=area("T", "space"))


def test_settings_as_an_admin_with_the_change_history(linked, snap_compare, monkeypatch):
    monkeypatch.setenv("LOGNAME", "ana")
    app = console_app(linked.db, settings=linked.rt.settings)
    assert snap_compare(app, terminal_size=SIZE, run_before=area("comma"))


def test_settings_read_only_for_anyone_else(world, snap_compare, monkeypatch):
    monkeypatch.setenv("LOGNAME", "bob")
    app = console_app(world.db, settings=world.rt.settings)
    assert snap_compare(app, terminal_size=SIZE, run_before=area("comma"))
