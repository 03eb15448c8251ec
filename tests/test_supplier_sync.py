"""Supplier auto-sync of purchase orders: the Ascend seed's rules, one test each."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import select

from connectors.base import ConnectorError, PartnerUnavailable
from posync_tui.db import Database
from posync_tui.events import Change
from posync_tui.models import (
    AuditEntry,
    Integration,
    Item,
    NotificationKind,
    POStatus,
    PurchaseOrder,
    QuarantinedEntry,
    Vendor,
    utcnow,
)
from posync_tui.paging import View
from posync_tui.runtime import Runtime
from posync_tui.services import supplier_sync, supplier_sync_apply, supplier_sync_feed
from posync_tui.services.po_list import PoListSource
from posync_tui.services.supplier_sync import (
    FieldLocked,
    edit_po,
    edit_po_line,
    out_of_sync,
    poll,
    refresh,
    resolve_missing_item,
)
from tests.supplier_world import ACCOUNT, lease, make_world


@pytest.fixture
def world(db):
    yield from make_world(db)


def audits(w, po_id) -> list[AuditEntry]:
    with w.db.reader() as s:
        return list(s.exec(select(AuditEntry).where(AuditEntry.po_id == po_id)))


# --- auto-sync -------------------------------------------------------------------------------


async def test_a_po_with_auto_sync_is_updated_whenever_the_supplier_order_changes(world):
    po_id, order_no = world.make_po()
    world.supplier.change_line(
        order_no, 1, quantity_confirmed=10, unit_cost="4.10", expected_date="2026-12-01"
    )
    world.supplier.change_order(order_no, expected_date="2026-12-03")

    summary = await poll(world.rt, fence=lease(world.db))

    po, lines = world.po(po_id), world.lines(po_id)
    assert summary.startswith("3 supplier changes") and "1 POs updated" in summary
    assert po.supplier_order_no == order_no and po.expected_date == date(2026, 12, 3)
    assert lines[1].quantity_confirmed == 10 and lines[1].unit_cost == Decimal("4.10")
    assert lines[1].expected_date == date(2026, 12, 1)
    assert po.total == Decimal("12") * Decimal("4.10") + 50 and po.line_count == 2
    assert po.last_synced_at >= po.supplier_notified_at and not out_of_sync(po)
    assert po.last_sync_error is None


async def test_every_field_the_sync_changes_is_kept_in_the_audit_log(world):
    po_id, order_no = world.make_po()
    world.supplier.change_line(order_no, 1, quantity_confirmed=10, unit_cost="4.10")
    await poll(world.rt, fence=lease(world.db))
    changed = {(a.field, a.old_value, a.new_value) for a in audits(world, po_id)}
    assert changed == {
        ("supplier_order_no", None, order_no),
        ("quantity_confirmed", None, "10"),
        ("unit_cost", "4.25", "4.1"),
    }
    assert {a.source for a in audits(world, po_id)} == {"supplier-sync"}
    assert all(a.at is not None for a in audits(world, po_id))


async def test_a_po_without_auto_sync_is_not_updated_but_the_notification_is_recorded(world):
    po_id, order_no = world.make_po(auto_sync=False)
    world.supplier.change_line(order_no, 1, quantity_confirmed=3)
    await poll(world.rt, fence=lease(world.db))
    po = world.po(po_id)
    assert world.lines(po_id)[1].quantity_confirmed is None and po.supplier_order_no is None
    assert po.supplier_notified_at is not None and po.last_synced_at is None
    assert audits(world, po_id) == []


async def test_the_last_synced_date_turns_red_when_a_sync_fails_after_a_notification(world):
    po_id, order_no = world.make_po()
    await poll(world.rt, fence=lease(world.db))
    assert not out_of_sync(world.po(po_id))

    world.supplier.change_line(order_no, 2, quantity_confirmed=4)
    world.supplier.fail_next_fetch(1, status=503)  # the feed answers, the fetch fails
    with pytest.raises(PartnerUnavailable):
        await poll(world.rt, fence=lease(world.db), attempts=1)
    po = world.po(po_id)
    assert out_of_sync(po) and "503" in po.last_sync_error
    assert world.lines(po_id)[2].quantity_confirmed is None

    await poll(world.rt, fence=lease(world.db))
    po = world.po(po_id)
    assert not out_of_sync(po) and po.last_sync_error is None
    assert world.lines(po_id)[2].quantity_confirmed == 4


async def test_orders_created_directly_with_the_supplier_are_imported_as_new_pos(world):
    order_no = world.supplier.create_order(
        ACCOUNT,
        [
            {
                "supplier_part_no": "AC-100",
                "upc": "012345678905",
                "description": "Widget",
                "quantity": 3,
                "unit_cost": "4.25",
                "quantity_confirmed": 3,
            },
        ],
        expected_date="2026-12-09",
    )
    summary = await poll(world.rt, fence=lease(world.db))
    with world.db.reader() as s:
        po = s.exec(select(PurchaseOrder).where(PurchaseOrder.supplier_order_no == order_no)).one()
    assert "1 imported" in summary
    assert po.created_by_supplier and po.auto_sync and po.number.startswith("PO-")
    assert po.vendor_id == world.vendor_id and po.expected_date == date(2026, 12, 9)
    line = world.lines(po.id)[1]
    assert line.item_id == world.widget_id and line.quantity_confirmed == 3
    assert po.total == Decimal("12.75") and po.line_count == 1 and not out_of_sync(po)
    await poll(world.rt, fence=lease(world.db))  # nothing new: still one PO
    with world.db.reader() as s:
        assert len(s.exec(select(PurchaseOrder)).all()) == 1


async def test_orders_made_directly_with_the_supplier_are_imported_only_for_auto_sync_vendors(
    world,
):
    with world.db.session() as s:
        s.get(Vendor, world.vendor_id).auto_sync = False
    world.supplier.create_order(
        ACCOUNT, [{"supplier_part_no": "AC-200", "quantity": 1, "unit_cost": 10}]
    )
    summary = await poll(world.rt, fence=lease(world.db))
    with world.db.reader() as s:
        assert s.exec(select(PurchaseOrder)).all() == []
    assert "imported" not in summary and world.notes() == []


def switch_vendor_away(world) -> None:
    with world.db.session() as s:
        s.get(Vendor, world.vendor_id).integration = Integration.NONE


async def test_a_vendor_switched_away_from_an_integrated_supplier_stops_syncing_at_once(world):
    po_id, order_no = world.make_po()
    await poll(world.rt, fence=lease(world.db))
    switch_vendor_away(world)
    world.supplier.change_line(order_no, 1, quantity_confirmed=11)
    world.supplier.create_order(
        ACCOUNT, [{"supplier_part_no": "AC-200", "quantity": 1, "unit_cost": 10}]
    )

    await poll(world.rt, fence=lease(world.db))

    assert world.lines(po_id)[1].quantity_confirmed != 11
    with world.db.reader() as s:
        assert len(s.exec(select(PurchaseOrder)).all()) == 1  # nothing imported either
    (result,) = await refresh(world.rt, [po_id])
    assert not result.ok
    assert result.message == "Auto-sync inactive: ACME is no longer an integrated supplier"
    assert world.lines(po_id)[1].quantity_confirmed != 11


# --- syncing notifications -------------------------------------------------------------------


async def test_an_unknown_item_found_in_the_cloud_catalog_is_added_and_appears_on_the_po(world):
    po_id, order_no = world.make_po()
    world.catalog.add_product(
        "NEW-1", "Sprocket", supplier_part_no="AC-300", upc="098765432109", unit_cost="2.5"
    )
    line_no = world.supplier.add_line(order_no, "AC-300", 7, "2.40", description="Sprocket")
    await poll(world.rt, fence=lease(world.db))
    with world.db.reader() as s:
        item = s.exec(select(Item).where(Item.sku == "NEW-1")).one()
    line = world.lines(po_id)[line_no]
    assert line.item_id == item.id and not line.missing_item
    assert item.supplier_part_no == "AC-300" and item.vendor_id == world.vendor_id
    assert world.po(po_id).line_count == 3
    assert world.notes(NotificationKind.MISSING_ITEM) == []
    (added,) = world.notes(NotificationKind.ITEM_ADDED)
    assert "NEW-1" in added.message


async def test_an_item_nobody_knows_is_kept_as_a_missing_item_with_a_notification(world):
    po_id, order_no = world.make_po()
    line_no = world.supplier.add_line(
        order_no, "AC-999", 2, "8", description="Gizmo", upc="011111111116"
    )
    await poll(world.rt, fence=lease(world.db))
    line = world.lines(po_id)[line_no]
    assert line.missing_item and line.item_id is None and line.supplier_part_no == "AC-999"
    assert line.quantity_ordered == 2 and world.po(po_id).total == Decimal("117")
    (note,) = world.notes(NotificationKind.MISSING_ITEM)
    assert note.po_id == po_id and note.po_line_id == line.id and not note.reviewed
    assert "AC-999" in note.message and "Gizmo" in note.message
    prefill = json.loads(note.payload)
    assert prefill["supplier_part_no"] == "AC-999" and prefill["upc"] == "011111111116"
    assert supplier_sync.missing_item_count(world.db, po_id) == 1


async def test_without_a_cloud_catalog_an_unknown_item_is_missing(world):
    world.rt.settings.catalog.enabled = False
    world.catalog.add_product("NEW-1", "Sprocket", supplier_part_no="AC-300")
    po_id, order_no = world.make_po()
    world.supplier.add_line(order_no, "AC-300", 1, 1)
    await poll(world.rt, fence=lease(world.db))
    (note,) = world.notes(NotificationKind.MISSING_ITEM)
    assert "no cloud catalog is set up" in note.message


async def test_the_operator_adds_the_missing_product_and_the_po_line_is_completed(world):
    po_id, order_no = world.make_po()
    line_no = world.supplier.add_line(order_no, "AC-999", 2, "8", description="Gizmo")
    await poll(world.rt, fence=lease(world.db))
    (note,) = world.notes(NotificationKind.MISSING_ITEM)
    prefill = supplier_sync.missing_item_prefill(world.db, note.id)
    assert prefill["sku"] == "AC-999" and prefill["description"] == "Gizmo"
    assert prefill["unit_cost"] == Decimal("8")

    item = resolve_missing_item(world.db, note.id, **{**prefill, "sku": "GZ-1"})

    line = world.lines(po_id)[line_no]
    assert line.item_id == item.id and not line.missing_item
    (note,) = world.notes(NotificationKind.MISSING_ITEM)
    assert note.resolved and note.reviewed
    assert supplier_sync.missing_item_count(world.db, po_id) == 0
    with pytest.raises(ValueError, match="already added"):
        resolve_missing_item(world.db, note.id, **prefill)


async def test_a_line_cancelled_by_the_supplier_is_hidden_and_a_notification_names_it(world):
    po_id, order_no = world.make_po()
    world.supplier.cancel_line(order_no, 2)
    await poll(world.rt, fence=lease(world.db))
    lines, po = world.lines(po_id), world.po(po_id)
    assert lines[2].hidden and len(lines) == 2  # hidden, never deleted
    assert po.line_count == 1 and po.total == Decimal("51")
    (note,) = world.notes(NotificationKind.LINE_CANCELLED)
    assert "AC-200" in note.message and "Gadget" in note.message and note.po_line_id == lines[2].id
    assert ("hidden", "False", "True") in {
        (a.field, a.old_value, a.new_value) for a in audits(world, po_id)
    }


async def test_notifications_are_marked_reviewed_and_counted(world):
    po_id, order_no = world.make_po()
    world.supplier.cancel_line(order_no, 1)
    world.supplier.add_line(order_no, "AC-999", 1, 1)
    await poll(world.rt, fence=lease(world.db))
    assert supplier_sync.unreviewed_count(world.db) == 2
    first = world.notes()[0]
    assert supplier_sync.mark_reviewed(world.db, [first.id]) == 1
    assert supplier_sync.unreviewed_count(world.db) == 1
    assert supplier_sync.mark_reviewed(world.db, [n.id for n in world.notes()]) == 1
    assert supplier_sync.unreviewed_count(world.db) == 0


# --- refresh ---------------------------------------------------------------------------------


async def test_refresh_fetches_the_supplier_order_now_and_updates_last_synced(world):
    po_id, order_no = world.make_po()
    await poll(world.rt, fence=lease(world.db))
    before = world.po(po_id).last_synced_at
    world.supplier.change_line(order_no, 1, quantity_confirmed=11)  # not polled yet

    (result,) = await refresh(world.rt, [po_id])

    assert result.ok and result.po_number == "PO-0000001" and result.last_synced_at > before
    assert world.lines(po_id)[1].quantity_confirmed == 11


async def test_refresh_of_a_po_the_supplier_has_not_acknowledged_finds_it_by_po_number(world):
    po_id, order_no = world.make_po()
    (result,) = await refresh(world.rt, [po_id])
    assert result.ok and world.po(po_id).supplier_order_no == order_no


async def test_a_po_the_supplier_does_not_know_gets_a_plain_reason(world):
    po_id, _ = world.make_po(sent=False)
    with world.db.session() as s:
        s.get(PurchaseOrder, po_id).supplier_order_no = "SO-NOPE"
    (result,) = await refresh(world.rt, [po_id], attempts=1)
    assert not result.ok
    assert result.message == "The supplier does not know order SO-NOPE"
    assert world.po(po_id).last_sync_error == "The supplier does not know order SO-NOPE"


async def test_refresh_reports_its_progress_po_by_po(world):
    ids = [world.make_po(f"PO-000000{n}")[0] for n in range(1, 4)]
    seen: list[tuple[int, int]] = []
    await refresh(world.rt, ids, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]


async def test_a_new_draft_is_not_flagged_and_one_that_never_synced_and_failed_is(world):
    po_id, _ = world.make_po(status=POStatus.DRAFT, sent=False)
    assert not out_of_sync(world.po(po_id))
    with world.db.session() as s:
        s.get(PurchaseOrder, po_id).last_sync_error = "The supplier does not know this PO"
    assert out_of_sync(world.po(po_id))


async def test_a_failed_refresh_is_recorded_and_shown(world):
    po_id, _ = world.make_po()
    other_id, _ = world.make_po("PO-0000002", auto_sync=False)
    world.supplier.faults.fail_next(5, status=500)
    results = await refresh(world.rt, [po_id, other_id], attempts=1)
    assert [r.ok for r in results] == [False, False]
    assert "HTTP 500" in results[0].message
    assert results[1].message == "Auto-sync is off: nothing to refresh"  # no PO number twice
    assert "HTTP 500" in world.po(po_id).last_sync_error
    assert world.notes() == []


# --- vendors, new POs, read-only fields, special orders ---------------------------------------


async def test_turning_auto_sync_on_offers_to_auto_sync_all_open_pos(world):
    with world.db.session() as s:
        s.get(Vendor, world.vendor_id).auto_sync = False
    for n in range(3):
        world.make_po(f"PO-000001{n}", auto_sync=False, sent=False)
    world.make_po("PO-0000020", auto_sync=False, sent=False, status="closed")
    world.make_po("PO-0000021", auto_sync=False, sent=False, status="draft")  # not open
    assert supplier_sync.count_open_pos(world.db, world.vendor_id) == 3
    assert not supplier_sync.new_po_defaults(world.db, world.vendor_id).auto_sync

    assert len(supplier_sync.set_vendor_auto_sync(world.db, world.vendor_id, True, True)) == 3

    with world.db.reader() as s:
        flags = {p.number: p.auto_sync for p in s.exec(select(PurchaseOrder))}
    assert flags == {
        "PO-0000010": True,
        "PO-0000011": True,
        "PO-0000012": True,
        "PO-0000020": False,
        "PO-0000021": False,
    }
    defaults = supplier_sync.new_po_defaults(world.db, world.vendor_id)
    assert defaults.auto_sync and defaults.number not in flags


async def test_only_integrated_suppliers_can_auto_sync(world):
    with world.db.session() as s:
        plain = Vendor(code="LOCAL", name="Local shop")
        s.add(plain)
        s.flush()
        plain_id = plain.id
    with pytest.raises(ValueError, match="not an integrated supplier"):
        supplier_sync.set_vendor_auto_sync(world.db, plain_id, True)


async def test_fields_filled_by_the_sync_are_read_only_after_it_and_others_stay_editable(world):
    po_id, order_no = world.make_po()
    line_id = world.lines(po_id)[1].id
    edit_po_line(world.db, line_id, quantity_confirmed=Decimal(9))  # not synced yet: editable
    await poll(world.rt, fence=lease(world.db))
    assert "quantity_confirmed" in supplier_sync.supplier_line_fields_locked(world.po(po_id))

    with pytest.raises(FieldLocked, match="quantity confirmed .* set by the supplier sync"):
        edit_po_line(world.db, line_id, quantity_confirmed=Decimal(1))
    with pytest.raises(FieldLocked, match="expected date"):
        edit_po(world.db, po_id, expected_date=date(2027, 1, 1))
    edit_po(world.db, po_id, notes="call before delivery", reference="REQ-7")
    edit_po_line(world.db, line_id, quantity_received=Decimal(2))
    assert world.po(po_id).notes == "call before delivery"
    assert world.lines(po_id)[1].quantity_received == 2


async def test_a_line_is_assigned_to_a_matching_open_special_order(world):
    from posync_tui.models import Customer, SalesOrder, SalesOrderLine

    po_id, _ = world.make_po(sent=False)
    line_id = world.lines(po_id)[1].id
    with world.db.session() as s:
        customer = Customer(code="C1", name="Corner Store")
        s.add(customer)
        s.flush()
        order = SalesOrder(number="SO-9", customer_id=customer.id)
        done = SalesOrder(number="SO-8", customer_id=customer.id, status="closed")
        s.add_all([order, done])
        s.flush()
        wanted = SalesOrderLine(
            sales_order_id=order.id,
            line_no=1,
            item_id=world.widget_id,
            quantity=Decimal(2),
            special_order=True,
        )
        s.add_all(
            [
                wanted,
                SalesOrderLine(
                    sales_order_id=order.id, line_no=2, item_id=world.widget_id, quantity=Decimal(1)
                ),  # not a special order
                SalesOrderLine(
                    sales_order_id=order.id,
                    line_no=3,
                    item_id=world.gadget_id,
                    quantity=Decimal(1),
                    special_order=True,
                ),  # another item
                SalesOrderLine(
                    sales_order_id=done.id,
                    line_no=1,
                    item_id=world.widget_id,
                    quantity=Decimal(1),
                    special_order=True,
                ),  # closed order
            ]
        )
        s.flush()
        wanted_id = wanted.id
    (choice,) = supplier_sync.matching_special_orders(world.db, line_id)
    assert (choice.sales_order_line_id, choice.customer) == (wanted_id, "Corner Store")

    supplier_sync.assign_special_order(world.db, line_id, wanted_id)

    assert world.lines(po_id)[1].special_order_line_id == wanted_id
    (choice,) = supplier_sync.matching_special_orders(world.db, line_id)
    assert choice.assigned_to_po_line_id == line_id
    with pytest.raises(ValueError, match="not an open special order"):
        supplier_sync.assign_special_order(world.db, world.lines(po_id)[2].id, wanted_id)


# --- idempotency, cursor, events ---------------------------------------------------------------


async def test_a_change_applied_twice_gives_the_same_result(world):
    po_id, order_no = world.make_po()
    world.supplier.change_line(order_no, 1, quantity_confirmed=10)
    world.supplier.cancel_line(order_no, 2)
    world.supplier.add_line(order_no, "AC-999", 1, 1)
    await poll(world.rt, fence=lease(world.db))
    state = (world.lines(po_id), len(audits(world, po_id)), len(world.notes()))

    world.supplier.notify(order_no)  # the same order again, unchanged
    await poll(world.rt, fence=lease(world.db))

    again = (world.lines(po_id), len(audits(world, po_id)), len(world.notes()))
    assert again == state


async def test_the_cursor_is_stored_so_a_restart_neither_misses_nor_repeats(world):
    po_id, order_no = world.make_po()
    assert (await poll(world.rt, fence=lease(world.db))).startswith("1 supplier change")
    restarted = Database(world.db.url)  # a new process on the same database
    rt = Runtime(world.rt.settings, restarted, world.rt.sandbox, world.rt.sandbox_server)
    assert await poll(rt, fence=lease(rt.db)) == "No supplier changes"
    world.supplier.change_line(order_no, 1, quantity_confirmed=10)
    assert (await poll(rt, fence=lease(rt.db))).startswith("1 supplier change")
    assert supplier_sync.read_cursor(restarted) == str(world.supplier.feed_length())
    restarted.dispose()


async def test_the_cursor_moves_only_with_the_changes_it_covers(world, monkeypatch):
    po_id, order_no = world.make_po()
    real_write = supplier_sync_apply._Batch.write

    def crash(self):
        real_write(self)
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(supplier_sync_apply._Batch, "write", crash)
    with pytest.raises(OperationalError):
        await poll(world.rt, fence=lease(world.db))
    assert supplier_sync.read_cursor(world.db) is None
    assert world.po(po_id).supplier_order_no is None

    monkeypatch.setattr(supplier_sync_apply._Batch, "write", real_write)
    await poll(world.rt, fence=lease(world.db))
    assert world.po(po_id).supplier_order_no == order_no


async def test_many_changes_are_applied_page_by_page(world):
    po_id, order_no = world.make_po()
    for qty in range(1, 6):
        world.supplier.change_line(order_no, 1, quantity_confirmed=qty)
    summary = await poll(world.rt, fence=lease(world.db), page_size=2)
    assert summary.startswith("6 supplier changes")
    assert world.lines(po_id)[1].quantity_confirmed == 5
    assert supplier_sync.read_cursor(world.db) == "6"


async def test_every_committed_change_is_announced(world):
    seen: list[Change] = []
    world.db.bus.subscribe(seen.append)
    po_id, order_no = world.make_po()
    world.catalog.add_product("NEW-1", "Sprocket", supplier_part_no="AC-300")
    world.supplier.add_line(order_no, "AC-300", 1, 1)
    world.supplier.cancel_line(order_no, 1)
    seen.clear()
    await poll(world.rt, fence=lease(world.db))
    kinds = {c.kind for c in seen}
    assert {"purchase_order", "notification", "item", "vendor", "connector"} <= kinds
    assert any(c.kind == "purchase_order" and po_id in c.ids for c in seen)


# --- bad input -----------------------------------------------------------------------------


async def test_an_order_for_a_po_that_does_not_exist_changes_nothing_and_is_reported(world):
    world.supplier.create_order(
        ACCOUNT,
        [{"supplier_part_no": "AC-100", "quantity": 1, "unit_cost": 1}],
        buyer_po_number="PO-9999999",
    )
    po_id, order_no = world.make_po()  # the next good change
    await poll(world.rt, fence=lease(world.db))
    (error,) = world.notes(NotificationKind.SYNC_ERROR)
    assert "PO-9999999" in error.message and "not in posync" in error.message
    with world.db.reader() as s:
        assert [p.number for p in s.exec(select(PurchaseOrder))] == ["PO-0000001"]
    assert world.po(po_id).supplier_order_no == order_no


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("negative", "negative quantity confirmed"),
        ("currency", "unknown currency 'ZZZ'"),
        ("malformed", "not JSON"),
    ],
)
async def test_a_bad_supplier_order_leaves_no_partial_write_and_the_next_change_applies(
    world, fault, words
):
    po_id, order_no = world.make_po()
    other_id, other_no = world.make_po("PO-0000002")
    await poll(world.rt, fence=lease(world.db))
    before = (world.lines(po_id), len(audits(world, po_id)))
    world.supplier.change_line(order_no, 2, quantity_confirmed=4)  # good field, same order
    if fault == "negative":
        world.supplier.change_line(order_no, 1, quantity_confirmed=-3)
    elif fault == "currency":
        world.supplier.change_order(order_no, currency="ZZZ")
    else:
        world.supplier.break_order(order_no, "<html>502 Bad Gateway</html>")
    world.supplier.change_line(other_no, 1, quantity_confirmed=7)  # the next good change

    await poll(world.rt, fence=lease(world.db))

    assert (world.lines(po_id), len(audits(world, po_id))) == before
    assert world.notes(NotificationKind.SYNC_ERROR) == []
    (bad,) = world.notes(NotificationKind.BAD_DATA)  # quarantined: see the feed tests
    assert words in bad.message and order_no in bad.message
    assert words in world.po(po_id).last_sync_error and out_of_sync(world.po(po_id))
    assert world.lines(other_id)[1].quantity_confirmed == 7


async def test_an_order_from_an_unknown_supplier_account_is_reported(world):
    world.supplier.create_order(
        "ACC-NOBODY", [{"supplier_part_no": "X", "quantity": 1, "unit_cost": 1}]
    )
    await poll(world.rt, fence=lease(world.db))
    (error,) = world.notes(NotificationKind.SYNC_ERROR)
    assert "ACC-NOBODY" in error.message
    with world.db.reader() as s:
        assert s.exec(select(PurchaseOrder)).all() == []


async def test_a_supplier_that_stops_answering_loses_nothing(world):
    po_id, order_no = world.make_po()
    world.rt.settings.supplier.timeout = 0.3
    world.supplier.faults.delay = 2
    with pytest.raises(PartnerUnavailable, match="did not answer in time"):
        await poll(world.rt, fence=lease(world.db), attempts=1)
    assert supplier_sync.read_cursor(world.db) is None
    world.supplier.faults.delay = 0
    await poll(world.rt, fence=lease(world.db))
    assert world.po(po_id).supplier_order_no == order_no


async def test_an_order_the_database_refuses_is_reported_and_the_others_still_apply(
    world, monkeypatch
):
    po_id, order_no = world.make_po()
    other_id, other_no = world.make_po("PO-0000002")
    real_apply = supplier_sync_feed.apply_orders

    def refuse_one(session, works, answers, now):
        result = real_apply(session, works, answers, now)
        if any(w.order and w.order_no == order_no for w in works):
            raise IntegrityError("UPDATE", {}, Exception("value too long"))
        return result

    monkeypatch.setattr(supplier_sync_feed, "apply_orders", refuse_one)
    await poll(world.rt, fence=lease(world.db))
    assert world.po(po_id).supplier_order_no is None
    assert world.po(other_id).supplier_order_no == other_no
    (bad,) = world.notes(NotificationKind.BAD_DATA)
    assert order_no in bad.message and "value too long" in bad.message
    assert "could not be saved" in world.po(po_id).last_sync_error
    assert out_of_sync(world.po(po_id))
    assert supplier_sync.read_cursor(world.db) == "2"


# --- the inbound feed: bad partner data, transient failures, times ---------------------------


def red_in_po_list(w, po_id) -> bool:
    """The PO list's own test for a red last-synced date (the detail uses ``out_of_sync``)."""
    source = PoListSource(w.db.engine)
    source.prepare()
    (row,) = source.rows(View(sort="number"), [po_id])
    return bool(row.data["out_of_sync"])


