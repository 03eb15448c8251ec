"""Bulk reads and writes for supplier auto-sync: the records of a page and its storage.

``PageStore`` reads everything a page of supplier orders needs with a handful of indexed
queries and writes what the rules decided with bulk Core statements (``executemany``, and
``INSERT ... RETURNING`` for new rows other rows point at). Rows planned in this page that have
no id yet are ``Ref``s, filled in as they are inserted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, overload

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from connectors.catalog import CatalogProduct
from connectors.supplier import SupplierOrder
from posync_tui.audit import Change, record
from posync_tui.feed import Taken
from posync_tui.models import (
    Item,
    NotificationKind,
    PurchaseOrder,
    PurchaseOrderLine,
    SyncNotification,
    Vendor,
    saved_id,
)

SOURCE = "supplier-sync"
# The fields a supplier sync writes: read-only in the console once a PO has been synced.
PO_FIELDS = ("supplier_order_no", "expected_date", "currency")
LINE_FIELDS = ("quantity_ordered", "quantity_confirmed", "unit_cost", "expected_date")

PO_T, LINE_T, ITEM_T = PurchaseOrder.__table__, PurchaseOrderLine.__table__, Item.__table__
NOTE_T, VENDOR_T = SyncNotification.__table__, Vendor.__table__
_Q = Decimal("0.0001")
_VENDOR_COLS = [
    VENDOR_T.c[n] for n in ("id", "code", "supplier_account", "auto_sync", "integration")
]
_PO_COLS = [
    PO_T.c[n]
    for n in (
        *("id", "number", "vendor_id", "auto_sync", *PO_FIELDS, "supplier_notified_at"),
        *("last_synced_at", "last_sync_error", "total", "line_count"),
    )
]
_LINE_COLS = [
    LINE_T.c[n]
    for n in (
        *("id", "po_id", "line_no", "item_id", "supplier_part_no", "upc", "description"),
        *("missing_item", "hidden", *LINE_FIELDS),
    )
]

PartKey = tuple[str | None, str | None]  # (supplier part no., UPC)


@dataclass
class OrderWork:
    """One supplier order to apply: fetched (``order``, at ``fetched_at``) or failed
    (``error``)."""

    order_no: str | None
    supplier_account: str | None
    notified_at: datetime | None = None
    order: SupplierOrder | None = None
    error: str | None = None
    # No sync-error notification for this failure: it is retried by the next poll (partner
    # down), quarantined with a notification of its own, or shown to the operator (refresh).
    silent: bool = False
    buyer_po_number: str | None = None
    po_id: int | None = None  # a refresh names its PO
    fetched_at: datetime | None = None  # the time of the partner data: the PO's last sync
    taken: Taken | None = None  # the feed entry it came from, if any


@dataclass
class CatalogAnswers:
    """What the cloud catalog said for each unknown part: a product, or None (not found)."""

    products: dict[PartKey, CatalogProduct | None] = field(default_factory=dict)
    unavailable: str | None = None  # why the catalog could not be asked, if it could not


@dataclass
class ApplyResult:
    orders: int = 0
    updated: int = 0  # POs whose supplier fields changed
    imported: int = 0
    fields_changed: int = 0
    cancelled: int = 0
    missing: int = 0
    items_added: int = 0
    not_auto_synced: int = 0
    errors: list[str] = field(default_factory=list)
    po_errors: dict[int, str] = field(default_factory=dict)
    po_ids: set[int] = field(default_factory=set)
    item_ids: set[int] = field(default_factory=set)
    vendor_ids: set[int] = field(default_factory=set)
    notifications: int = 0

    def add(self, other: ApplyResult) -> None:
        for name in ("orders", "updated", "imported", "fields_changed", "cancelled", "missing"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("items_added", "not_auto_synced", "notifications"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors += other.errors
        self.po_errors |= other.po_errors
        self.po_ids |= other.po_ids
        self.item_ids |= other.item_ids
        self.vendor_ids |= other.vendor_ids


class Ref:
    """The id of a row inserted later in this batch (filled in by ``write``)."""

    id: int | None = None


def part_keys(orders: list[SupplierOrder]) -> set[PartKey]:
    return {(ln.supplier_part_no, ln.upc) for o in orders for ln in o.lines if not ln.cancelled}


def unknown_parts(session: Session, keys: set[PartKey]) -> set[PartKey]:
    """The parts no item in posync answers to (by supplier part no. or UPC)."""
    parts = {p for p, _ in keys if p}
    upcs = {u for _, u in keys if u}
    known_parts: set[str] = set()
    known_upcs: set[str] = set()
    if keys:
        rows = session.execute(
            select(ITEM_T.c.supplier_part_no, ITEM_T.c.upc).where(
                or_(ITEM_T.c.supplier_part_no.in_(parts), ITEM_T.c.upc.in_(upcs))
            )
        )
        for part, upc in rows:
            known_parts.add(part)
            known_upcs.add(upc)
    return {(p, u) for p, u in keys if p not in known_parts and (not u or u not in known_upcs)}


@overload
def q4(value: Decimal) -> Decimal: ...
@overload
def q4(value: Decimal | None) -> Decimal | None: ...
def q4(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(_Q)


class PageStore:
    """What a page read and what it will write."""

    def __init__(self, session: Session, catalog: CatalogAnswers, now: datetime):
        # Core statements on the transaction's connection: no ORM bookkeeping per row.
        self.s, self.catalog, self.now = session.connection(), catalog, now
        self.result = ApplyResult()
        self.vendors: dict[str, dict] = {}
        self.pos: dict[int, dict] = {}
        self.po_by_order: dict[tuple[int, str], dict] = {}
        self.po_by_number: dict[tuple[int, str], dict] = {}
        self.lines: dict[int | Ref, dict[int, dict]] = {}
        self.items_by_part: dict[str, list[tuple[int | Ref, int | None]]] = {}
        self.items_by_upc: dict[str, int | Ref] = {}
        self.items_by_sku: dict[str, int | Ref] = {}
        self.noted_missing: set[int] = set()
        # What to write
        self.dirty_pos: set[int] = set()
        self.dirty_lines: dict[int, dict] = {}
        self.new_items: list[tuple[Ref, dict]] = []
        self.new_pos: list[tuple[Ref, dict]] = []
        self.new_lines: list[tuple[Ref, dict]] = []
        self.resolved_lines: list[int] = []
        self.audits: list[Change] = []
        self.notes: list[dict] = []
        self.numbers: list[str] = []

    # --- reading: a handful of indexed queries for the whole page -------------------------

    def load(self, works: list[OrderWork]) -> None:
        orders = [w.order for w in works if w.order]
        accounts = {w.supplier_account for w in works if w.supplier_account}
        accounts |= {o.supplier_account for o in orders}
        vendors = select(*_VENDOR_COLS).where(VENDOR_T.c.supplier_account.in_(accounts))
        for vendor in _dicts(self.s.execute(vendors.order_by(VENDOR_T.c.id))):
            self.vendors.setdefault(vendor["supplier_account"], vendor)
        order_nos = {w.order_no for w in works if w.order_no}
        numbers = {o.buyer_po_number for o in orders if o.buyer_po_number}
        numbers |= {w.buyer_po_number for w in works if w.buyer_po_number}
        po_ids = {w.po_id for w in works if w.po_id}
        where = or_(
            PO_T.c.supplier_order_no.in_(order_nos),
            PO_T.c.number.in_(numbers),
            PO_T.c.id.in_(po_ids),
        )
        for po in _dicts(self.s.execute(select(*_PO_COLS).where(where))):
            self.pos[po["id"]] = po
            if po["supplier_order_no"]:
                self.po_by_order.setdefault((po["vendor_id"], po["supplier_order_no"]), po)
            self.po_by_number[(po["vendor_id"], po["number"])] = po
            self.lines[po["id"]] = {}
        if self.pos:
            rows = self.s.execute(select(*_LINE_COLS).where(LINE_T.c.po_id.in_(self.pos)))
            for line in _dicts(rows):
                self.lines[line["po_id"]].setdefault(line["line_no"], line)
            self.noted_missing = set(
                self.s.execute(
                    select(NOTE_T.c.po_line_id).where(
                        NOTE_T.c.po_id.in_(self.pos),
                        NOTE_T.c.kind == NotificationKind.MISSING_ITEM.value,
                        NOTE_T.c.resolved.is_(False),
                    )
                ).scalars()
            )
        self._load_items(orders)

    def _load_items(self, orders: list[SupplierOrder]) -> None:
        keys = part_keys(orders)
        if not keys:
            return
        parts = {p for p, _ in keys if p}
        upcs = {u for _, u in keys if u}
        skus = {p.sku for p in self.catalog.products.values() if p}
        rows = self.s.execute(
            select(
                ITEM_T.c.id,
                ITEM_T.c.sku,
                ITEM_T.c.supplier_part_no,
                ITEM_T.c.upc,
                ITEM_T.c.vendor_id,
            )
            .where(
                or_(
                    ITEM_T.c.supplier_part_no.in_(parts),
                    ITEM_T.c.upc.in_(upcs),
                    ITEM_T.c.sku.in_(skus),
                )
            )
            .order_by(ITEM_T.c.id)
        )
        for row in rows:
            self._know_item(row.id, row.sku, row.supplier_part_no, row.upc, row.vendor_id)

    def _know_item(self, item_id, sku, part, upc, vendor_id) -> None:
        self.items_by_sku.setdefault(sku, item_id)
        if part:
            self.items_by_part.setdefault(part, []).append((item_id, vendor_id))
        if upc:
            self.items_by_upc.setdefault(upc, item_id)

    # --- writing: bulk statements, refs resolved in order ----------------------------------

    def write(self) -> None:
        self._insert(ITEM_T, self.new_items)
        self.result.item_ids |= {saved_id(ref) for ref, _ in self.new_items}
        self._insert(PO_T, self.new_pos)
        self.result.po_ids |= {saved_id(ref) for ref, _ in self.new_pos}
        self._insert(LINE_T, self.new_lines)
        if self.dirty_lines:
            line_cols = ("item_id", "missing_item", "hidden", *LINE_FIELDS)
            stmt = update(LINE_T).where(LINE_T.c.id == bindparam("_id"))
            stmt = stmt.values({c: bindparam(c) for c in line_cols})
            rows = [
                {"_id": ln["id"], **{c: _id(ln[c]) for c in line_cols}}
                for ln in self.dirty_lines.values()
            ]
            self.s.execute(stmt, rows)
        if self.dirty_pos:
            cols = (
                *PO_FIELDS,
                "total",
                "line_count",
                "supplier_notified_at",
                "last_synced_at",
                "last_sync_error",
            )
            stmt = update(PO_T).where(PO_T.c.id == bindparam("_id"))
            stmt = stmt.values({**{c: bindparam(c) for c in cols}, "updated_at": self.now})
            rows = [{"_id": i, **{c: self.pos[i][c] for c in cols}} for i in self.dirty_pos]
            self.s.execute(stmt, rows)
            self.result.po_ids |= self.dirty_pos
        if self.resolved_lines:
            self.s.execute(
                update(NOTE_T)
                .where(
                    NOTE_T.c.po_line_id.in_(self.resolved_lines),
                    NOTE_T.c.kind == NotificationKind.MISSING_ITEM.value,
                )
                .values(resolved=True)
            )
        if self.result.vendor_ids:
            self.s.execute(
                update(VENDOR_T)
                .where(VENDOR_T.c.id.in_(self.result.vendor_ids))
                .values(last_synced_at=self.now)
            )
        record(self.s, map(_change, self.audits), source=SOURCE, at=self.now)
        if self.notes:
            self.s.execute(insert(NOTE_T), [_resolved(n) for n in self.notes])

    def _insert(self, table, rows: list[tuple[Ref, dict]]) -> None:
        if not rows:
            return
        values = [{k: _id(v) for k, v in row.items() if k != "id"} for _, row in rows]
        stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        for (ref, row), new_id in zip(rows, self.s.execute(stmt, values).scalars(), strict=True):
            ref.id = new_id
            row["id"] = new_id


def _dicts(result) -> Iterator[dict]:
    """Rows as plain dicts (cheaper than Row._mapping for thousands of rows)."""
    keys = list(result.keys())
    for values in result:
        yield dict(zip(keys, values, strict=True))


def _id(value: Any) -> Any:
    return value.id if isinstance(value, Ref) else value


def _resolved(row: dict) -> dict:
    """A row with every Ref replaced by its id."""
    return {k: v.id if isinstance(v, Ref) else v for k, v in row.items()}


def _change(change: Change) -> Change:
    """A change with every Ref (a record, or a value such as a new item) replaced by its id."""
    if any(isinstance(v, Ref) for v in change):
        return Change(*map(_id, change))
    return change
