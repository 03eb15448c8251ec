"""The New purchase order form: vendor, Auto-Sync Purchase Order, expected date, reference, lines.

As in the Ascend seed, "the Auto-Sync Purchase Order checkbox will be defaulted when the
Auto-Sync Purchase Orders checkbox in the Edit Vendor screen is checked for the applicable
Supplier", and "you can uncheck this box for specific purchase orders". The box is shown only
for integrated (B2B) suppliers. Vendor and items are picked by typing part of their code, name,
SKU or description (read in a thread). Nothing is written until ctrl+s; refused values are shown
at their field (``create_po`` names each); esc with unsaved changes asks first. Dismisses with
the new PO's id (or None). Opened with a ``PODraft`` (from purchase target lines), it starts
filled in with the draft's vendor and lines, for the purchaser to edit before saving.
"""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Checkbox, Input, Label, Static

from posync_tui import money as amounts
from posync_tui import numbers
from posync_tui.audit import shown
from posync_tui.failures import database_faults, plain
from posync_tui.money import line_total
from posync_tui.services import edi_submit
from posync_tui.services.edi_po import EdiFields
from posync_tui.services.po_create import (
    REFERENCE_MAX,
    POInvalid,
    VendorChoice,
    create_po,
    find_items,
    find_vendors,
)
from posync_tui.services.supplier_sync import PODefaults, new_po_defaults
from screens.confirm import Confirm
from screens.form import FieldError, FormScreen, Tick, at_fields
from screens.key_bar import KeyBar
from screens.po_edi_fields import EdiFieldsBox
from screens.safe_text import VISIBLE, safe
from screens.search_picker import Choice, SearchPicker

if TYPE_CHECKING:
    from posync_tui.db import Database
    from posync_tui.services.purchase_targets import PODraft

AUTO_SYNC_LABEL = "Auto-Sync Purchase Order"
LINE_FIELDS = ("item", "quantity", "unit_cost")


def _amount(quantity: str, unit_cost: str, currency: str) -> Decimal | None:
    """The line's total as the PO will store it (rounded per line), or None if not valid yet."""
    try:
        return line_total(numbers.quantity(quantity), numbers.unit_cost(unit_cost), currency)
    except ValueError:
        return None


def _number_problem(field: str, text: str) -> str | None:
    """What is wrong with a typed quantity or unit cost, said at the field as it is typed."""
    if not text.strip():
        return None
    parse = numbers.quantity if field == "quantity" else numbers.unit_cost
    try:
        parse(text)
    except ValueError as exc:
        return str(exc)
    return None


class LineRow(Vertical):
    """One line of the new PO: item (picked), quantity, unit cost (prefilled from the item)."""

    def __init__(self, key: int, number: int, search):
        super().__init__(id=f"line-{key}", classes="line")
        self.key = key
        self.number = number
        self.picker = SearchPicker(
            search, input_id=f"line-{key}-item", placeholder="SKU or description"
        )
        self.quantity = Input(compact=True, placeholder="qty", id=f"line-{key}-quantity")
        self.unit_cost = Input(compact=True, placeholder="cost", id=f"line-{key}-unit_cost")

    def compose(self) -> ComposeResult:
        with Horizontal(classes="line-fields"):
            yield Label(f"{self.number}", classes="line-no")
            yield self.picker
            yield self.quantity
            yield self.unit_cost
            yield Static(classes="line-amount")
        for field in LINE_FIELDS:
            yield FieldError(f"line-{self.key}-{field}")

    @property
    def item_id(self) -> int | None:
        return self.picker.choice.key if self.picker.choice else None

    def renumber(self, number: int) -> None:
        self.number = number
        self.query_one(".line-no", Label).update(f"{number}")

    def amount(self, currency: str) -> Decimal | None:
        return _amount(self.quantity.value.strip(), self.unit_cost.value.strip(), currency)

    def show_amount(self, currency: str) -> None:
        amount = self.amount(currency)
        text = "" if amount is None else amounts.shown(amount, currency)
        self.query_one(".line-amount", Static).update(text)


