"""How the PO detail looks: its header fields, line cells, audit rows and hints, from a PODetail.

Pure functions (no widgets), so the screen only decides when to show them. Partner and operator
text (descriptions, notes, notification messages, audit values) is shown through ``safe``.
"""

from __future__ import annotations

from decimal import Decimal

from textual.content import Content

from posync_tui import money as amounts
from posync_tui import timefmt
from posync_tui.services.po_detail import DetailAudit, DetailLine, DetailNotification, PODetail
from screens import po_accounting
from screens.po_actions import LOCKED_REASON, as_text, label
from screens.po_widgets import HeaderField
from screens.purchase_orders import OUT_OF_SYNC_STYLE
from screens.safe_text import safe

MISSING_STYLE = "bold $warning"
SPECIAL_ORDER_STYLE = "yellow"  # the seed's special-order cell "displayed in yellow"
CANCELLED_STYLE = "dim strike"
SECONDS = "%Y-%m-%d %H:%M:%S"
# Header fields, two a row.
HEADER = (
    "number",
    "vendor",
    "status",
    "supplier_order_no",
    "order_date",
    "expected_date",
    "currency",
    "reference",
    "auto_sync",
    "last_synced",
    "total",
    "notes",
)
NOT_EDITABLE = {
    "number": "The PO number cannot be changed",
    "vendor": "The vendor of a PO cannot be changed",
    "last_synced": "Last synced is set by each successful supplier sync",
    "total": "The total is the sum of the lines",
    "line_no": "The line number cannot be changed",
    "item": "The item of a line cannot be changed here",
    "accounting_status": f"Accounting status is {po_accounting.STATUS_HELP}",
}
# Line table columns: key, heading, width, the line field it edits.
COLUMNS = (
    ("line_no", "#", 3, None),
    ("item", "item", 9, None),
    ("description", "description", 12, "description"),
    ("ordered", "ord", 5, "quantity_ordered"),
    ("confirmed", "conf", 5, "quantity_confirmed"),
    ("cost", "cost", 8, "unit_cost"),
    ("expected", "expected", 10, "expected_date"),
    ("special", "special", 10, "special_order_line_id"),
)
COLUMN_FIELD = {key: field for key, _, _, field in COLUMNS}
NUMERIC = {"ordered", "confirmed", "cost"}
_WIDTHS = {key: width for key, _, width, _ in COLUMNS}
AUDIT_COLUMNS = (("at", "when", 16), ("what", "what", 18), ("old", "from", 10),
                 ("new", "to", 10), ("source", "by", 13))  # fmt: skip
NOTICE_COLUMNS = (("at", "when", 16), ("kind", "kind", 14), ("message", "message", 36),
                  ("reviewed", "rev", 3))  # fmt: skip


def quantity(value: Decimal | None) -> str:
    return "—" if value is None else f"{value.normalize():,f}"


def money(value: Decimal) -> str:
    cents = value.quantize(Decimal("0.01"))
    return f"{cents:,.2f}" if cents == value else f"{value.normalize():,f}"


def _right(text: str, column: str) -> Content:
    return Content(text.rjust(_WIDTHS[column]))


def heading(key: str, text: str, width: int) -> str:
    return text.rjust(width) if key in NUMERIC else text


# --- header ------------------------------------------------------------------------------------


def banner(d: PODetail) -> Content | None:
    """The warnings on top: "some items may be missing", the last sync's failure."""
    parts: list[Content] = []
    if d.missing_items:
        count = f"{d.missing_items} line{'s' if d.missing_items != 1 else ''}"
        parts.append(
            Content.assemble(
                ("⚠ Some items may be missing", "bold"),
                f": {count} not in posync (add them from Syncing notifications, n)",
            )
        )
    if d.sync_inactive:
        parts.append(Content.styled(f"– {d.sync_inactive}", "bold"))
    elif d.last_sync_error and d.auto_sync:
        failed = Content.styled("✖ Last sync failed: ", "bold $error")
        parts.append(Content.assemble(failed, safe(d.last_sync_error)))
    return Content("\n").join(parts) if parts else None


