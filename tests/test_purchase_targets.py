"""Purchase target lines: backordered lines still to purchase, and POs drafted from them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.sandbox.p21 import P21Sandbox
from connectors.sandbox.server import Sandbox
from posync_tui.models import Item, Vendor
from posync_tui.services.purchase_targets import TargetLineSource, default_view, draft_pos
from tests.p21_world import P21World

D = Decimal


@pytest.fixture
def world(any_db):
    p21 = P21Sandbox()
    with Sandbox([p21]).serve() as server:
        yield P21World(any_db, p21, server)


def shown(world, view=None):
    source = TargetLineSource(world.db.engine)
    view = view or default_view()
    return [
        (r.data["order"], r.data["item"], r.data["backordered"], r.data["on_pos"])
        for r in source.page(view, 0, 50)
    ]


async def test_backordered_lines_are_listed_oldest_first_with_what_pos_cover(world):
    assert shown(world) == [
        ("SO-1/1", "BOLT-8", D(4), D(0)),
        ("SO-2/1", "BOLT-8", D(3), D(0)),
        ("SO-2/2", "NUT-8", D(2), D(0)),
        ("SO-3/1", "BOLT-8", D(5), D(0)),
    ]
    world.link_backorders()
    await world.export(world.po("PO-A", ("BOLT-8", 6)))
    # SO-1 is covered: no longer a target; SO-2/1 still needs 1.
    assert shown(world)[:1] == [("SO-2/1", "BOLT-8", D(3), D(2))]
    everything = shown(world, default_view().with_filter("all", True))
    assert everything[0] == ("SO-1/1", "BOLT-8", D(4), D(4))


def test_target_lines_filter_by_vendor_item_or_text(world):
    with world.db.session() as s:
        other = Vendor(code="ZED", name="Zed Fasteners")
        s.add(other)
        s.flush()
        s.get(Item, world.items["NUT-8"]).vendor_id = other.id
        other_id = other.id
    by_vendor = default_view().with_filter("vendor", (other_id, "ZED"))
    assert [row[0] for row in shown(world, by_vendor)] == ["SO-2/2"]
    by_item = default_view().with_filter("item", (world.items["BOLT-8"], "BOLT-8"))
    assert [row[0] for row in shown(world, by_item)] == ["SO-1/1", "SO-2/1", "SO-3/1"]
    assert TargetLineSource(world.db.engine).describe(by_item) == "item BOLT-8"
    assert [row[0] for row in shown(world, default_view().__class__("order_date", text="zed"))] == [
        "SO-2/2"
    ]


def test_marked_lines_make_one_draft_per_vendor_summed_per_item(world):
    with world.db.session() as s:
        other = Vendor(code="ZED", name="Zed Fasteners")
        s.add(other)
        s.flush()
        s.get(Item, world.items["NUT-8"]).vendor_id = other.id
    source = TargetLineSource(world.db.engine)
    keys = list(source.keys(default_view()))
    drafts = draft_pos(world.db, keys)
    assert [
        (d.vendor.code, [(ln.item.sku, ln.quantity) for ln in d.lines]) for d in drafts.drafts
    ] == [
        ("ACME", [("BOLT-8", D(12))]),
        ("ZED", [("NUT-8", D(2))]),
    ]
    assert drafts.skipped == []