def quarantined(w) -> list[QuarantinedEntry]:
    with w.db.reader() as s:
        return list(s.exec(select(QuarantinedEntry).order_by(QuarantinedEntry.id)))


ONE_LINE = [{"supplier_part_no": "AC-100", "quantity": 1, "unit_cost": 1}]


# Path segments are encoded, so these can only fail at the partner (which cannot route them)
# or, for "..", before any request is made.
@pytest.mark.parametrize("order_no", ["SO-1/../SO-2?x#y", "SO 1\n2", ".."])
async def test_an_order_number_no_url_may_carry_is_quarantined_and_the_feed_goes_on(
    world, caplog, order_no
):
    world.supplier.create_order(ACCOUNT, ONE_LINE, order_no=order_no)
    po_id, good_no = world.make_po()  # the next good change
    summary = await poll(world.rt, fence=lease(world.db))
    assert "1 set aside as bad data" in summary
    assert world.po(po_id).supplier_order_no == good_no
    (row,) = quarantined(world)
    assert row.connector == "supplier" and row.seq == 1 and row.stage in ("fetch", "parse")
    assert supplier_sync.read_cursor(world.db) == "2"
    (bad,) = world.notes(NotificationKind.BAD_DATA)
    assert "feed entry 1" in bad.message
    assert not [r for r in caplog.records if r.exc_info]  # one line each, no traceback


