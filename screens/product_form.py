"""Add a missing product: the form a missing-item syncing notification opens.

Prefilled from the supplier's data the notification kept (``missing_item_prefill``); saving
adds the product and completes every PO line waiting for it (``resolve_missing_item``), in one
transaction. Refused values are shown at their field. Dismisses with the new item's SKU (or
None when nothing was added).
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Static

from posync_tui import numbers
from posync_tui.failures import plain
from posync_tui.services.supplier_sync import resolve_missing_item
from screens.form import FieldError, FormScreen
from screens.key_bar import KeyBar
from screens.safe_text import VISIBLE, safe

if TYPE_CHECKING:
    from posync_tui.db import Database

# field, label, longest value (the Item model's lengths)
FIELDS = (
    ("sku", "SKU", 40),
    ("description", "Description", 200),
    ("supplier_part_no", "Supplier part no.", 40),
    ("upc", "UPC / EAN", 14),
    ("mpn", "Manufacturer part", 40),
    ("unit_cost", "Unit cost", 20),
)
REQUIRED = {"sku", "description"}
GTIN_LENGTHS = (8, 12, 13, 14)


def check_product(values: dict[str, str]) -> dict[str, str]:
    """The refused values, by field, with the reason (empty: all fine)."""
    problems: dict[str, str] = {}
    for field, label, longest in FIELDS:
        value = values.get(field, "")
        if field in REQUIRED and not value:
            problems[field] = f"{label} is required"
        elif len(value) > longest:
            problems[field] = f"At most {longest} characters (this one has {len(value)})"
    upc = values.get("upc", "")
    if "upc" not in problems and upc and (not upc.isdigit() or len(upc) not in GTIN_LENGTHS):
        problems["upc"] = "A UPC/EAN is 8, 12, 13 or 14 digits"
    if "unit_cost" not in problems and values.get("unit_cost"):
        try:  # the one rule of every cost field: plain digits, 4 places, below 10,000,000
            numbers.unit_cost(values["unit_cost"])
        except ValueError as exc:
            problems["unit_cost"] = str(exc)
    return problems


class ProductForm(FormScreen[str | None]):
    """The new-product form for the missing item of one syncing notification."""

    def __init__(self, db: Database, notification_id: int, prefill: dict[str, Any], title: str):
        super().__init__()
        self.db = db
        self.notification_id = notification_id
        self.prefill = prefill
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as box:
            box.border_title = Content("Add the missing product")
            yield Static(safe(self.title_text), classes="form-note")
            for field, label, _ in FIELDS:
                value = self.prefill.get(field)
                text = "" if value is None else str(value)
                field_input = Input(text, compact=True, highlighter=VISIBLE, id=field)
                yield from self.field(label, field_input)
            yield from self.buttons()
        yield KeyBar()

    def on_mount(self) -> None:
        self.original = self.values()
        self.query_one("#sku", Input).focus()

    def values(self) -> dict[str, str]:
        return {field: self.query_one(f"#{field}", Input).value.strip() for field, _, _ in FIELDS}

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if event.input.id:
            self.query_one(f"#{event.input.id}-error", FieldError).show(None)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def action_save(self) -> None:
        if self.saving:
            return
        values = self.values()
        if not self.show_errors(check_product(values)):
            return
        self.saving = True
        self._save(values)

    @work(exclusive=True, group="product-form", exit_on_error=False)
    async def _save(self, values: dict[str, str]) -> None:
        fields: dict[str, Any] = {k: (v or None) for k, v in values.items()}
        cost = values["unit_cost"]
        fields["unit_cost"] = numbers.unit_cost(cost) if cost else Decimal(0)
        fields["vendor_id"] = self.prefill.get("vendor_id")
        try:
            item = await asyncio.to_thread(
                resolve_missing_item, self.db, self.notification_id, **fields
            )
        except ValueError as exc:
            self.show_errors(*_at_field(str(exc)))
        except Exception as exc:  # noqa: BLE001 - shown to the operator; nothing was added
            self.show_errors({}, f"Not added: {plain(exc)}")
        else:
            self.dismiss(item.sku)
        finally:
            self.saving = False


def _at_field(message: str) -> tuple[dict[str, str], str | None]:
    """Put the service's refusal at the field it is about (else under the form)."""
    if "SKU" in message:
        return {"sku": message[0].upper() + message[1:]}, None
    if "unit cost" in message:
        return {"unit_cost": message[0].upper() + message[1:]}, None
    return {}, message[0].upper() + message[1:]
