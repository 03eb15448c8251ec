"""The Contacts tab: vendors not yet linked to a QuickBooks vendor, linked or created there."""

from __future__ import annotations

import asyncio
import secrets

from sqlmodel import col, select

from connectors.quickbooks import DuplicateName, QboVendor
from posync_tui.db import Database
from posync_tui.events import note_change
from posync_tui.models import Vendor
from posync_tui.paging import contains
from posync_tui.runtime import Runtime
from posync_tui.services.accounting_connection import qbo_client


async def find_qbo_vendors_by_name(rt: Runtime, name: str) -> list[QboVendor]:
    async with qbo_client(rt) as client:
        return await client.find_vendors_by_name(name)


async def create_qbo_vendor(rt: Runtime, vendor_id: int) -> QboVendor:
    """Create the vendor in QuickBooks and link it; a name QuickBooks has already is refused."""
    vendor = await asyncio.to_thread(_vendor, rt.db, vendor_id)
    async with qbo_client(rt) as client:
        try:
            created = await client.create_vendor(
                vendor.name,
                # One requestid per operator action; the client's own retries reuse it.
                requestid=f"qbo:vendor:{vendor_id}:{secrets.token_hex(4)}",
                email=vendor.email,
                currency=vendor.currency,
            )
        except DuplicateName as exc:
            raise DuplicateName(
                f"QuickBooks already has a vendor named {vendor.name!r}: find it by name and "
                "link to it instead.",
                code=exc.code,
                status=exc.status,
                errors=exc.errors,
                intuit_tid=exc.intuit_tid,
            ) from None
    await asyncio.to_thread(link_vendor, rt.db, vendor_id, created.id, created.display_name)
    return created


def _vendor(db: Database, vendor_id: int) -> Vendor:
    with db.reader() as s:
        vendor = s.get(Vendor, vendor_id)
    if vendor is None:
        raise LookupError(f"vendor {vendor_id} does not exist")
    return vendor


def unlinked_vendors(
    db: Database, *, offset: int = 0, limit: int = 100, text: str = ""
) -> list[Vendor]:
    query = (
        select(Vendor)
        .where(col(Vendor.qbo_vendor_id).is_(None))
        .order_by(col(Vendor.name), col(Vendor.id))
    )
    if text:
        query = query.where(contains(text, col(Vendor.name), col(Vendor.code)))
    with db.reader() as s:
        return list(s.exec(query.offset(offset).limit(limit)).all())


def link_vendor(db: Database, vendor_id: int, qbo_vendor_id: str, display_name: str) -> None:
    """Link a posync vendor (a contact) to a QuickBooks vendor."""
    with db.session() as s:
        vendor = s.get(Vendor, vendor_id)
        if vendor is None:
            raise LookupError(f"vendor {vendor_id} does not exist")
        vendor.qbo_vendor_id, vendor.qbo_display_name = qbo_vendor_id, display_name[:100]
        note_change(s, "vendor", [vendor_id])
        # The vendor's POs change readiness in the upload queues.
        note_change(s, "purchase_order")


def unlink_vendor(db: Database, vendor_id: int) -> None:
    with db.session() as s:
        vendor = s.get(Vendor, vendor_id)
        if vendor is None:
            raise LookupError(f"vendor {vendor_id} does not exist")
        vendor.qbo_vendor_id = vendor.qbo_display_name = None
        note_change(s, "vendor", [vendor_id])
        note_change(s, "purchase_order")
