"""Vendors and notifications lists, and saving the Edit Vendor form (services, no screen)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from posync_tui.demo_data import seed_demo
from posync_tui.events import Change
from posync_tui.models import AuditEntry, Integration, NotificationKind, SyncNotification, Vendor
from posync_tui.paging import View
from posync_tui.services.notification_list import NotificationListSource
from posync_tui.services.notification_list import default_view as newest_first
from posync_tui.services.vendor_list import (
    VendorInvalid,
    VendorListSource,
    read_vendor,
    save_vendor,
)

FIXED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def vendor_id(db, code: str) -> int:
    with db.reader() as s:
        return s.exec(select(Vendor.id).where(Vendor.code == code)).one()


SORTS = ["code", "name", "integration", "auto_sync", "open_pos", "last_sync", "failures"]


def test_every_vendor_column_pages_the_same_by_keyset_as_by_offset(db):
    seed_demo(db, now=FIXED)
    source = VendorListSource(db.engine)
    for sort in SORTS:
        for descending in (False, True):
            view = View(sort=sort, descending=descending)
            everything = [r.key for r in source.page(view, 0, 100)]
            assert len(everything) == source.count(view) == 12
            walked, after = [], None
            while len(walked) < len(everything):
                page = source.page(view, len(walked), 5, after=after)
                walked += [r.key for r in page]
                after = page[-1]
            assert walked == everything, (sort, descending)
            assert source.position(view, everything[7]) == 7


def test_the_vendor_filter_matches_code_name_or_supplier_account(db):
    seed_demo(db, now=FIXED)
    source = VendorListSource(db.engine)
    found = [r.data["code"] for r in source.page(View(sort="code", text="acc-1003"), 0, 50)]
    assert found == ["PEAK"]
    found = [r.data["code"] for r in source.page(View(sort="code", text="cycle supply"), 0, 50)]
    assert found == ["NWIND"]


def test_saving_the_edit_vendor_form_audits_each_change_and_tells_the_screens(db):
    seed_demo(db, now=FIXED)
    peak = vendor_id(db, "PEAK")
    changes: list[Change] = []
    db.bus.subscribe(changes.append)
    before = read_vendor(db, peak)
    assert before.open_pos == before.open_pos_without_auto_sync > 0

    changed = save_vendor(db, peak, "b2b", " ACC-9 ", True, include_open_pos=True)

    after = read_vendor(db, peak)
    assert after.supplier_account == "ACC-9" and after.auto_sync
    assert len(changed) == before.open_pos and after.open_pos_without_auto_sync == 0
    with db.reader() as s:
        audits = s.exec(select(AuditEntry).where(AuditEntry.source == "operator")).all()
    fields = sorted((a.record_kind, a.field) for a in audits)
    assert fields.count(("purchase_order", "auto_sync")) == len(changed)
    assert ("vendor", "auto_sync") in fields and ("vendor", "supplier_account") in fields
    assert {c.kind for c in changes} == {"vendor", "purchase_order"}


def test_a_supplier_no_longer_integrated_stops_auto_syncing(db):
    seed_demo(db, now=FIXED)
    atlas = vendor_id(db, "ATLAS")
    with pytest.raises(VendorInvalid) as refused:
        save_vendor(db, atlas, "none", None, True)
    assert refused.value.field == "auto_sync"
    save_vendor(db, atlas, "none", None, False)  # the form hides the option: it goes off
    after = read_vendor(db, atlas)
    assert after.integration == Integration.NONE and not after.auto_sync


@pytest.mark.parametrize(
    ("integration", "account", "field"),
    [
        ("b2b", "", "supplier_account"),
        ("b2b", "ACC-1000", "supplier_account"),  # ATLAS's
        ("b2b", "x" * 51, "supplier_account"),
        ("carrier-pigeon", "ACC-1", "integration"),
    ],
)
def test_a_refused_vendor_value_names_its_field_and_saves_nothing(db, integration, account, field):
    seed_demo(db, now=FIXED)
    peak = vendor_id(db, "PEAK")
    before = read_vendor(db, peak)
    with pytest.raises(VendorInvalid) as refused:
        save_vendor(db, peak, integration, account, False)
    assert refused.value.field == field
    assert read_vendor(db, peak) == before


def test_notifications_page_newest_first_and_filter_by_kind_and_unreviewed(db):
    with db.session() as s:
        for minutes, kind, reviewed in [
            (10, NotificationKind.SYNC_ERROR, False),
            (30, NotificationKind.MISSING_ITEM, True),
            (5, NotificationKind.MISSING_ITEM, False),
        ]:
            s.add(
                SyncNotification(
                    created_at=FIXED - timedelta(minutes=minutes),
                    kind=kind,
                    message=f"{minutes} min ago",
                    reviewed=reviewed,
                )
            )
    source, view = NotificationListSource(db.engine), newest_first()
    assert [r.data["message"] for r in source.page(view, 0, 10)] == [
        "5 min ago",
        "10 min ago",
        "30 min ago",
    ]
    missing = view.with_filter("kind", NotificationKind.MISSING_ITEM.value)
    assert [r.data["message"] for r in source.page(missing, 0, 10)] == [
        "5 min ago",
        "30 min ago",
    ]
    unreviewed = missing.with_filter("unreviewed", True)
    assert [r.data["message"] for r in source.page(unreviewed, 0, 10)] == ["5 min ago"]
