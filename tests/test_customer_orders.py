"""Customer orders in posync, the ERP of the Ovotrack flow (seed: "The user will create an
order ... Additionally the Warehouse Interface Status needs to be set to Send"; "Quantities can be
updated to 0 if the item is no longer needed on the order")."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import select

from posync_tui.models import (
    AuditEntry,
    Customer,
    CustomerLocation,
    Division,
    Item,
    SalesOrder,
    SalesOrderLine,
    saved_id,
)
from posync_tui.paging import View
from posync_tui.services.customer_orders import (
    SEND,
    CustomerOrderSource,
    OrderInvalid,
    OrderLine,
    divisions,
    find_ship_to,
    read_order,
    save_order,
)


@pytest.fixture
def world(db):
    return make_world(db)


def make_world(db) -> dict[str, int]:
    """Customer C1 with a ship-to (SHIP) and a Bill To only location (BILL); division MAIN;
    items EGG-12 and EGG-30."""
    with db.session() as s:
        customer = Customer(code="C1", name="Hen House [/] Deli")
        main = Division(code="MAIN", name="Main", warehouse_interface=True)
        egg12 = Item(sku="EGG-12", description="Eggs, dozen")
        egg30 = Item(sku="EGG-30", description="Tray")
        s.add_all([customer, main, egg12, egg30])
        s.flush()
        ship = CustomerLocation(customer_id=saved_id(customer), code="SHIP", name="Hen House")
        bill = CustomerLocation(
            customer_id=saved_id(customer),
            code="BILL",
            name="Accounts",
            is_ship_to=False,
            is_bill_to=True,
        )
        s.add_all([ship, bill])
        s.flush()
        return {
            "ship": saved_id(ship),
            "bill": saved_id(bill),
            "main": saved_id(main),
            "egg12": saved_id(egg12),
            "egg30": saved_id(egg30),
        }


def _new(db, world, *lines: OrderLine, ship: str = "ship") -> int:
    return save_order(db, None, world[ship], world["main"], list(lines))


def _audit(db, kind: str) -> list[tuple[str, str | None, str | None]]:
    with db.reader() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.record_kind == kind)).all()
        return [(e.field, e.old_value, e.new_value) for e in rows if e.source == "operator"]


def test_the_operator_creates_an_order_whose_lines_have_status_send(db, world):
    order_id = _new(
        db, world, OrderLine(None, world["egg12"], "12", SEND), OrderLine(None, world["egg30"], "2")
    )

    order = read_order(db, order_id)
    assert order.number.startswith("SO-")
    assert order.ship_to is not None and order.ship_to.code == "SHIP"
    assert [(ln.item_id, ln.quantity, ln.status) for ln in order.lines] == [
        (world["egg12"], Decimal(12), SEND),
        (world["egg30"], Decimal(2), ""),
    ]
    assert ("created", None, order.number) in _audit(db, "sales_order")
    assert len(_audit(db, "sales_order_line")) == 2


def test_every_refused_value_is_named_at_its_field(db, world):
    with pytest.raises(OrderInvalid) as refused:
        save_order(
            db,
            None,
            None,
            None,
            [OrderLine(None, None, "abc", "Maybe"), OrderLine(None, world["egg12"], "0")],
        )
    found = {(p.field, p.line) for p in refused.value.problems}
    assert found == {
        ("ship_to", None),
        ("division", None),
        ("item", 1),
        ("quantity", 1),
        ("status", 1),
        ("quantity", 2),
    }
    with db.reader() as s:
        assert s.scalars(select(SalesOrder)).all() == []


def test_a_bill_to_only_location_is_not_a_ship_to(db, world):
    with pytest.raises(OrderInvalid) as refused:
        _new(db, world, OrderLine(None, world["egg12"], 1, SEND), ship="bill")
    assert refused.value.problems[0].field == "ship_to"
    assert [c.code for c in find_ship_to(db, "hen")] == ["SHIP"]


def test_an_edit_sets_quantity_0_adds_an_item_and_moves_only_the_changed_lines(db, world):
    order_id = _new(
        db, world, OrderLine(None, world["egg12"], 5), OrderLine(None, world["egg30"], 1)
    )
    before = read_order(db, order_id)
    first, second = before.lines

    save_order(
        db,
        order_id,
        world["ship"],
        world["main"],
        [
            OrderLine(first.id, first.item_id, "0", SEND),
            OrderLine(second.id, second.item_id, second.quantity, second.status),
            OrderLine(None, world["egg30"], "3", SEND),
        ],
    )

    after = read_order(db, order_id)
    assert [(ln.quantity, ln.status) for ln in after.lines] == [
        (Decimal(0), SEND),
        (Decimal(1), ""),
        (Decimal(3), SEND),
    ]
    with db.reader() as s:
        changed, unchanged = (s.get(SalesOrderLine, ln.id) for ln in (first, second))
        assert changed.updated_at > unchanged.updated_at  # what a batch imports by
    assert ("quantity", "5", "0") in _audit(db, "sales_order_line")
    assert ("warehouse_interface_status", "", SEND) in _audit(db, "sales_order_line")


def test_an_unchanged_save_leaves_last_modified_alone(db, world):
    order_id = _new(db, world, OrderLine(None, world["egg12"], 5, SEND))
    before = read_order(db, order_id)
    lines = [OrderLine(ln.id, ln.item_id, ln.quantity, ln.status) for ln in before.lines]
    save_order(db, order_id, world["ship"], world["main"], lines)
    assert read_order(db, order_id).updated_at == before.updated_at


def test_a_saved_line_cannot_be_moved_to_another_order(db, world):
    first = _new(db, world, OrderLine(None, world["egg12"], 1))
    second = _new(db, world, OrderLine(None, world["egg12"], 1))
    foreign = read_order(db, first).lines[0].id
    with pytest.raises(OrderInvalid):
        save_order(
            db, second, world["ship"], world["main"], [OrderLine(foreign, world["egg12"], 9)]
        )
    with db.reader() as s:
        assert s.get(SalesOrderLine, foreign).quantity == 1


def test_the_list_pages_and_filters_by_customer(db, world):
    _new(db, world, OrderLine(None, world["egg12"], 1, SEND), OrderLine(None, world["egg30"], 1))
    source = CustomerOrderSource(db.engine)
    view = View(sort="number", text="[/]")
    assert source.count(view) == 1
    row = source.page(view, 0, 10)[0]
    assert row.data["customer"] == "Hen House [/] Deli"
    assert (row.data["lines"], row.data["to_send"]) == (2, 1)
    assert [d.code for d in divisions(db)] == ["MAIN"]
