"""Bulk synthetic data for scale: ~100k POs and ~1M lines in well under a minute.

Rows are written with SQLAlchemy Core executemany on the models' tables in one transaction,
values already in their stored form (money as scaled integers), so no ORM object is built. The
data is varied like a distributor's: a few big vendors and many small ones, some integrated
suppliers with auto-sync on, POs in every status, and some auto-sync POs out of sync (the
supplier notified a change after the last successful sync, or the PO was never synced).
Each PO's total and line count agree with its lines.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, column, func, insert, select, table

from posync_tui.db import Database
from posync_tui.events import note_change
from posync_tui.models import (
    AccountingStatus,
    Integration,
    Item,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    Vendor,
)
from posync_tui.services import po_search
from posync_tui.sqltypes import SCALE

CHUNK = 5_000  # POs per executemany batch: bounded memory at any size

_FIRST = "Acme Apex Atlas Beacon Cedar Delta Eagle Falcon Granite Harbor Iron Keystone Liberty "
_FIRST += "Meridian Northwind Oak Pioneer Quantum Summit Titan Unity Vertex Western Zenith"
_SECOND = "Fasteners Supply Industrial Electric Plumbing Tools Hardware Components Metals "
_SECOND += "Packaging Chemicals Fittings Bearings Safety Lighting"
_NOUN = "Bolt Nut Washer Screw Hinge Valve Pipe Elbow Tee Coupling Bearing Gasket Fuse Relay "
_NOUN += "Cable Switch Glove Lamp Filter Bracket Clamp Anchor Rivet Spring"
_ADJ = "Hex Zinc Brass Steel Nylon Copper Heavy Mini Flat Round Long Short Coated Sealed"
_STATUSES = [
    (POStatus.OPEN, 40),
    (POStatus.PARTIAL, 15),
    (POStatus.RECEIVED, 25),
    (POStatus.CLOSED, 12),
    (POStatus.DRAFT, 5),
    (POStatus.CANCELLED, 3),
]


def seed_bulk(
    db: Database,
    pos: int,
    lines_per_po: int = 10,
    vendors: int = 200,
    items: int = 5000,
    *,
    seed: int = 11,
) -> None:
    """Add ``pos`` POs (about ``lines_per_po`` lines each) for new vendors and items."""
    rnd = random.Random(seed)
    with db.session() as session:
        conn = session.connection()
        stored = _Stored(conn)
        with po_search.suspended(conn):
            vendor_rows = _vendors(conn, rnd, vendors)
            item_rows = _items(conn, rnd, stored, items, vendor_rows)
            _purchase_orders(conn, rnd, stored, pos, lines_per_po, vendor_rows, item_rows)
        note_change(session, "vendor")
        note_change(session, "item")
        note_change(session, "purchase_order")


class _Stored:
    """Values in the form the column types store them (SQLite keeps dates as text)."""

    def __init__(self, conn: Connection):
        self.sqlite = conn.dialect.name == "sqlite"

    def at(self, value: datetime | None):
        if value is None:
            return None
        naive = value.astimezone(UTC).replace(tzinfo=None)
        return naive.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else naive

    def day(self, value: date | None):
        if value is None:
            return None
        return value.isoformat() if self.sqlite else value


def _next_id(conn: Connection, model) -> int:
    return (conn.execute(select(func.max(model.id))).scalar() or 0) + 1


def _lite(model):
    """The model's table without column types: values go to the driver as given."""
    return table(model.__tablename__, *(column(c.name) for c in model.__table__.columns))


def _vendors(conn: Connection, rnd: random.Random, count: int) -> list[dict]:
    first, second = _FIRST.split(), _SECOND.split()
    start = _next_id(conn, Vendor)
    rows = []
    for vid in range(start, start + count):
        integration = rnd.choices(
            [Integration.B2B, Integration.EDI, Integration.NONE], [35, 15, 50]
        )[0]
        name = f"{rnd.choice(first)} {rnd.choice(second)} {vid}"
        rows.append(
            {
                "id": vid,
                "code": f"{name[:4].upper()}{vid:04d}",
                "name": name,
                "integration": integration.value,
                "supplier_account": f"ACC-{rnd.randrange(10**6):06d}"
                if integration == Integration.B2B
                else None,
                "auto_sync": integration == Integration.B2B and rnd.random() < 0.7,
                "currency": "USD",
                "created_at": datetime.now(UTC),
                # A few big vendors get most of the POs.
                "_weight": rnd.paretovariate(1.2),
            }
        )
    conn.execute(insert(Vendor), [{k: v for k, v in r.items() if k[0] != "_"} for r in rows])
    return rows


