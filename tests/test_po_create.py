"""Creating a purchase order in the console (Ascend seed: "Any new purchase orders you create ...
will have the auto-sync purchase order option preselected"; "You can uncheck this box for
specific purchase orders")."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlmodel import func, select

from posync_tui.models import (
    AuditEntry,
    Integration,
    Item,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    Vendor,
    utcnow,
)
from posync_tui.services import po_create
from posync_tui.services.po_create import POInvalid, create_po, find_items, find_vendors
from posync_tui.services.supplier_sync import new_po_defaults, poll
from tests.supplier_world import ACCOUNT, lease, make_world


@pytest.fixture
def world(db):
    """ACME: integrated, auto-sync on (items W-1, G-1). PEAK: integrated, auto-sync off.
    HARB: not integrated (item H-1)."""
    for w in make_world(db):
        with db.session() as s:
            peak = Vendor(
                code="PEAK", name="Peak Outdoor", integration=Integration.B2B, supplier_account="P1"
            )
            harb = Vendor(code="HARB", name="Harbor Packaging")
            s.add_all([peak, harb])
            s.flush()
            hook = Item(sku="H-1", description="Hook", vendor_id=harb.id, unit_cost=Decimal(2))
            s.add(hook)
            s.flush()
            w.peak_id, w.harb_id, w.hook_id = peak.id, harb.id, hook.id
        yield w


def two_lines(w):
    return [(w.widget_id, "12", "4.25"), (w.gadget_id, Decimal(5), Decimal(10))]


def po_count(db) -> int:
    with db.reader() as s:
        return s.exec(select(func.count()).select_from(PurchaseOrder)).one()


def refused(w, **changes) -> POInvalid:
    args = dict(
        vendor_id=w.vendor_id,
        auto_sync=True,
        expected_date=None,
        reference=None,
        lines=two_lines(w),
    )
    args.update(changes)
    published = []
    w.db.bus.subscribe(published.append)
    with pytest.raises(POInvalid) as caught:
        create_po(w.db, **args)
    assert po_count(w.db) == 0 and not published  # nothing written, nothing announced
    return caught.value


def test_a_new_po_for_an_auto_sync_vendor_has_auto_sync_preselected(world):
    defaults = new_po_defaults(world.db, world.vendor_id)
    assert defaults.auto_sync is True
    po_id = create_po(world.db, world.vendor_id, defaults.auto_sync, None, None, two_lines(world))
    po = world.po(po_id)
    assert po.auto_sync is True
    assert (po.number, po.currency, po.status) == (defaults.number, "USD", POStatus.DRAFT)
    assert po.order_date == defaults.order_date


def test_a_vendor_without_auto_sync_gives_new_pos_without_it(world):
    assert new_po_defaults(world.db, world.peak_id).auto_sync is False
    assert new_po_defaults(world.db, world.harb_id).auto_sync is False


def test_the_auto_sync_box_can_be_unchecked_for_a_specific_po(world):
    po_id = create_po(world.db, world.vendor_id, False, None, "no sync", two_lines(world))
    po = world.po(po_id)
    assert po.auto_sync is False and po.reference == "no sync"


def test_lines_copy_the_item_and_the_total_and_line_count_add_up(world):
    published = []
    world.db.bus.subscribe(published.append)
    expected = utcnow().date() + timedelta(days=10)
    po_id = create_po(
        world.db, world.vendor_id, True, expected.isoformat(), " R-7 ", two_lines(world)
    )
    po = world.po(po_id)
    assert (po.total, po.line_count, po.expected_date, po.reference) == (
        Decimal("101"),
        2,
        expected,
        "R-7",
    )
    lines = world.lines(po_id)
    assert sorted(lines) == [1, 2]
    widget = lines[1]
    assert (widget.item_id, widget.supplier_part_no, widget.upc, widget.description) == (
        world.widget_id,
        "AC-100",
        "012345678905",
        "Widget",
    )
    assert (widget.quantity_ordered, widget.unit_cost) == (Decimal(12), Decimal("4.25"))
    assert lines[2].supplier_part_no == "AC-200" and lines[2].upc is None
    with world.db.reader() as s:
        audit = s.exec(select(AuditEntry).where(AuditEntry.po_id == po_id)).all()
    assert [(a.field, a.source) for a in audit] == [("created", "operator")]
    assert "2 lines" in audit[0].new_value and "auto-sync on" in audit[0].new_value
    assert [(c.kind, c.ids) for c in published] == [("purchase_order", (po_id,))]


@pytest.mark.parametrize(
    ("changes", "field", "line", "message"),
    [
        ({"vendor_id": None}, "vendor", None, "Vendor is required"),
        ({"lines": []}, "lines", None, "at least one line"),
        ({"lines": [(None, "1", "1")]}, "item", 1, "Item is required"),
        ({"lines": [(1, "0", "1")]}, "quantity", 1, "Quantity must be more than 0"),
        ({"lines": [(1, "-3", "1")]}, "quantity", 1, "Quantity must be more than 0"),
        ({"lines": [(1, "twelve", "1")]}, "quantity", 1, "Quantity must be a plain number"),
        ({"lines": [(1, "", "1")]}, "quantity", 1, "Quantity is required"),
        ({"lines": [(1, "1.00001", "1")]}, "quantity", 1, "at most 3 decimal places"),
        ({"lines": [(1, "0.0001", "1")]}, "quantity", 1, "at most 3 decimal places"),
        ({"lines": [(1, "-0", "1")]}, "quantity", 1, "Quantity must be more than 0"),
        ({"lines": [(1, "1_000", "1")]}, "quantity", 1, "Quantity must be a plain number"),
        ({"lines": [(1, "1", "-0.01")]}, "unit_cost", 1, "Unit cost must be 0 or more"),
        ({"lines": [(1, "1", "NaN")]}, "unit_cost", 1, "Unit cost must be a plain number"),
        ({"lines": [(1, "1", "1e15")]}, "unit_cost", 1, "Unit cost must be a plain number"),
        ({"lines": [(1, "1", "1" + "0" * 30)]}, "unit_cost", 1, "less than 10,000,000"),
        ({"lines": [(1, "1", "4.12345")]}, "unit_cost", 1, "at most 4 decimal places"),
        ({"expected_date": "14/03/2025"}, "expected_date", None, "A date like"),
        ({"reference": "x" * 61}, "reference", None, "At most 60 characters"),
    ],
)
def test_invalid_values_are_refused_naming_the_field(world, changes, field, line, message):
    error = refused(world, **changes)
    assert (error.field, error.line) == (field, line)
    assert message in error.message


def test_an_expected_date_before_the_order_date_needs_the_operator_s_confirmation(world):
    yesterday = utcnow().date() - timedelta(days=1)
    error = refused(world, expected_date=yesterday)
    assert error.field == "expected_date" and "before the order date" in error.message
    lines = [(world.widget_id, "1", "2")]
    po_id = create_po(
        world.db, world.vendor_id, True, yesterday, None, lines, early_expected_date=True
    )
    assert world.po(po_id).expected_date == yesterday


def test_the_po_total_is_the_sum_of_its_lines_rounded_per_line(world):
    # Half a cent on each line rounds up on each line: 0.01 + 0.01, not round(0.005 + 0.005).
    lines = [(world.widget_id, "1", "0.0050"), (world.widget_id, "1", "0.0050")]
    po_id = create_po(world.db, world.vendor_id, True, None, None, lines)
    assert world.po(po_id).total == Decimal("0.02")  # not 0.01 (the rounded sum of 0.0100)


def test_only_an_integrated_supplier_s_po_can_auto_sync(world):
    error = refused(world, vendor_id=world.harb_id, lines=[(world.hook_id, 1, 2)])
    assert error.field == "auto_sync" and "not an integrated (B2B) supplier" in error.message
    po_id = create_po(world.db, world.harb_id, False, None, None, [(world.hook_id, 1, 2)])
    assert world.po(po_id).auto_sync is False


def test_an_item_of_another_vendor_is_refused_at_its_line(world):
    error = refused(world, lines=[(world.widget_id, 1, 1), (world.hook_id, 1, 2)])
    assert (error.field, error.line) == ("item", 2)
    assert error.message == "H-1 is supplied by HARB, not ACME"


def test_every_problem_is_reported_at_once_in_the_form_s_order(world):
    error = refused(
        world,
        vendor_id=world.harb_id,
        expected_date="soon",
        lines=[(world.hook_id, "0", "1"), (None, "2", "-1")],
    )
    assert [(p.field, p.line) for p in error.problems] == [
        ("auto_sync", None),
        ("expected_date", None),
        ("quantity", 1),
        ("item", 2),
        ("unit_cost", 2),
    ]
    assert str(error).startswith("HARB is not an integrated")
    assert "Line 2: Unit cost must be 0 or more" in str(error)


def test_a_po_number_taken_meanwhile_by_another_console_is_not_reused(world, monkeypatch):
    stale = new_po_defaults(world.db, world.vendor_id)
    world.make_po(stale.number, sent=False)  # another console saved first
    calls = []

    def defaults(db, vendor_id):
        calls.append(vendor_id)
        return stale if len(calls) == 1 else new_po_defaults(db, vendor_id)

    monkeypatch.setattr(po_create, "new_po_defaults", defaults)
    po_id = create_po(world.db, world.vendor_id, True, None, None, two_lines(world))
    assert len(calls) == 2 and world.po(po_id).number != stale.number
    with world.db.reader() as s:
        orphans = s.exec(select(PurchaseOrderLine).where(PurchaseOrderLine.po_id.is_(None))).all()
    assert po_count(world.db) == 2 and not orphans


def test_the_form_finds_vendors_and_that_vendor_s_items(world):
    assert [v.code for v in find_vendors(world.db, "acm")] == ["ACME"]
    assert [v.code for v in find_vendors(world.db, "ac")] == ["ACME", "HARB"]  # Packaging
    peak = find_vendors(world.db, "peak")[0]
    assert peak.integrated and not peak.auto_sync
    assert not find_vendors(world.db, "harb")[0].integrated
    assert [i.sku for i in find_items(world.db, "gad", world.vendor_id)] == ["G-1"]
    assert [i.sku for i in find_items(world.db, "AC-1", world.vendor_id)] == ["W-1"]
    assert find_items(world.db, "hook", world.vendor_id) == []  # HARB's item
    assert find_items(world.db, "%", None) == []  # wildcards are text


async def test_a_new_auto_sync_po_is_synced_by_the_supplier_feed_once_the_supplier_has_it(world):
    synced = create_po(world.db, world.vendor_id, True, None, None, two_lines(world))
    unchecked = create_po(world.db, world.vendor_id, False, None, None, two_lines(world))
    orders = {}
    for po_id in (synced, unchecked):
        # The supplier makes its order from our PO number (lines numbered as ours).
        orders[po_id] = world.supplier.create_order(
            ACCOUNT,
            [
                {
                    "supplier_part_no": "AC-100",
                    "upc": "012345678905",
                    "description": "Widget",
                    "quantity": 12,
                    "unit_cost": "4.25",
                },
                {
                    "supplier_part_no": "AC-200",
                    "description": "Gadget",
                    "quantity": 5,
                    "unit_cost": "10",
                },
            ],
            buyer_po_number=world.po(po_id).number,
        )
        world.supplier.change_line(orders[po_id], 1, quantity_confirmed=10)
    await poll(world.rt, fence=lease(world.db))

    po = world.po(synced)
    assert po.supplier_order_no == orders[synced] and po.last_synced_at is not None
    lines = world.lines(synced)
    assert sorted(lines) == [1, 2] and lines[1].quantity_confirmed == Decimal(10)
    # Unchecked for this PO: the supplier's notification is seen, nothing is synced.
    po = world.po(unchecked)
    assert po.supplier_notified_at is not None and po.last_synced_at is None
    assert po.supplier_order_no is None and world.lines(unchecked)[1].quantity_confirmed is None
