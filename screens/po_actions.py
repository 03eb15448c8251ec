"""What an operator does to a PO from the console: refresh it, edit a field, pick a special order.

Screen-side helpers shared by the PO list and the PO detail: the refresh result in plain words,
the editable fields' labels and how typed text becomes a value (refused with a clear message),
and the picker of matching open special orders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from connectors.currencies import is_currency
from posync_tui import numbers
from posync_tui.services.po_detail import PO_STATUSES, max_length
from screens.safe_text import safe

SHOWN_FAILURES = 5

# The words the console uses for fields (PO header and lines), also in the audit log.
LABELS = {
    "number": "PO",
    "vendor": "Vendor",
    "status": "Status",
    "supplier_order_no": "Supplier order",
    "order_date": "Order date",
    "expected_date": "Expected",
    "currency": "Currency",
    "reference": "Reference",
    "auto_sync": "Auto-sync",
    "last_synced": "Last synced",
    "total": "Total",
    "notes": "Notes",
    # The Cin7 seed's words for the accounting fields.
    "invoice_date": "Invoice date",
    "supplier_invoice_no": "Supplier inv no",
    "dispatch_date": "Dispatch date",
    "invoice_due_date": "Invoice due date",
    "accounting_status": "Accounting status",
    "description": "Description",
    "quantity_ordered": "Ordered",
    "quantity_confirmed": "Confirmed",
    "quantity_received": "Received",
    "unit_cost": "Cost",
    "special_order_line_id": "Special order",
    "item_id": "Item",
    "missing_item": "Missing item",
    "hidden": "Hidden",
    "line_count": "Lines",
}
NUMBERS = {"quantity_ordered", "quantity_confirmed", "quantity_received", "unit_cost"}
DATES = {"order_date", "expected_date", "invoice_date", "dispatch_date", "invoice_due_date"}
# Fields that may be emptied (the others need a value).
OPTIONAL = {
    "quantity_confirmed",
    *DATES,
    "reference",
    "notes",
    "supplier_order_no",
    "supplier_invoice_no",
}
LOCKED_REASON = "filled by supplier sync: read-only while the PO auto-syncs"
# Only YYYY-MM-DD: date.fromisoformat alone would also take "20250331" or "2025-W13-1".
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def label(field: str) -> str:
    return LABELS.get(field, field.replace("_", " ").capitalize())


# --- refresh -----------------------------------------------------------------------------------


def refresh_summary(results) -> tuple[str, str]:
    """The outcome of a refresh of one or more POs: (text, notify severity)."""
    ok = [r for r in results if r.ok]
    failed = [r for r in results if not r.ok]
    if len(results) == 1:
        (r,) = results
        if r.ok:
            return f"{r.po_number}: {r.message}", "information"
        return f"Refresh of {r.po_number} failed: {r.message}", "error"
    lines = [f"{len(ok)} refreshed, {len(failed)} failed", *_failure_lines(failed)]
    return "\n".join(lines), _severity(len(ok), len(failed))


def _failure_lines(failed) -> list[str]:
    """Each PO that did not sync, with its reason in plain words (the first few)."""
    lines = [f"{r.po_number}: {r.message}" for r in failed[:SHOWN_FAILURES]]
    if len(failed) > SHOWN_FAILURES:
        lines.append(f"… and {len(failed) - SHOWN_FAILURES} more")
    return lines


def _severity(ok: int, failed: int) -> str:
    return "information" if not failed else ("warning" if ok else "error")


def auto_sync_summary(vendor_code: str, results) -> tuple[str, str]:
    """The outcome of syncing a vendor's open POs when its auto-sync was turned on: counts,
    then each PO that did not sync with its reason."""
    ok = sum(r.ok for r in results)
    failed = [r for r in results if not r.ok]
    head = f"Saved vendor {vendor_code}: {ok} of {len(results)} open POs synced"
    if failed:
        head += f", {len(failed)} not"
    return "\n".join([head, *_failure_lines(failed)]), _severity(ok, len(failed))


# --- editing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EditTarget:
    """What is being edited: a field of the PO (line_id None) or of one of its lines."""

    field: str
    line_id: int | None = None
    line_no: int | None = None

    @property
    def record(self) -> str:
        return "purchase_order" if self.line_id is None else "purchase_order_line"

    @property
    def name(self) -> str:
        where = f"line {self.line_no} " if self.line_no is not None else ""
        return f"{where}{label(self.field).lower()}"


def as_text(value: Any) -> str:
    """A stored value as the editor shows it."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def edit_help(field: str, record: str = "purchase_order") -> str:
    if field == "unit_cost":
        return f"a number ≥ 0, at most {numbers.COST_PLACES} decimals"
    if field in NUMBERS:
        least = "> 0" if field == "quantity_ordered" else "≥ 0"
        text = f"a number {least}, at most {numbers.QUANTITY_PLACES} decimals"
        return text + (", empty for none" if field in OPTIONAL else "")
    if field in DATES:
        return "a date YYYY-MM-DD, empty for none"
    if field == "status":
        return ", ".join(PO_STATUSES)
    if field == "currency":
        return "an ISO 4217 code, e.g. USD"
    limit = max_length(record, field)
    text = f"text, at most {limit} characters" if limit else "text"
    return text + (", empty for none" if field in OPTIONAL else "")


