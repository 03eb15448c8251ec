"""The audit log: one way for every partner and the operator to record what they changed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import event
from sqlmodel import select

from posync_tui import audit
from posync_tui.audit import OPERATOR, Change
from posync_tui.models import AuditEntry, POStatus, PurchaseOrder, Vendor


@pytest.fixture
def po_id(db) -> int:
    with db.session() as s:
        vendor = Vendor(code="ACME", name="Acme")
        s.add(vendor)
        s.flush()
        po = PurchaseOrder(number="PO-0000001", vendor_id=vendor.id)
        s.add(po)
        s.flush()
        return po.id


def entries(db) -> list[AuditEntry]:
    with db.reader() as s:
        return list(s.exec(select(AuditEntry).order_by(AuditEntry.id)))


def inserts(db) -> list[int]:
    """The INSERTs into audit_entry sent to the database (rows of each), from now on."""
    sent: list[int] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO audit_entry"):
            sent.append(len(parameters) if executemany else 1)

    event.listen(db.engine, "before_cursor_execute", seen)
    return sent


def test_a_change_is_recorded_with_its_source_and_values_as_shown(db, po_id):
    at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    with db.session() as s:
        written = audit.record(
            s,
            [
                Change("purchase_order", po_id, "expected_date", None, date(2026, 4, 1), po_id),
                Change(
                    "purchase_order_line", 7, "unit_cost", Decimal("4.2500"), Decimal("5"), po_id
                ),
                Change("purchase_order", po_id, "status", POStatus.OPEN, POStatus.CLOSED, po_id),
            ],
            source="warehouse",
            at=at,
        )
    assert written == 3
    got = [
        (e.record_kind, e.record_id, e.po_id, e.field, e.old_value, e.new_value, e.source, e.at)
        for e in entries(db)
    ]
    assert got == [
        ("purchase_order", po_id, po_id, "expected_date", None, "2026-04-01", "warehouse", at),
        ("purchase_order_line", 7, po_id, "unit_cost", "4.25", "5", "warehouse", at),
        ("purchase_order", po_id, po_id, "status", "open", "closed", "warehouse", at),
    ]


def test_the_time_defaults_to_now(db, po_id):
    before = datetime.now(UTC)
    with db.session() as s:
        audit.record(s, [Change("purchase_order", po_id, "notes", "a", "b", po_id)], source="edi")
    (entry,) = entries(db)
    assert before <= entry.at <= datetime.now(UTC)


def test_entries_are_part_of_the_callers_transaction(db, po_id):
    with pytest.raises(RuntimeError), db.session() as s:
        audit.record(s, [Change("purchase_order", po_id, "notes", "a", "b", po_id)], source="erp")
        raise RuntimeError("the change itself failed")
    assert entries(db) == []


def test_a_bulk_path_records_thousands_in_one_insert_on_its_connection(db, po_id):
    sent = inserts(db)
    changes = [
        Change("purchase_order_line", n, "quantity_confirmed", Decimal(n), Decimal(n + 1), po_id)
        for n in range(1, 2001)
    ]
    with db.session() as s:
        assert audit.record(s.connection(), iter(changes), source="supplier-sync") == 2000
    assert sent == [2000]
    assert len(entries(db)) == 2000


def test_no_changes_send_nothing(db, po_id):
    sent = inserts(db)
    with db.session() as s:
        assert audit.record(s, [], source=OPERATOR) == 0
    assert sent == [] and entries(db) == []


def test_an_edit_sets_the_fields_and_records_only_those_that_change(db, po_id):
    with db.session() as s:
        po = s.get(PurchaseOrder, po_id)
        made = audit.edit(
            s,
            po,
            {"reference": "R-7", "currency": "USD", "notes": "check [/] carton"},
            record_kind="purchase_order",
            po_id=po_id,
        )
        assert [c.field for c in made] == ["reference", "notes"]
    with db.reader() as s:
        po = s.get(PurchaseOrder, po_id)
        assert (po.reference, po.notes) == ("R-7", "check [/] carton")
    got = [(e.field, e.old_value, e.new_value, e.source) for e in entries(db)]
    assert got == [
        ("reference", None, "R-7", OPERATOR),
        ("notes", None, "check [/] carton", OPERATOR),
    ]


def test_an_edit_that_changes_nothing_records_nothing(db, po_id):
    with db.session() as s:
        po = s.get(PurchaseOrder, po_id)
        assert (
            audit.edit(s, po, {"currency": "USD"}, record_kind="purchase_order", po_id=po_id) == []
        )
    assert entries(db) == []


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None),
        (Decimal("12.5000"), "12.5"),
        (Decimal("100"), "100"),
        (date(2026, 1, 2), "2026-01-02"),
        (datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "2026-01-02T03:04:05+00:00"),
        (True, "True"),
        (POStatus.PARTIAL, "partial"),
        (42, "42"),
    ],
)
def test_values_are_kept_as_text(value, text):
    assert audit.shown(value) == text
