"""Create a purchase order in the console, and the look-ups its form needs.

As in the Ascend seed, "any new purchase orders you create ... will have the auto-sync purchase
order option preselected": the New purchase order form starts from ``new_po_defaults`` (the PO
number, the vendor's currency, and Auto-Sync Purchase Order checked when the vendor's Auto-Sync
Purchase Orders is), and the operator "can uncheck this box for specific purchase orders".

``create_po`` writes the PO, its lines (part no., UPC and description copied from each item) and
an audit entry in ONE transaction, or refuses with ``POInvalid`` naming every field at fault.
Nothing is sent to the supplier here: the supplier makes its order from our PO number, and the
supplier feed then matches that order to this PO by its number (``supplier_sync_apply``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from posync_tui import numbers
from posync_tui.audit import OPERATOR, Change, record, shown
from posync_tui.db import Database
from posync_tui.events import note_change
from posync_tui.models import (
    Integration,
    Item,
    PurchaseOrder,
    PurchaseOrderLine,
    Vendor,
    saved_id,
    utcnow,
)
from posync_tui.money import po_total
from posync_tui.paging import contains
from posync_tui.refused import Problem, Refused
from posync_tui.services import edi_po
from posync_tui.services.supplier_sync_operator import PODefaults, new_po_defaults
from posync_tui.services.supplier_sync_store import q4

REFERENCE_MAX = 60  # PurchaseOrder.reference
MAX_LINES = 999
# Decimal4 stores ten-thousandths in a 64-bit integer: keep every line and the total well inside.
MAX_TOTAL = Decimal(10**13)
NUMBER_ATTEMPTS = 3  # another console may take the same next PO number first

LineInput = tuple[int | None, Decimal | str | int, Decimal | str | int]


# The New PO form's fields, top to bottom (a line's: item, quantity, unit cost).
FIELDS = (
    "vendor",
    "auto_sync",
    "expected_date",
    "reference",
    "special_order_type",
    "special_bid_reference",
    "lines",
    "item",
    "quantity",
)


class POInvalid(Refused):
    """The new PO is refused: every value at fault, in the New PO form's order."""

    def __init__(self, problems: Sequence[Problem]):
        super().__init__(problems, FIELDS)


# --- look-ups for the form ------------------------------------------------------------------


@dataclass(frozen=True)
class VendorChoice:
    id: int
    code: str
    name: str
    integration: Integration
    supplier_account: str | None
    auto_sync: bool
    currency: str

    @property
    def integrated(self) -> bool:
        """An integrated (B2B) supplier: only these have the Auto-Sync Purchase Order option."""
        return self.integration == Integration.B2B


@dataclass(frozen=True)
class ItemChoice:
    id: int
    sku: str
    description: str
    supplier_part_no: str | None
    unit_cost: Decimal


def find_vendors(db: Database, text: str, limit: int = 6) -> list[VendorChoice]:
    """Vendors whose code or name holds ``text``: codes starting with it first."""
    text = text.strip()
    if not text:
        return []
    with db.reader() as s:
        rows = s.scalars(
            select(Vendor)
            .where(contains(text, col(Vendor.code), col(Vendor.name)))
            .order_by(col(Vendor.code))
            .limit(limit * 4)
        ).all()
    choices = [_vendor_choice(v) for v in rows]
    folded = text.casefold()
    choices.sort(key=lambda v: (not v.code.casefold().startswith(folded), v.code))
    return choices[:limit]


def vendor_choice(db: Database, vendor_id: int) -> VendorChoice:
    with db.reader() as s:
        vendor = s.get(Vendor, vendor_id)
        if vendor is None:
            raise LookupError(f"No vendor with id {vendor_id}")
        return _vendor_choice(vendor)


def _vendor_choice(v: Vendor) -> VendorChoice:
    return VendorChoice(
        saved_id(v),
        v.code,
        v.name,
        Integration(v.integration),
        v.supplier_account,
        v.auto_sync,
        v.currency,
    )


