"""Re-processing a quarantined entry goes to the partner whose feed it came from."""

from __future__ import annotations

import json

import pytest

from posync_tui import partners
from posync_tui.config import Settings
from posync_tui.feed_reprocess import reprocess_entry
from posync_tui.models import NotificationKind, QuarantinedEntry, SyncNotification
from posync_tui.partners import Partner
from posync_tui.runtime import Runtime
from tests.console import console_app, settled
from tests.test_notification_screens import open_notifications

reprocessed: list[int] = []


async def _wms_reprocess(rt: Runtime, quarantine_id: int) -> str:
    reprocessed.append(quarantine_id)
    return f"Shipment {quarantine_id} re-processed"


# A partner with a feed of its own, declared as the next partners will be.
WMS = Partner(
    name="wms", short="wms", client=lambda rt: None, reprocess=_wms_reprocess
)


def quarantine(db, connector: str, key: str = "SH-1") -> int:
    """A bad entry of ``connector``'s feed and its notification, as a poll sets them aside."""
    with db.session() as s:
        row = QuarantinedEntry(
            connector=connector, entry_key=key, seq=7, error="ValueError", stage="parse",
            message="bad",
        )  # fmt: skip
        s.add(row)
        s.flush()
        s.add(
            SyncNotification(
                kind=NotificationKind.BAD_DATA,
                message=f"{connector} sent bad data for {key}",
                payload=json.dumps({"quarantine_id": row.id}),
            )
        )
        return row.id


@pytest.fixture
def wms_registered(monkeypatch):
    monkeypatch.setattr(
        partners, "PARTNERS", [*partners.PARTNERS, f"{__name__}:WMS"], raising=True
    )
    reprocessed.clear()


async def test_the_entry_goes_to_its_own_partners_reprocess(db, wms_registered):
    quarantine_id = quarantine(db, "wms")
    said = await reprocess_entry(Runtime(Settings(), db), quarantine_id)
    assert reprocessed == [quarantine_id]
    assert said == f"Shipment {quarantine_id} re-processed"


async def test_a_partner_without_reprocess_says_so_plainly(db):
    quarantine_id = quarantine(db, "catalog", "AC-9")
    with pytest.raises(ValueError) as refused:
        await reprocess_entry(Runtime(Settings(), db), quarantine_id)
    assert str(refused.value) == (
        "The catalog connector cannot re-process its entries: entry AC-9 stays set aside"
    )


async def test_an_entry_of_a_partner_no_longer_registered_says_so(db):
    quarantine_id = quarantine(db, "edi", "ORD-1")
    with pytest.raises(ValueError) as refused:
        await reprocess_entry(Runtime(Settings(), db), quarantine_id)
    assert str(refused.value) == (
        "Entry ORD-1 came from edi, which is no longer set up: it cannot be re-processed"
    )


async def test_t_on_a_notification_routes_by_partner_and_says_when_it_cannot(
    db, wms_registered
):
    quarantine(db, "catalog", "AC-9")
    shipment = quarantine(db, "wms", "SH-2")  # the newest: the first row
    app = console_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_notifications(pilot)
        await pilot.press("t")
        await settled(pilot)
        assert reprocessed == [shipment]
        await pilot.press("down", "t")
        await settled(pilot)
        messages = [n.message for n in app._notifications]
    assert f"Shipment {shipment} re-processed" in messages
    assert "The catalog connector cannot re-process its entries: entry AC-9 stays set aside" in (
        messages
    )
