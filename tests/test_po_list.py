"""The PO list: filter as you type (PO, vendor, supplier order, item), out of sync, seeding."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from posync_tui.models import (
    Item,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    Vendor,
    utcnow,
)
from posync_tui.paging import View
from posync_tui.seed import seed_bulk
from posync_tui.services import po_search
from posync_tui.services.po_list import PoListSource


@pytest.fixture
def orders(any_db):
    """Two vendors, three POs; one PO holds a line for item HX-7781 (supplier part ZP-55, a
    "Hex bolt, zinc plated").

    On SQLite and on PostgreSQL: the list reads the same rows from both.
    """
    db = any_db
    now = utcnow()
    with db.session() as s:
        acme = Vendor(code="ACME", name="Acme Fasteners", auto_sync=True)
        bolt = Vendor(code="BOLT", name="Boltworks [bold]Ltd[/]")
        s.add_all([acme, bolt])
        s.flush()
        item = Item(sku="HX-7781", description="Hex bolt, zinc plated", supplier_part_no="ZP-55")
        s.add(item)
        s.flush()
        synced = PurchaseOrder(
            number="PO-10001", vendor_id=acme.id, auto_sync=True, supplier_order_no="SUP-4410",
            last_synced_at=now, supplier_notified_at=now - timedelta(hours=1),
        )  # fmt: skip
        stale = PurchaseOrder(
            number="PO-10002", vendor_id=acme.id, auto_sync=True,
            last_synced_at=now - timedelta(days=2), supplier_notified_at=now - timedelta(days=1),
        )  # fmt: skip
        plain = PurchaseOrder(number="PO-20003", vendor_id=bolt.id, status=POStatus.CLOSED)
        s.add_all([synced, stale, plain])
        s.flush()
        s.add(
            PurchaseOrderLine(
                po_id=plain.id, line_no=1, item_id=item.id, supplier_part_no="ZP-55",
                description=item.description,
            )
        )  # fmt: skip
        ids = {"synced": synced.id, "stale": stale.id, "plain": plain.id, "acme": acme.id}
        ids["item"], ids["bolt"] = item.id, bolt.id
    source = PoListSource(db.engine)
    source.prepare()
    return source, ids


def numbers(source, view):
    return [r.data["number"] for r in source.page(view, 0, 1000)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10002", ["PO-10002"]),  # part of a PO number
        ("po-1", ["PO-10001", "PO-10002"]),
        ("fasteners", ["PO-10001", "PO-10002"]),  # vendor name, any case
        ("bolt", ["PO-20003"]),  # vendor code (and name)
        ("SUP-44", ["PO-10001"]),  # supplier order no.
        ("x-778", ["PO-20003"]),  # item SKU on a line
        ("zp-5", ["PO-20003"]),  # supplier part no. on a line
        ("zinc pl", ["PO-20003"]),  # item description on a line
        ("HEX B", ["PO-20003"]),
        ("nothing like it", []),
        ("P", ["PO-10001", "PO-10002", "PO-20003"]),  # one or two letters: starts with
        ("ac", ["PO-10001", "PO-10002"]),
        ('"]', []),  # quotes and brackets are text, not query syntax
    ],
)
def test_filter_as_you_type_finds_pos_by_number_vendor_supplier_order_and_item(
    orders, text, expected
):
    source, _ = orders
    view = View(sort="number", text=text)
    assert numbers(source, view) == expected
    assert source.count(view) == len(expected)


def test_search_follows_changes_to_vendors_items_and_lines(orders, any_db):
    source, ids, db = *orders, any_db
    with db.session() as s:
        s.get(Vendor, ids["bolt"]).name = "Zenith Tools"
        s.get(Item, ids["item"]).sku = "QQ-9000"
    assert numbers(source, View(sort="number", text="zenith")) == ["PO-20003"]
    assert numbers(source, View(sort="number", text="QQ-900")) == ["PO-20003"]
    assert numbers(source, View(sort="number", text="HX-778")) == []
    with db.session() as s:
        s.scalars(select(PurchaseOrderLine)).one().description = "Carriage bolt"
    assert numbers(source, View(sort="number", text="carriage")) == ["PO-20003"]
    assert numbers(source, View(sort="number", text="zinc")) == []
    with db.session() as s:
        line = s.scalars(select(PurchaseOrderLine)).one()
        line.po_id = ids["synced"]
    assert numbers(source, View(sort="number", text="QQ-900")) == ["PO-10001"]
    assert numbers(source, View(sort="number", text="carriage")) == ["PO-10001"]
    with db.session() as s:
        s.delete(s.scalars(select(PurchaseOrderLine)).one())
    assert numbers(source, View(sort="number", text="QQ-900")) == []


def test_the_marked_pos_a_view_shows_are_read_under_its_filter(orders):
    source, ids = orders
    marked = {ids["synced"], ids["stale"], ids["plain"]}
    acme = View(sort="number", text="fasteners")
    assert source.matching(acme, marked) == {ids["synced"], ids["stale"]}
    assert source.matching(acme, marked, batch=1) == {ids["synced"], ids["stale"]}
    closed = View(sort="number").with_filter("status", "closed")
    assert source.matching(closed, marked) == {ids["plain"]}
    assert source.matching(closed, {ids["synced"]}) == set()
    assert source.matching(acme, set()) == set()


def test_out_of_sync_means_auto_sync_and_last_sync_older_than_the_supplier(orders):
    source, ids = orders
    view = View(sort="number").with_filter("out_of_sync", True)
    assert numbers(source, view) == ["PO-10002"]
    rows = {r.key: r for r in source.page(View(sort="number"), 0, 10)}
    assert rows[ids["stale"]].data["out_of_sync"]
    assert not rows[ids["synced"]].data["out_of_sync"]


def test_last_synced_is_shown_only_with_auto_sync(orders, any_db):
    source, ids, db = *orders, any_db
    with db.session() as s:
        s.get(PurchaseOrder, ids["synced"]).auto_sync = False
    rows = {r.key: r for r in source.page(View(sort="number"), 0, 10)}
    assert rows[ids["synced"]].data["last_synced"] is None
    assert rows[ids["stale"]].data["last_synced"] is not None


def test_filter_by_vendor_and_status(orders):
    source, ids = orders
    assert numbers(source, View(sort="number").with_filter("vendor_id", ids["acme"])) == [
        "PO-10001",
        "PO-10002",
    ]
    assert numbers(source, View(sort="number").with_filter("status", "closed")) == ["PO-20003"]
    both = View(sort="vendor", text="po").with_filter("status", ("open", "closed"))
    assert numbers(source, both) == ["PO-10001", "PO-10002", "PO-20003"]


def test_seeded_pos_have_totals_and_line_counts_that_agree_with_their_lines(db):
    seed_bulk(db, pos=400, lines_per_po=3, vendors=10, items=60)
    with db.session() as s:
        lines: dict[int, list[PurchaseOrderLine]] = {}
        for line in s.scalars(select(PurchaseOrderLine)):
            lines.setdefault(line.po_id, []).append(line)
        pos = s.scalars(select(PurchaseOrder)).all()
        assert len(pos) == 400
        for po in pos:
            assert po.line_count == len(lines[po.id])
            assert po.total == sum(ln.quantity_ordered * ln.unit_cost for ln in lines[po.id])
        assert any(po.auto_sync for po in pos)
    source = PoListSource(db.engine)
    source.prepare()
    assert source.count(View(sort="number").with_filter("out_of_sync", True)) > 0
    assert source.count(View(sort="number", text="PO-00001")) > 0


def test_postgresql_filters_through_trigram_indexes_when_the_server_has_pg_trgm(pg_db):
    source = PoListSource(pg_db.engine)
    source.prepare()
    source.prepare()  # idempotent: every console prepares its list
    with pg_db.engine.connect() as conn:
        names = set(conn.exec_driver_sql("SELECT indexname FROM pg_indexes").scalars())
        available = po_search.trigram_available(conn)
    trigram = {name for name, _, _ in po_search.PG_TRIGRAM_INDEXES}
    # The pgserver wheel has no contrib extensions; Debian's server has them.
    assert trigram <= names if available else not trigram & names


def test_an_index_filled_by_another_version_of_the_document_is_filled_again(db):
    with db.session() as s:
        vendor = Vendor(code="ACME", name="Acme")
        s.add(vendor)
        s.flush()
        po = PurchaseOrder(number="PO-1", vendor_id=vendor.id)
        s.add(po)
        s.flush()
        s.add(PurchaseOrderLine(po_id=po.id, line_no=1, description="Wing nut"))
    source = PoListSource(db.engine)
    source.prepare()
    with db.engine.begin() as conn:  # as an older posync left it: its document, its trigger
        conn.exec_driver_sql("UPDATE po_search SET doc = 'PO-1 ACME Acme'")
        conn.exec_driver_sql("DROP TRIGGER po_search_line_update")
        conn.exec_driver_sql(
            "CREATE TRIGGER po_search_line_update AFTER UPDATE OF po_id ON purchase_order_line "
            "BEGIN SELECT 1; END"
        )
    assert numbers(source, View(sort="number", text="wing")) == []
    source.prepare()
    assert numbers(source, View(sort="number", text="wing")) == ["PO-1"]
    with db.session() as s:
        s.scalars(select(PurchaseOrderLine)).one().description = "Lock washer"
    assert numbers(source, View(sort="number", text="washer")) == ["PO-1"]


def test_a_filter_most_pos_match_pages_the_same_rows_either_way(db):
    """A broad filter's page asks the index about each PO; a narrow one reads the matches."""
    seed_bulk(db, pos=300, lines_per_po=2, vendors=6, items=30)
    source = PoListSource(db.engine)
    source.prepare()
    for text in ("PO-", "PO-00001", "po-0000"):
        view = View(sort="number", text=text)
        total = source.count(view)
        assert total == len(list(source.keys(view)))
        for offset in (0, 50, total - 50):
            probed = source.page(view, offset, 50, total=total)
            read = source.page(view, offset, 50)  # no total: never probes
            assert [r.key for r in probed] == [r.key for r in read]