def find_items(db: Database, text: str, vendor_id: int | None, limit: int = 6) -> list[ItemChoice]:
    """Items whose SKU, description, supplier part no. or UPC holds ``text``.

    With a vendor: that vendor's items and items no vendor owns (what it can be ordered from).
    """
    text = text.strip()
    if not text:
        return []
    query = select(Item).where(
        contains(
            text, col(Item.sku), col(Item.description), col(Item.supplier_part_no), col(Item.upc)
        )
    )
    if vendor_id is not None:
        query = query.where(or_(col(Item.vendor_id) == vendor_id, col(Item.vendor_id).is_(None)))
    with db.reader() as s:
        rows = s.scalars(query.order_by(col(Item.sku)).limit(limit)).all()
        return [
            ItemChoice(saved_id(i), i.sku, i.description, i.supplier_part_no, i.unit_cost)
            for i in rows
        ]


# --- creating ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    item_id: int | None
    quantity: Decimal | None
    unit_cost: Decimal | None


def create_po(
    db: Database,
    vendor_id: int | None,
    auto_sync: bool,
    expected_date: date | str | None,
    reference: str | None,
    lines: Sequence[LineInput],
    *,
    early_expected_date: bool = False,
    edi: edi_po.EdiFields | None = None,
) -> int:
    """Create a PO for the vendor with these lines (item id, quantity, unit cost); its id.

    The number, currency, order date and status come from ``new_po_defaults``. Quantities and
    costs may be given as text (as typed). Refused values raise ``POInvalid``; nothing is written.
    An expected date before the order date is refused unless ``early_expected_date`` says the
    operator confirmed it. ``edi``, the New PO form's EDI fields, are written in the same
    transaction: the PO is never saved without them.
    """
    problems: list[Problem] = []
    if edi is not None:
        problems += [Problem(f, m) for f, m in edi_po.check_fields(edi).items()]
    expected = _expected_date(expected_date, problems)
    reference = (reference or "").strip() or None
    if reference and len(reference) > REFERENCE_MAX:
        problems.append(
            Problem(
                "reference", f"At most {REFERENCE_MAX} characters (this one has {len(reference)})"
            )
        )
    parsed = _lines(lines, problems)
    if vendor_id is None:
        problems.append(Problem("vendor", "Vendor is required: type part of its code or name"))
        raise POInvalid(problems)
    for _ in range(NUMBER_ATTEMPTS):
        try:
            defaults = new_po_defaults(db, vendor_id)
        except LookupError as exc:
            raise POInvalid([Problem("vendor", str(exc)), *problems]) from None
        if expected is not None and expected < defaults.order_date and not early_expected_date:
            problems.append(
                Problem(
                    "expected_date",
                    f"The expected date cannot be before the order date ({defaults.order_date})",
                )
            )
            expected = None
        try:
            return _write(db, defaults, auto_sync, expected, reference, parsed, problems, edi)
        except IntegrityError:
            if _number_taken(db, defaults.number):
                continue  # another console took this number meanwhile: take the next one
            raise
    raise RuntimeError("could not find a free PO number; try again")


def _expected_date(value: date | str | None, problems: list[Problem]) -> date | None:
    if isinstance(value, date) or value is None:
        return value
    text = value.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(Problem("expected_date", "A date like 2025-03-14 (year-month-day)"))
        return None


def _lines(lines: Sequence[LineInput], problems: list[Problem]) -> list[_Line]:
    if not lines:
        problems.append(Problem("lines", "A purchase order needs at least one line"))
    elif len(lines) > MAX_LINES:
        problems.append(Problem("lines", f"At most {MAX_LINES} lines on one purchase order"))
    parsed = []
    for n, (item_id, quantity, unit_cost) in enumerate(lines, 1):
        if item_id is None:
            problems.append(Problem("item", "Item is required: type part of its SKU", n))
        q = _number(quantity, "Quantity", numbers.quantity, "quantity", n, problems)
        c = _number(unit_cost, "Unit cost", numbers.unit_cost, "unit_cost", n, problems)
        parsed.append(_Line(item_id, q, c))
    return parsed


def _number(value, label, parse, field, n, problems) -> Decimal | None:
    text = str(value).strip() if value is not None else ""
    if not text:
        problems.append(Problem(field, f"{label} is required", n))
        return None
    try:
        return parse(text, label)
    except ValueError as exc:
        problems.append(Problem(field, str(exc), n))
        return None