def header_fields(d: PODetail) -> list[HeaderField]:
    values = {
        "number": safe(d.number, "bold", one_line=True),
        "vendor": safe(f"{d.vendor_code} {d.vendor_name}", one_line=True),
        "status": Content(d.status),
        "supplier_order_no": safe(d.supplier_order_no or "—", one_line=True),
        "order_date": Content(as_text(d.order_date) or "—"),
        "expected_date": Content(as_text(d.expected_date) or "—"),
        "currency": safe(d.currency, one_line=True),
        "reference": safe(d.reference or "—", one_line=True),
        "auto_sync": Content("☑ on" if d.auto_sync else "☐ off"),
        "last_synced": last_synced(d),
        # Exact, in the currency's precision (the list may abbreviate a big one).
        "total": safe(f"{amounts.shown(d.total, d.currency)} {d.currency}", one_line=True),
        "notes": safe(d.notes or "—", one_line=True),
    }
    return [HeaderField(key, label(key), values[key]) for key in HEADER]


def last_synced(d: PODetail) -> Content:
    """Shown when auto-sync is on; red when the supplier notified after the last sync."""
    if not d.auto_sync:
        return Content.styled("— (auto-sync off)", "$text-muted")
    if d.sync_inactive:
        return Content("– inactive (see above)")
    if d.last_synced_at is None:
        text = Content("never (the sync failed)" if d.out_of_sync else "never")
    else:
        text = Content(timefmt.local(d.last_synced_at, SECONDS))
    if d.out_of_sync:
        # Red, and marked for a terminal without colour.
        return Content.assemble(text, " ⚠").stylize(OUT_OF_SYNC_STYLE)
    return text


def notified(d: PODetail | None) -> str:
    """The seed's hover over the last-synced date."""
    if d is None or d.supplier_notified_at is None:
        return "Supplier last notified: never"
    return f"Supplier last notified: {timefmt.local(d.supplier_notified_at, SECONDS)}"


def describe_field(d: PODetail, key: str) -> str:
    if key == "last_synced":
        return notified(d)
    if key in po_accounting.FIELDS:
        return po_accounting.describe(d, key)
    if key in d.locked_fields:
        return f"{label(key)}: {LOCKED_REASON}"
    if key in NOT_EDITABLE:
        return NOT_EDITABLE[key]
    return f"enter: edit {label(key).lower()}"


# --- lines, changes, notifications ---------------------------------------------------------


def line_cells(ln: DetailLine) -> list[Content]:
    if ln.missing_item:
        item = safe(f"⚠{ln.supplier_part_no or ln.upc or '?'}", MISSING_STYLE, one_line=True)
    else:
        item = safe(ln.sku or "", one_line=True)
    cells = [
        Content(f"{ln.line_no}✗" if ln.hidden else str(ln.line_no)),
        item,
        safe(ln.description, one_line=True),
        _right(quantity(ln.quantity_ordered), "ordered"),
        _right(quantity(ln.quantity_confirmed), "confirmed"),
        _right(money(ln.unit_cost), "cost"),
        Content(as_text(ln.expected_date)),
        safe((ln.special_order or "—").split(" ")[0], SPECIAL_ORDER_STYLE, one_line=True),
    ]
    if ln.hidden:
        cells = [c.stylize(CANCELLED_STYLE) for c in cells]
    return cells


def describe_cell(d: PODetail, line: DetailLine, field: str | None) -> str:
    if line.hidden:
        return f"Line {line.line_no} was cancelled by the supplier (h hides it)"
    if line.missing_item:
        return (
            f"Line {line.line_no}: item {line.supplier_part_no or line.upc} is not in posync "
            f"({line.description}); add it from Syncing notifications"
        )
    if field == "special_order_line_id":
        return line.special_order or "enter: assign a special order"
    if field in d.locked_line_fields:
        return f"{label(field)}: {LOCKED_REASON}"
    return f"Line {line.line_no} · {line.sku} · {line.description}"


def _what(a: DetailAudit) -> str:
    what = label(a.field).lower()
    return what if a.line_no is None else f"line {a.line_no} {what}"


def audit_cells(a: DetailAudit) -> list[Content]:
    return [
        Content(timefmt.local(a.at)),
        Content(_what(a)),
        safe(a.old_value if a.old_value is not None else "—", one_line=True),
        safe(a.new_value if a.new_value is not None else "—", one_line=True),
        safe(a.source, one_line=True),
    ]


def describe_audit(a: DetailAudit) -> str:
    """What changed, from what, when, by which sync."""
    return (
        f"{_what(a)}: {a.old_value or '—'} → {a.new_value or '—'} "
        f"({timefmt.local(a.at, SECONDS)}, by {a.source})"
    )


def notice_cells(n: DetailNotification) -> list[Content]:
    return [
        Content(timefmt.local(n.created_at)),
        Content(n.kind),
        safe(n.message, one_line=True),
        Content("✓" if n.reviewed else ""),
    ]