def parse_value(record: str, field: str, text: str) -> Any:
    """Typed text as the field's value; ValueError says what is wrong, in the seed's words."""
    text = text.strip()
    name = label(field)
    if not text:
        if field in OPTIONAL:
            return None
        if field == "description":
            return ""
        raise ValueError(f"{name} needs a value")
    if field == "unit_cost":
        return numbers.unit_cost(text, name)
    if field in NUMBERS:
        # A live line orders something: its ordered quantity is more than 0.
        return numbers.quantity(text, name, positive=field == "quantity_ordered")
    if field in DATES:
        try:
            if not _DATE.fullmatch(text):
                raise ValueError
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{name} must be a date YYYY-MM-DD, e.g. 2025-03-31") from None
    if field == "status":
        if text.lower() not in PO_STATUSES:
            raise ValueError(f"Status must be one of {', '.join(PO_STATUSES)}")
        return text.lower()
    if field == "currency":
        if not is_currency(text.upper()):
            raise ValueError(f"{name} must be an ISO 4217 code, e.g. USD")
        return text.upper()
    limit = max_length(record, field)
    if limit and len(text) > limit:
        raise ValueError(f"{name} is at most {limit} characters")
    return text


# --- special orders --------------------------------------------------------------------------


@dataclass(frozen=True)
class SpecialOrderPick:
    """The operator's choice: a sales order line, or None to clear the assignment."""

    sales_order_line_id: int | None


class SpecialOrderPicker(ModalScreen[SpecialOrderPick | None]):
    """Matching open special orders for the line's item; enter assigns, escape cancels."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]
    DEFAULT_CSS = """
    SpecialOrderPicker { align: center middle; }
    SpecialOrderPicker > Vertical {
        width: 70; max-width: 100%; height: auto; max-height: 90%;
        border: round $warning; background: $surface;
    }
    SpecialOrderPicker OptionList { height: auto; max-height: 14; border: none; }
    SpecialOrderPicker #picker-help { color: $text-muted; padding: 0 1; }
    """

    def __init__(self, title: str, choices, current: int | None, po_line_id: int):
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.current = current
        self.po_line_id = po_line_id

    def compose(self) -> ComposeResult:
        options = []
        for c in self.choices:
            text = f"{c.sales_order_number}/{c.line_no}  {c.customer}  qty {as_text(c.quantity)}"
            if c.sales_order_line_id == self.current:
                text += "  (this line)"
            elif c.assigned_to_po_line_id is not None:
                text += "  (on another PO line)"
            options.append(Option(safe(text, one_line=True), id=str(c.sales_order_line_id)))
        if self.current is not None:
            options.append(Option(Content("None: clear the assignment"), id="none"))
        with Vertical() as box:
            box.border_title = safe(self.title_text, one_line=True)
            box.border_subtitle = "enter assign · esc cancel"
            yield OptionList(*options, id="special-orders")
            yield Static("Open special orders for this item, oldest first.", id="picker-help")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.current is not None:
            options.highlighted = next(
                (i for i, c in enumerate(self.choices) if c.sales_order_line_id == self.current),
                0,
            )
        else:
            options.highlighted = 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        chosen = event.option.id
        self.dismiss(SpecialOrderPick(None if chosen == "none" else int(chosen)))