@pytest.mark.parametrize(
    ("body", "stage"),
    [
        ("[" * 50_000 + "]" * 50_000, "parse"),  # nested brackets
        ("x" * 10_000_000, "parse"),  # a 10 MB body that is not an order
        ({"order_no": "SO-1001", "supplier_account": ACCOUNT, "currency": "USD",
          "lines": [{**ONE_LINE[0], "line_no": 1, "quantity_ordered": "1e999999"}]}, "parse"),
    ],
    ids=["nested", "10MB", "overflow"],
)  # fmt: skip
async def test_a_body_that_cannot_be_read_or_saved_is_quarantined_and_reprocessed_after_a_fix(
    world, caplog, body, stage
):
    po_id, order_no = world.make_po()
    other_id, other_no = world.make_po("PO-0000002")
    await poll(world.rt, fence=lease(world.db))
    synced = world.po(po_id).last_synced_at
    world.supplier.break_order(order_no, body)
    world.supplier.change_line(other_no, 1, quantity_confirmed=7)  # the next good change

    await poll(world.rt, fence=lease(world.db))

    assert world.lines(other_id)[1].quantity_confirmed == 7
    (row,) = quarantined(world)
    assert (row.entry_key, row.stage) == (order_no, stage) and row.error and row.message
    (bad,) = world.notes(NotificationKind.BAD_DATA)
    assert order_no in bad.message and row.error in bad.message
    # It names the PO that waits for the order, so the operator can open it.
    assert (bad.po_id, bad.vendor_id) == (po_id, world.po(po_id).vendor_id)
    # The PO keeps the time of the partner data it reflects, and shows red.
    po = world.po(po_id)
    assert po.last_synced_at == synced and out_of_sync(po) and red_in_po_list(world, po_id)
    assert not [r for r in caplog.records if r.exc_info]

    world.supplier.repair_order(order_no)
    world.supplier.change_line(order_no, 1, quantity_confirmed=9)
    message = await supplier_sync.reprocess(world.rt, row.id)
    assert order_no in message
    assert world.lines(po_id)[1].quantity_confirmed == 9 and not out_of_sync(world.po(po_id))
    (row,) = quarantined(world)
    assert row.reprocessed_at is not None
    assert world.notes(NotificationKind.BAD_DATA)[0].resolved