def _items(conn: Connection, rnd, stored: _Stored, count: int, vendors: list[dict]) -> list[dict]:
    created = stored.at(datetime.now(UTC))
    nouns, adjectives = _NOUN.split(), _ADJ.split()
    start = _next_id(conn, Item)
    rows = []
    for iid in range(start, start + count):
        vendor = rnd.choice(vendors)
        noun = rnd.choice(nouns)
        rows.append(
            {
                "id": iid,
                "sku": f"{noun[:3].upper()}-{iid:06d}",
                "description": f"{rnd.choice(adjectives)} {noun} {rnd.randint(2, 80)} mm",
                "upc": f"0{rnd.randrange(10**11):011d}",
                "supplier_part_no": f"{vendor['code'][-3:]}{rnd.randrange(10**7):07d}",
                "vendor_id": vendor["id"],
                "unit_cost": rnd.randint(5_000, 2_500_000),  # 0.50 .. 250.00, scaled
                "created_at": created,
            }
        )
    conn.execute(insert(_lite(Item)), rows)
    return rows


def _purchase_orders(conn, rnd, stored: _Stored, count, lines_per_po, vendors, items) -> None:
    by_vendor: dict[int, list[dict]] = {}
    for item in items:
        by_vendor.setdefault(item["vendor_id"], []).append(item)
    weights = [v["_weight"] for v in vendors]
    statuses, status_weights = zip(*_STATUSES, strict=True)
    po_table, line_table = _lite(PurchaseOrder), _lite(PurchaseOrderLine)
    now = datetime.now(UTC).replace(microsecond=0)
    po_id, line_id = _next_id(conn, PurchaseOrder), _next_id(conn, PurchaseOrderLine)
    for chunk_start in range(0, count, CHUNK):
        po_rows, line_rows = [], []
        chunk_vendors = rnd.choices(vendors, weights, k=min(CHUNK, count - chunk_start))
        chunk_statuses = rnd.choices(statuses, status_weights, k=len(chunk_vendors))
        for vendor, status in zip(chunk_vendors, chunk_statuses, strict=True):
            ordered = now - timedelta(days=rnd.randint(0, 730), minutes=rnd.randint(0, 1440))
            expected = ordered.date() + timedelta(days=rnd.randint(7, 60))
            own_items = by_vendor.get(vendor["id"]) or items
            n_lines = max(1, min(2 * lines_per_po - 1, int(rnd.gauss(lines_per_po, 3))))
            total = 0
            for line_no in range(1, n_lines + 1):
                item = rnd.choice(own_items) if rnd.random() < 0.9 else rnd.choice(items)
                quantity = rnd.randint(1, 500)
                cost = item["unit_cost"] + rnd.randint(-50, 50) * 100
                total += quantity * cost
                line_rows.append(
                    _line(line_id, po_id, line_no, item, quantity, cost, status, expected, stored)
                )
                line_id += 1
            po_rows.append(
                _po(po_id, vendor, status, ordered, expected, total, n_lines, rnd, stored, now)
            )
            po_id += 1
        conn.execute(insert(po_table), po_rows)
        conn.execute(insert(line_table), line_rows)


def _po(po_id, vendor, status, ordered, expected, total, n_lines, rnd, stored, now) -> dict:
    auto_sync = bool(vendor["auto_sync"]) and rnd.random() < 0.9
    synced = notified = None
    if vendor["integration"] == Integration.B2B.value:
        notified = ordered + timedelta(hours=rnd.randint(1, 2000))
        notified = min(notified, now)
        if auto_sync:
            roll = rnd.random()
            if roll < 0.08:  # the last sync failed: the supplier changed it since
                synced = notified - timedelta(minutes=rnd.randint(5, 5000))
            elif roll > 0.10:  # else never synced yet
                synced = notified + timedelta(seconds=rnd.randint(1, 600))
    return {
        "id": po_id,
        "number": f"PO-{po_id:07d}",
        "vendor_id": vendor["id"],
        "status": status.value,
        "order_date": stored.day(ordered.date()),
        "expected_date": stored.day(expected),
        "currency": vendor["currency"],
        "reference": f"REQ-{rnd.randrange(10**5):05d}" if rnd.random() < 0.3 else None,
        "notes": None,
        "total": total,
        "line_count": n_lines,
        "auto_sync": auto_sync,
        "supplier_order_no": f"SO{rnd.randrange(10**8):08d}" if notified else None,
        "last_synced_at": stored.at(synced),
        "supplier_notified_at": stored.at(notified),
        "last_sync_error": "supplier did not answer" if synced and synced < notified else None,
        "created_by_supplier": notified is not None and rnd.random() < 0.05,
        "accounting_status": AccountingStatus.NOT_IMPORTED.value,
        "created_at": stored.at(ordered),
        "updated_at": stored.at(max(ordered, synced or ordered)),
    }


def _line(line_id, po_id, line_no, item, quantity, cost, status, expected, stored) -> dict:
    received = quantity if status in (POStatus.RECEIVED, POStatus.CLOSED) else 0
    if status == POStatus.PARTIAL:
        received = quantity // 2
    return {
        "id": line_id,
        "po_id": po_id,
        "line_no": line_no,
        "item_id": item["id"],
        "supplier_part_no": item["supplier_part_no"],
        "upc": item["upc"],
        "description": item["description"],
        "quantity_ordered": quantity * SCALE,
        "quantity_confirmed": None,
        "quantity_received": received * SCALE,
        "unit_cost": cost,
        "expected_date": stored.day(expected),
        "missing_item": False,
        "hidden": False,
    }