def cell(source, key: int, column: str) -> str:
    row = next(r for r in source.page(View(sort="number"), 0, 10) if r.key == key)
    shown = next(c for c in source.columns if c.key == column)
    return shown.cell(row.data) if shown.cell else shown.format(row.data[column])


def test_a_total_is_never_cut_in_its_column(orders, any_db):
    source, ids, db = *orders, any_db
    with db.session() as s:
        s.get(PurchaseOrder, ids["plain"]).total = Decimal("10000000000.00")
        s.get(PurchaseOrder, ids["synced"]).total = Decimal("1234.5")
        yen = s.get(PurchaseOrder, ids["stale"])
        yen.total, yen.currency = Decimal("1234567"), "JPY"
    width = next(c for c in source.columns if c.key == "total").width
    assert cell(source, ids["plain"], "total") == "≈10.00B"  # the detail shows it exactly
    assert cell(source, ids["synced"], "total") == "1,234.50"
    assert cell(source, ids["stale"], "total") == "1,234,567"  # yen have no decimals
    assert all(len(cell(source, ids[k], "total")) <= width for k in ("plain", "synced", "stale"))


def test_the_last_synced_cell_is_marked_when_out_of_date_and_a_new_draft_is_not(orders, any_db):
    source, ids, db = *orders, any_db
    with db.session() as s:
        for vendor in s.scalars(select(Vendor)):
            vendor.integration = "b2b"
        draft = PurchaseOrder(number="PO-30001", vendor_id=ids["acme"], auto_sync=True)
        failed = PurchaseOrder(
            number="PO-30002", vendor_id=ids["acme"], auto_sync=True, last_sync_error="refused"
        )
        s.add_all([draft, failed])
        s.flush()
        ids |= {"draft": draft.id, "failed": failed.id}
    assert cell(source, ids["stale"], "last_synced").startswith("✖ ")
    assert cell(source, ids["synced"], "last_synced").startswith("  ")
    assert cell(source, ids["draft"], "last_synced") == ""
    assert cell(source, ids["failed"], "last_synced") == "✖ never synced"


def test_status_sorts_in_workflow_order(orders, any_db):
    source, ids, db = *orders, any_db
    with db.session() as s:
        s.get(PurchaseOrder, ids["synced"]).status = POStatus.PARTIAL
        s.get(PurchaseOrder, ids["stale"]).status = POStatus.DRAFT
    rows = source.page(View(sort="status"), 0, 10)
    assert [r.data["status"] for r in rows] == ["draft", "partial", "closed"]
    rows = source.page(View(sort="status", descending=True), 0, 10)
    assert [r.data["status"] for r in rows] == ["closed", "partial", "draft"]


def test_the_workflow_order_names_every_status():
    from posync_tui.services.po_list import WORKFLOW

    assert tuple(s.value for s in POStatus) == WORKFLOW
