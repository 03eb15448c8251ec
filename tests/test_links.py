"""Partner links: which partner record each posync record is, one per record and connector."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select

from posync_tui import links
from posync_tui.models import PartnerLink


def link(db, record_id: int, partner_id: str, kind: str = "Bill", connector="quickbooks", **kw):
    made = links.Made(record_id, kind, partner_id, f"DOC-{partner_id}")
    with db.session() as s:
        links.link(s, connector, "purchase_order", [made], **kw)


def count(db) -> int:
    with db.reader() as s:
        return s.exec(select(func.count()).select_from(PartnerLink)).one()


def test_a_record_is_linked_once_and_its_link_follows_the_partner(db):
    first = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    link(db, 7, "145", at=first)
    link(db, 7, "146", at=datetime(2026, 5, 2, 8, 0, tzinfo=UTC))
    assert count(db) == 1
    with db.reader() as s:
        found = links.link_of(s, "quickbooks", "purchase_order", 7)
    assert (found.partner_kind, found.partner_id, found.doc_number) == ("Bill", "146", "DOC-146")
    assert found.synced_at == datetime(2026, 5, 2, 8, 0, tzinfo=UTC)


def test_each_connector_has_its_own_link_of_a_record(db):
    link(db, 7, "145")
    link(db, 7, "WMS-9", kind="Shipment", connector="warehouse")
    with db.reader() as s:
        assert links.link_of(s, "warehouse", "purchase_order", 7).partner_id == "WMS-9"
        assert links.link_of(s, "quickbooks", "purchase_order", 7).partner_id == "145"
        assert links.link_of(s, "quickbooks", "purchase_order", 8) is None


def test_links_of_reads_many_records_by_id(db):
    linked_ids = [n for n in range(1, 1201) if n % 3]
    made = [links.Made(n, "Bill" if n % 2 else "PurchaseOrder", str(n)) for n in linked_ids]
    with db.session() as s:
        links.link(s, "quickbooks", "purchase_order", made)
    with db.reader() as s:
        found = links.links_of(s, "quickbooks", "purchase_order", range(1, 1301))
    assert sorted(found) == linked_ids
    assert {n: found[n].partner_kind for n in (1, 1198)} == {1: "Bill", 1198: "PurchaseOrder"}


def test_linked_selects_the_records_made_as_a_kind(db):
    link(db, 1, "10", kind="Bill")
    link(db, 2, "20", kind="PurchaseOrder")
    link(db, 3, "30", kind="Shipment", connector="warehouse")
    with db.reader() as s:
        assert sorted(s.exec(links.linked("quickbooks", "purchase_order"))) == [1, 2]
        made_as_po = links.linked("quickbooks", "purchase_order", "PurchaseOrder")
        assert list(s.exec(made_as_po)) == [2]


def test_the_database_refuses_a_second_link_of_a_record(db):
    link(db, 7, "145")
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(
            PartnerLink(
                connector="quickbooks",
                record_kind="purchase_order",
                record_id=7,
                partner_kind="Bill",
                partner_id="999",
            )
        )
