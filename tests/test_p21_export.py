"""Exporting POs to Prophet 21 and linking backorders: the rule, re-exports, refusals, outages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import select

from connectors.base import PartnerUnavailable
from connectors.sandbox.p21 import P21Sandbox
from connectors.sandbox.server import Sandbox
from posync_tui.models import OutboxMessage, OutboxStatus, SyncNotification
from posync_tui.services import p21_export
from posync_tui.services.p21_links import Cover, Need, POLine, allocate
from tests.p21_world import P21World

D = Decimal


@pytest.fixture
def p21():
    return P21Sandbox()


@pytest.fixture
def world(any_db, p21):
    with Sandbox([p21]).serve() as server:
        yield P21World(any_db, p21, server)


def test_the_oldest_lines_are_covered_first_until_the_quantity_is_used_up():
    needs = [
        Need(10, "SO-1", 1, 7, D(4)),
        Need(11, "SO-2", 1, 7, D(3)),
        Need(12, "SO-3", 1, 7, D(5)),
    ]
    covers = allocate([POLine(1, 1, 7, D(6))], needs)
    assert covers == [Cover(1, 1, 10, "SO-1", 1, D(4)), Cover(1, 1, 11, "SO-2", 1, D(2))]


def test_two_lines_of_one_po_share_the_backorders_and_other_items_are_left_alone():
    needs = [
        Need(10, "SO-1", 1, 7, D(4)),
        Need(11, "SO-2", 2, 8, D(2)),
        Need(12, "SO-3", 1, 7, D(5)),
    ]
    covers = allocate([POLine(2, 2, 7, D(2)), POLine(1, 1, 7, D(3))], needs)
    assert [(c.po_line_number, c.order_number, c.quantity) for c in covers] == [
        (1, "SO-1", D(3)),
        (2, "SO-1", D(1)),
        (2, "SO-3", D(1)),
    ]


async def test_exporting_links_the_oldest_backorders_in_p21_and_in_posync(world):
    world.link_backorders()
    po = world.po("PO-A", ("BOLT-8", 6))
    assert await world.export(po) == "1 exported to P21"
    assert world.links(po) == [("SO-1", 1, 1, D(4)), ("SO-2", 1, 1, D(2))]
    assert world.in_p21("PO-A") == world.links(po)


async def test_a_sales_order_line_is_covered_by_several_pos(world):
    world.link_backorders()
    first = world.po("PO-A", ("BOLT-8", 6))
    await world.export(first)
    second = world.po("PO-B", ("BOLT-8", 2), ("NUT-8", 5))
    await world.export(second)
    assert world.links(second) == [("SO-2", 1, 1, D(1)), ("SO-3", 1, 1, D(1)), ("SO-2", 2, 2, D(2))]
    assert world.in_p21("PO-B") == sorted(world.links(second))


async def test_re_exporting_never_duplicates_and_a_new_quantity_adjusts_the_links(world):
    world.link_backorders()
    po = world.po("PO-A", ("BOLT-8", 6))
    await world.export(po)
    await world.export(po)
    assert len(world.p21.oe_line_po("PO-A")) == 2
    assert world.links(po) == [("SO-1", 1, 1, D(4)), ("SO-2", 1, 1, D(2))]
    world.change_line(po, 1, quantity_ordered=D(3))
    await world.export(po)
    assert world.links(po) == [("SO-1", 1, 1, D(3))]
    assert world.in_p21("PO-A") == world.links(po)
    released = [r for r in world.p21.oe_line_po("PO-A") if r["delete_flag"] == "Y"]
    assert [r["order_number"] for r in released] == ["SO-2"]


async def test_a_cancelled_po_line_releases_its_links(world):
    world.link_backorders()
    po = world.po("PO-A", ("BOLT-8", 6), ("NUT-8", 2))
    await world.export(po)
    world.change_line(po, 1, hidden=True)
    await world.export(po)
    assert world.links(po) == [("SO-2", 2, 2, D(2))]
    assert world.in_p21("PO-A") == world.links(po)
    # The backorders it covered are free for the next PO.
    other = world.po("PO-B", ("BOLT-8", 4))
    await world.export(other)
    assert world.links(other) == [("SO-1", 1, 1, D(4))]


async def test_with_the_setting_off_the_po_is_exported_without_links(world):
    po = world.po("PO-A", ("BOLT-8", 6))
    assert await world.export(po) == "1 exported to P21"
    assert world.p21.oe_line_po() == [] and world.links(po) == []
    assert p21_export.export_state(world.db, po).text == "exported to P21"


async def test_an_item_p21_does_not_know_is_refused_with_a_clear_message(world):
    world.link_backorders()
    po = world.po("PO-A", ("BOLT-8", 6), ("WASHER-8", 1))
    assert await world.export(po) == "0 exported to P21, 1 refused (see Notices)"
    state = p21_export.export_state(world.db, po)
    assert state.status == OutboxStatus.FAILED
    assert "P21 has no item 'WASHER-8' (line 2)" in state.text
    assert world.p21.oe_line_po() == [] and world.links(po) == []
    with world.db.reader() as s:
        (notice,) = s.exec(select(SyncNotification)).all()
    assert notice.po_id == po and "PO PO-A was not exported to Prophet 21" in notice.message
    assert p21_export.queue_counts(world.db) == (0, 1)


async def test_a_sales_order_closed_meanwhile_writes_no_link_then_the_next_oldest_are_linked(world):
    world.link_backorders()
    world.p21.close_order("SO-1")
    po = world.po("PO-A", ("BOLT-8", 6))
    assert "1 refused" in await world.export(po)
    assert world.p21.oe_line_po() == [] and world.links(po) == []
    assert "Sales order SO-1 is closed in P21" in p21_export.export_state(world.db, po).text
    assert world.sales_order_status("SO-1") == "closed"
    assert await world.export(po) == "1 exported to P21"
    assert world.links(po) == [("SO-2", 1, 1, D(3)), ("SO-3", 1, 1, D(3))]


async def test_an_outage_in_the_middle_of_writing_links_leaves_none_then_all_land(world):
    world.link_backorders()
    po = world.po("PO-A", ("BOLT-8", 12))
    world.p21.fail_link_writes(2)
    with pytest.raises(PartnerUnavailable):
        await world.export(po, attempts=2)
    assert world.p21.oe_line_po() == [] and world.links(po) == []
    state = p21_export.export_state(world.db, po)
    assert state.status == OutboxStatus.PENDING and "failed with HTTP 503" in state.text
    assert await world.deliver() == "1 exported to P21"
    assert world.links(po) == [("SO-1", 1, 1, D(4)), ("SO-2", 1, 1, D(3)), ("SO-3", 1, 1, D(5))]


async def test_a_lost_answer_is_looked_up_and_never_written_twice(world):
    world.link_backorders()
    po = world.po("PO-A", ("BOLT-8", 6))
    world.p21.lose_answers(1, links=True)  # written, then the answer is lost
    with pytest.raises(PartnerUnavailable, match="HTTP 504"):
        await world.export(po, attempts=1)
    assert world.links(po) == []  # posync does not know yet
    assert await world.deliver() == "1 exported to P21"
    with world.db.reader() as s:
        (message,) = s.exec(select(OutboxMessage)).all()
    assert message.attempts == 1  # found by its look-up, not sent again
    assert world.links(po) == [("SO-1", 1, 1, D(4)), ("SO-2", 1, 1, D(2))]
    assert len(world.p21.oe_line_po()) == 2


async def test_a_look_up_p21_does_not_answer_fails_the_run_and_is_tried_again(world):
    world.link_backorders()
    po = world.po("PO-A", ("BOLT-8", 6))
    world.p21.lose_answers(1, links=True)
    with pytest.raises(PartnerUnavailable, match="HTTP 504"):
        await world.export(po, attempts=1)
    world.p21.faults.fail_next(1, status=503)
    with pytest.raises(PartnerUnavailable, match="HTTP 503"):  # P21 answered nothing this run
        await world.deliver(attempts=1)
    state = p21_export.export_state(world.db, po)
    assert state.status == OutboxStatus.PENDING and "HTTP 503" in state.text
    assert await world.deliver() == "1 exported to P21"
    assert len(world.p21.oe_line_po()) == 2  # found by the look-up, written once


async def test_a_po_waiting_to_export_is_not_queued_twice(world):
    po = world.po("PO-A", ("BOLT-8", 6))
    p21_export.export_po(world.db, po)
    with pytest.raises(p21_export.ExportRefused, match="already waiting"):
        p21_export.export_po(world.db, po)
    assert p21_export.queue_counts(world.db) == (1, 0)