def _write(
    db: Database,
    defaults: PODefaults,
    auto_sync: bool,
    expected: date | None,
    reference: str | None,
    lines: list[_Line],
    problems: list[Problem],
    edi: edi_po.EdiFields | None,
) -> int:
    with db.session() as s:
        vendor = s.get(Vendor, defaults.vendor_id)
        if vendor is None:  # deleted since the defaults were read
            raise POInvalid([Problem("vendor", f"No vendor with id {defaults.vendor_id}")])
        problems = [*problems, *_auto_sync_problems(vendor, auto_sync)]
        items = _items(s, vendor, lines, problems)
        total = po_total(
            ((ln.quantity, ln.unit_cost) for ln in lines if ln.quantity and ln.unit_cost),
            defaults.currency,
        )
        if total >= MAX_TOTAL:
            problems.append(Problem("lines", f"The total must be less than {MAX_TOTAL:,}"))
        if problems:
            raise POInvalid(problems)
        now = utcnow()
        po = PurchaseOrder(
            number=defaults.number,
            vendor_id=saved_id(vendor),
            status=defaults.status,
            order_date=defaults.order_date,
            expected_date=expected,
            currency=defaults.currency,
            reference=reference,
            total=q4(total),
            line_count=len(lines),
            auto_sync=bool(auto_sync),
            created_at=now,
            updated_at=now,
        )
        s.add(po)
        s.flush()  # the PO's id, for its lines; a taken number fails here
        po_id = saved_id(po)
        for n, ln in enumerate(lines, 1):
            # A line missing any of these was a problem above.
            assert ln.item_id is not None and ln.quantity is not None and ln.unit_cost is not None
            item = items[ln.item_id]
            s.add(
                PurchaseOrderLine(
                    po_id=po_id,
                    line_no=n,
                    item_id=item.id,
                    supplier_part_no=item.supplier_part_no,
                    upc=item.upc,
                    description=item.description,
                    quantity_ordered=q4(ln.quantity),
                    unit_cost=q4(ln.unit_cost),
                    expected_date=expected,
                )
            )
        if edi is not None:
            edi_po.apply_fields(s, po, edi)
        created = (
            f"created in the console: {len(lines)} line{'s' if len(lines) != 1 else ''}, "
            f"total {shown(q4(total))} {po.currency}, "
            f"auto-sync {'on' if po.auto_sync else 'off'}"
        )
        record(
            s,
            [Change("purchase_order", po_id, "created", None, created, po_id)],
            source=OPERATOR,
            at=now,
        )
        note_change(s, "purchase_order", [po_id])
        return po_id


def _auto_sync_problems(vendor: Vendor, auto_sync: bool) -> list[Problem]:
    if not auto_sync:
        return []
    if vendor.integration != Integration.B2B:
        return [
            Problem(
                "auto_sync",
                f"{vendor.code} is not an integrated (B2B) supplier: its POs cannot auto-sync",
            )
        ]
    if not vendor.supplier_account:
        return [
            Problem(
                "auto_sync",
                f"{vendor.code} has no supplier account: set it on the Edit Vendor form first",
            )
        ]
    return []


def _items(s, vendor: Vendor, lines: list[_Line], problems: list[Problem]) -> dict[int, Item]:
    wanted = {ln.item_id for ln in lines if ln.item_id is not None}
    items = (
        {saved_id(i): i for i in s.scalars(select(Item).where(col(Item.id).in_(wanted)))}
        if wanted
        else {}
    )
    for n, ln in enumerate(lines, 1):
        if ln.item_id is None:
            continue
        item = items.get(ln.item_id)
        if item is None:
            problems.append(Problem("item", f"No item with id {ln.item_id}", n))
        elif item.vendor_id not in (None, vendor.id):
            owner = s.get(Vendor, item.vendor_id)
            problems.append(
                Problem("item", f"{item.sku} is supplied by {owner.code}, not {vendor.code}", n)
            )
    return items


def _number_taken(db: Database, number: str) -> bool:
    with db.reader() as s:
        query = select(col(PurchaseOrder.id)).where(col(PurchaseOrder.number) == number)
        return s.scalar(query) is not None