async def test_a_supplier_time_in_the_future_is_not_trusted(world):
    po_id, order_no = world.make_po()
    await poll(world.rt, fence=lease(world.db))
    world.supplier.notify(order_no, at="2999-01-01T00:00:00+00:00")
    before = utcnow()
    await poll(world.rt, fence=lease(world.db))
    po = world.po(po_id)
    assert before <= po.supplier_notified_at <= utcnow()
    assert before <= po.last_synced_at <= utcnow()  # the time of the fetch, not the supplier's
    assert not out_of_sync(po) and not red_in_po_list(world, po_id)
    world.supplier.change_line(order_no, 1, quantity_confirmed=2)  # a real change later
    world.supplier.fail_next_fetch(1, status=503)
    with pytest.raises(PartnerUnavailable):
        await poll(world.rt, fence=lease(world.db), attempts=1)
    assert out_of_sync(world.po(po_id)) and red_in_po_list(world, po_id)


def imported(world, order_no: str) -> PurchaseOrder:
    with world.db.reader() as s:
        query = select(PurchaseOrder).where(PurchaseOrder.supplier_order_no == order_no)
        return s.exec(query).one()


async def test_a_direct_order_whose_fetch_failed_is_imported_by_the_next_poll(world):
    order_no = world.supplier.create_order(ACCOUNT, ONE_LINE)
    world.supplier.fail_next_fetch(1, status=503)
    with pytest.raises(ConnectorError) as failed:
        await poll(world.rt, fence=lease(world.db), attempts=1)
    assert failed.value.retryable
    assert supplier_sync.read_cursor(world.db) is None and quarantined(world) == []
    await poll(world.rt, fence=lease(world.db))
    po = imported(world, order_no)
    assert po.created_by_supplier and not out_of_sync(po)