class PurchaseOrderForm(FormScreen[int | None]):
    BINDINGS = [
        Binding("ctrl+n", "add_line", "Add line", priority=True),
        Binding("ctrl+r", "remove_line", "Remove line", priority=True),
        Binding("ctrl+e", "save_and_submit", "Save & Submit EDI", priority=True),
    ]
    DEFAULT_CSS = """
    PurchaseOrderForm > #dialog { width: 78; overflow-y: auto; }
    PurchaseOrderForm .field-row { margin-top: 0; }
    PurchaseOrderForm #vendor-note { margin-left: 22; display: none; }
    PurchaseOrderForm #vendor-note.-shown { display: block; }
    PurchaseOrderForm #auto_sync-row { display: none; }
    PurchaseOrderForm #lines { margin-top: 1; height: 1; text-style: bold; }
    PurchaseOrderForm #line-head { height: 1; color: $text-muted; }
    PurchaseOrderForm #line-head > .line-item { width: 1fr; }
    PurchaseOrderForm #line-rows { height: auto; max-height: 9; scrollbar-size-vertical: 1; }
    PurchaseOrderForm .line { height: auto; }
    PurchaseOrderForm .line-fields { height: auto; }
    PurchaseOrderForm .line-no { width: 3; color: $text-muted; }
    PurchaseOrderForm .line-fields > Input, PurchaseOrderForm .line-input {
        width: 10; margin-left: 1;
    }
    PurchaseOrderForm .line-amount { width: 12; text-align: right; }
    PurchaseOrderForm .line FieldError { margin-left: 3; }
    PurchaseOrderForm #lines-error { margin-left: 0; }
    PurchaseOrderForm #po-total { height: 1; text-align: right; }
    """

    def __init__(self, db: Database, draft: PODraft | None = None):
        super().__init__()
        self.db = db
        self.draft = draft
        self.vendor: VendorChoice | None = None
        self.defaults: PODefaults | None = None
        self._keys = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as box:
            box.border_title = Content("New purchase order")
            with Horizontal(id="vendor-row", classes="field-row"):
                yield Label("Vendor", classes="field-label")
                yield SearchPicker(
                    self._find_vendors, input_id="vendor", placeholder="part of its code or name"
                )
            yield FieldError("vendor")
            yield Static(id="vendor-note", classes="form-note")
            yield from self.field("", Tick(AUTO_SYNC_LABEL, False, compact=True, id="auto_sync"))
            yield from self.field(
                "Expected date",
                Input(compact=True, placeholder="YYYY-MM-DD (optional)", id="expected_date"),
            )
            yield from self.field(
                "Reference",
                Input(compact=True, highlighter=VISIBLE, id="reference"),
            )
            yield EdiFieldsBox(id="edi-fields")
            yield Static(Content("Lines   ctrl+n add · ctrl+r remove"), id="lines")
            with Horizontal(id="line-head", classes="line-fields"):
                # The same widths as a line's fields, so the headings sit over them.
                yield Label("#", classes="line-no")
                yield Label("Item", classes="line-item")
                yield Label("Quantity", classes="line-input")
                yield Label("Unit cost", classes="line-input")
                yield Label("Amount", classes="line-amount")
            with VerticalScroll(id="line-rows", can_focus=False):
                for number in range(1, len(self.draft.lines) + 1 if self.draft else 2):
                    yield self._new_line(number)
            yield FieldError("lines")
            yield Static(id="po-total")
            yield from self.buttons()
        yield KeyBar()

    def on_mount(self) -> None:
        self.original = self.values()
        if self.draft is not None:
            self._fill(self.draft)
        self._show_total()
        self.query_one("#vendor", Input).focus()

    def _fill(self, draft: PODraft) -> None:
        vendor = draft.vendor
        self.query_one("#vendor-picker", SearchPicker).pick(
            Choice(vendor.id, f"{vendor.code}  {vendor.name}", "", vendor)
        )
        for row, line in zip(self.lines, draft.lines, strict=True):
            item = line.item
            row.picker.pick(Choice(item.id, f"{item.sku}  {item.description}", "", item))
            row.unit_cost.value = shown(item.unit_cost) or "0"
            row.quantity.value = shown(line.quantity) or ""

    # --- look-ups (run in the pickers' thread workers) ----------------------------------------

    def _find_vendors(self, text: str) -> list[Choice]:
        return [
            Choice(v.id, f"{v.code}  {v.name}", f"{v.code}  {v.name}{_integration(v)}", v)
            for v in find_vendors(self.db, text)
        ]

    def _find_items(self, text: str) -> list[Choice]:
        vendor_id = self.vendor.id if self.vendor else None
        return [
            Choice(i.id, f"{i.sku}  {i.description}", f"{i.sku}  {i.description}", i)
            for i in find_items(self.db, text, vendor_id)
        ]

    # --- the vendor and its defaults ----------------------------------------------------------

    @on(SearchPicker.Picked)
    def _picked(self, event: SearchPicker.Picked) -> None:
        event.stop()
        if event.picker.id != "vendor-picker":
            self._item_picked(event)
            return
        self.vendor = event.choice.value
        self.defaults = None
        self.query_one("#auto_sync-row").display = False  # until its defaults are read
        self._read_defaults(self.vendor.id)

    @on(SearchPicker.Cleared)
    def _cleared(self, event: SearchPicker.Cleared) -> None:
        event.stop()
        if event.picker.id != "vendor-picker":
            return  # the line's item id is read from its picker
        self.vendor = self.defaults = None
        self.query_one("#auto_sync-row").display = False
        self.query_one("#vendor-note", Static).remove_class("-shown")
        self._show_total()

    @work(thread=True, exclusive=True, exit_on_error=False, group="po-form-defaults")
    def _read_defaults(self, vendor_id: int) -> None:
        try:
            defaults = new_po_defaults(self.db, vendor_id)
        except Exception as exc:  # noqa: BLE001 - shown at the field
            self.app.call_from_thread(self._defaults_failed, vendor_id, plain(exc))
            return
        self.app.call_from_thread(self._show_defaults, defaults)

    def _defaults_failed(self, vendor_id: int, message: str) -> None:
        if self.vendor is not None and self.vendor.id == vendor_id:
            self.vendor = None
            self.query_one("#vendor-error", FieldError).show(f"Cannot use this vendor: {message}")

    def _show_defaults(self, defaults: PODefaults) -> None:
        vendor = self.vendor
        if vendor is None or vendor.id != defaults.vendor_id or not self.is_mounted:
            return  # another vendor was picked meanwhile
        self.defaults = defaults
        # Preselected from the vendor's Auto-Sync Purchase Orders; only integrated suppliers.
        self.query_one("#auto_sync-row").display = vendor.integrated
        self.query_one("#auto_sync", Checkbox).value = defaults.auto_sync and vendor.integrated
        note = f"New PO {defaults.number} · {defaults.currency}{_integration(vendor)}"
        self.query_one("#vendor-note", Static).update(safe(note))
        self.query_one("#vendor-note").add_class("-shown")
        self._show_total()
        if self.focused is self.query_one("#vendor", Input):
            # Picked: on to the next field (the box, when there is one).
            self.call_after_refresh(self.focus_next)

    # --- lines ---------------------------------------------------------------------------------

    def _new_line(self, number: int) -> LineRow:
        self._keys += 1
        return LineRow(self._keys, number, self._find_items)

    @property
    def lines(self) -> list[LineRow]:
        return list(self.query(LineRow))

    async def action_add_line(self) -> None:
        row = self._new_line(len(self.lines) + 1)
        await self.query_one("#line-rows").mount(row)
        self.query_one("#lines-error", FieldError).show(None)
        self._focus_line(row)
        self._show_total()

    def _focus_line(self, row: LineRow) -> None:
        row.picker.input.focus()
        row.scroll_visible()

    async def action_remove_line(self) -> None:
        """Remove the line with the focus (else the last line)."""
        lines = self.lines
        if not lines:
            return
        focused = self.focused
        row = next((r for r in lines if focused is not None and r in focused.ancestors), lines[-1])
        index = lines.index(row)
        await row.remove()
        rest = self.lines
        for number, each in enumerate(rest, 1):
            each.renumber(number)
        if rest:
            self._focus_line(rest[min(index, len(rest) - 1)])
        self._show_total()

    def _item_picked(self, event: SearchPicker.Picked) -> None:
        row = next(r for r in event.picker.ancestors if isinstance(r, LineRow))
        if self.focused is not row.picker.input:
            return  # filled in from a draft: its cost and quantity are set
        row.unit_cost.value = shown(event.choice.value.unit_cost) or "0"
        row.quantity.focus()

    def _show_total(self) -> None:
        total, count = Decimal(0), 0
        currency = self.defaults.currency if self.defaults else "USD"
        for row in self.lines:
            row.show_amount(currency)
            amount = row.amount(currency)
            if amount is not None:
                total += amount
            count += 1
        named = f" {self.defaults.currency}" if self.defaults else ""
        shown_total = amounts.shown(total, currency)
        text = f"{count} line{'s' if count != 1 else ''} · total {shown_total}{named}"
        self.query_one("#po-total", Static).update(safe(text, one_line=True))

    # --- editing --------------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        return {
            "vendor": self.query_one("#vendor", Input).value.strip(),
            "vendor_id": self.vendor.id if self.vendor else None,
            "auto_sync": bool(
                self.vendor
                and self.vendor.integrated
                and self.query_one("#auto_sync", Checkbox).value
            ),
            "expected_date": self.query_one("#expected_date", Input).value.strip(),
            "reference": self.query_one("#reference", Input).value.strip(),
            "edi": self.query_one(EdiFieldsBox).values(),
            "lines": tuple(
                (
                    r.picker.text.strip(),
                    r.item_id,
                    r.quantity.value.strip(),
                    r.unit_cost.value.strip(),
                )
                for r in self.lines
            ),
        }

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if event.input.id:
            self._clear_error(event.input.id)
        if event.input.id and event.input.id.endswith(("-quantity", "-unit_cost")):
            field = event.input.id.rsplit("-", 1)[1]
            self.query_one(f"#{event.input.id}-error", FieldError).show(
                _number_problem(field, event.value)
            )
            self._show_total()
        if event.input.id == "reference" and len(event.value) > REFERENCE_MAX:
            # Said, not cut: the operator sees the text is too long as it is typed or pasted.
            self.query_one("#reference-error", FieldError).show(
                f"At most {REFERENCE_MAX} characters (this one has {len(event.value)})"
            )

    @on(Checkbox.Changed, "#auto_sync")
    def _auto_sync_changed(self, event: Checkbox.Changed) -> None:
        self._clear_error("auto_sync")

    def _clear_error(self, field: str) -> None:
        for error in self.query(f"#{field}-error").results(FieldError):
            error.show(None)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    # --- saving ---------------------------------------------------------------------------------

    def _expected_date_early(self, typed: str) -> str | None:
        """The question to ask when the expected date is before the order date, else None."""
        try:
            expected = date.fromisoformat(typed)
        except ValueError:
            return None  # empty, or refused at its field by the service
        ordered = self.defaults.order_date if self.defaults else None
        if ordered is None or expected >= ordered:
            return None
        return (
            f"The expected date {expected.isoformat()} is before the order date "
            f"{ordered.isoformat()}. Save it anyway?"
        )

    def action_save(self, submit: bool = False) -> None:
        if self.saving:
            return
        if self.vendor is not None and self.defaults is None:
            return  # the vendor's defaults (and its Auto-Sync box) are still being read
        self.saving = True
        values = self.values()
        keys = [r.key for r in self.lines]
        self._save(values, keys, submit)

    def action_save_and_submit(self) -> None:
        """Save & Submit Electronically: validated first (every failure listed), then saved
        and submitted."""
        self.action_save(submit=True)

    @work(exclusive=True, group="po-form-save", exit_on_error=False)
    async def _save(self, values: dict[str, Any], keys: list[int], submit: bool) -> None:
        rt = self.app.runtime
        early = self._expected_date_early(values["expected_date"])
        if early and not await self.app.push_screen_wait(Confirm(early, yes="Save", no="Go back")):
            self.saving = False
            return
        try:
            if submit:
                problems = await asyncio.to_thread(_submit_problems, self.db, values)
                if problems:
                    self.show_errors({}, "Cannot submit: " + " ".join(problems))
                    return
            po_id = await asyncio.to_thread(
                partial(create_po, early_expected_date=bool(early), edi=values["edi"]),
                self.db,
                values["vendor_id"],
                values["auto_sync"],
                values["expected_date"],
                values["reference"],
                [(item_id, qty, cost) for _, item_id, qty, cost in values["lines"]],
            )
            if submit:
                try:
                    await asyncio.to_thread(edi_submit.submit, self.db, po_id, rt.settings.edi)
                except (ValueError, *database_faults()) as exc:
                    # Changed since it was validated, or the database failed (the submit rolled
                    # back): the PO is saved (its own transaction), not sent. Never "Not saved".
                    self.app.notify(
                        f"Saved, not submitted: {plain(exc)}", severity="error", markup=False
                    )
                    self.dismiss(po_id)
                    return
                scheduler = getattr(self.app, "scheduler", None)
                if scheduler is not None and edi_submit.CONNECTOR in scheduler.jobs:
                    scheduler.run_now(edi_submit.CONNECTOR)
        except POInvalid as exc:
            self.show_errors(
                at_fields(
                    exc,
                    keys,
                    lambda i: values["lines"][i][:2],
                    {"vendor": (values["vendor"], values["vendor_id"])},
                )
            )
        except Exception as exc:  # noqa: BLE001 - shown to the operator; nothing was saved
            self.show_errors({}, f"Not saved: {plain(exc)}")
        else:
            self.dismiss(po_id)
        finally:
            self.saving = False


def _submit_problems(db: Database, values: dict[str, Any]) -> list[str]:
    edi: EdiFields = values["edi"]
    draft = edi_submit.Draft(
        values["vendor_id"],
        [item_id for _, item_id, _, _ in values["lines"]],
        edi.special_order_type,
        edi.special_bid_reference,
    )
    with db.reader() as s:
        return edi_submit.problems(s, draft)


def _integration(vendor: VendorChoice) -> str:
    if not vendor.integrated:
        return ""
    return " · B2B, auto-sync on" if vendor.auto_sync else " · B2B"