async def test_a_throttled_fetch_is_waited_out_and_the_direct_order_imported(world):
    order_no = world.supplier.create_order(ACCOUNT, ONE_LINE)
    world.supplier.fail_next_fetch(1, status=429)
    await poll(world.rt, fence=lease(world.db), attempts=1)
    assert quarantined(world) == [] and imported(world, order_no).created_by_supplier


async def test_an_order_naming_a_po_linked_to_another_supplier_order_does_not_take_it_over(
    world,
):
    po_id, order_no = world.make_po()
    await poll(world.rt, fence=lease(world.db))
    before = (world.po(po_id), world.lines(po_id), len(audits(world, po_id)))
    other = world.supplier.create_order(
        ACCOUNT,
        [{"supplier_part_no": "AC-200", "quantity": 99, "unit_cost": 1}],
        buyer_po_number="PO-0000001",
    )
    await poll(world.rt, fence=lease(world.db))
    po = world.po(po_id)
    assert po.supplier_order_no == order_no
    assert (po, world.lines(po_id), len(audits(world, po_id))) == before
    (error,) = world.notes(NotificationKind.SYNC_ERROR)
    assert (
        other in error.message and order_no in error.message and "already linked" in error.message
    )


async def test_a_po_total_after_an_edit_is_the_sum_of_its_lines_rounded_per_line(world):
    po_id, _ = world.make_po(auto_sync=False, sent=False)
    line_id = world.lines(po_id)[1].id
    edit_po_line(world.db, line_id, quantity_ordered=Decimal(3), unit_cost=Decimal("0.3335"))
    assert world.po(po_id).total == Decimal("51.00")  # 1.0005 → 1.00, plus 5 × 10
    with pytest.raises(ValueError, match="^Unit cost must be less than 10,000,000$"):
        edit_po_line(world.db, line_id, unit_cost=Decimal("1e30"))
    with pytest.raises(ValueError, match="^Quantity ordered must be more than 0$"):
        edit_po_line(world.db, line_id, quantity_ordered=Decimal("-0"))
