"""A PO's EDI fields (Onetrail seed): Special Order Type and Special Bid/Deal Reference (both
needed when special bid or deal pricing is used), Allow Partial Shipments (unchecked: the
supplier ships everything in one shipment) and Drop Ship. On the New PO form, and on an existing
PO's EDI tab (``EdiFieldsForm``) until the PO is submitted."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Checkbox, Input, Label, Select

from posync_tui.failures import plain
from posync_tui.services.edi_po import EdiFields, FieldsRefused, save_fields
from posync_tui.services.edi_submit import SPECIAL_ORDER_TYPES
from screens.form import FieldError, FormScreen, Tick
from screens.key_bar import KeyBar
from screens.safe_text import VISIBLE

if TYPE_CHECKING:
    from posync_tui.db import Database


class EdiFieldsBox(Vertical):
    DEFAULT_CSS = """
    EdiFieldsBox { height: auto; }
    EdiFieldsBox > Horizontal { height: auto; }
    EdiFieldsBox .field-label { width: 22; color: $text-muted; }
    EdiFieldsBox Select { width: 20; }
    EdiFieldsBox Input { width: 1fr; }
    EdiFieldsBox Checkbox { margin-right: 2; }
    """

    def __init__(self, start: EdiFields | None = None, *, id: str | None = None):
        super().__init__(id=id)
        self.start = start or EdiFields()

    def compose(self) -> ComposeResult:
        start = self.start
        with Horizontal(id="special-row"):
            yield Label("Special pricing", classes="field-label")
            yield Select(
                [(kind, kind) for kind in SPECIAL_ORDER_TYPES],
                prompt="none",
                compact=True,
                value=start.special_order_type or Select.NULL,
                id="special_order_type",
            )
            yield Input(
                start.special_bid_reference or "",
                compact=True,
                placeholder="Bid/Deal Reference",
                max_length=35,
                highlighter=VISIBLE,
                id="special_bid_reference",
            )
        yield FieldError("special_order_type")
        yield FieldError("special_bid_reference")
        with Horizontal(id="shipping-row"):
            yield Label("", classes="field-label")
            yield Tick(
                "Allow Partial Shipments",
                start.allow_partial_shipments,
                compact=True,
                id="allow_partial",
            )
            yield Tick("Drop Ship", start.drop_ship, compact=True, id="drop_ship")

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        # The two special fields are judged together: a change to either answers both.
        for field in ("special_order_type", "special_bid_reference"):
            self.query_one(f"#{field}-error", FieldError).show(None)

    def values(self) -> EdiFields:
        kind = self.query_one("#special_order_type", Select).value
        return EdiFields(
            special_order_type=kind if isinstance(kind, str) else None,
            special_bid_reference=self.query_one("#special_bid_reference", Input).value.strip()
            or None,
            allow_partial_shipments=self.query_one("#allow_partial", Checkbox).value,
            drop_ship=self.query_one("#drop_ship", Checkbox).value,
        )


class EdiFieldsForm(FormScreen[bool | None]):
    """An existing PO's EDI fields, from its EDI tab: saved (audited) with ctrl+s; refused at
    the field as on the New PO form, and refused once the PO is Submitting or Submitted."""

    def __init__(self, db: Database, po_id: int, number: str, start: EdiFields):
        super().__init__()
        self.db, self.po_id, self.number, self.start = db, po_id, number, start

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as box:
            box.border_title = Content(f"EDI fields of {self.number}")
            yield EdiFieldsBox(self.start, id="edi-fields")
            yield from self.buttons()
        yield KeyBar()

    def on_mount(self) -> None:
        self.original = self.values()
        self.query_one("#special_order_type", Select).focus()

    def values(self) -> dict[str, Any]:
        return {"edi": self.query_one(EdiFieldsBox).values()}

    def action_save(self) -> None:
        if not self.saving:
            self.saving = True
            self._save(self.values()["edi"])

    @work(exclusive=True, group="edi-fields-save", exit_on_error=False)
    async def _save(self, fields: EdiFields) -> None:
        try:
            await asyncio.to_thread(save_fields, self.db, self.po_id, fields)
        except FieldsRefused as exc:
            at_fields = {f: m for f, m in exc.problems.items() if f != "form"}
            self.show_errors(at_fields, exc.problems.get("form"))
        except Exception as exc:  # noqa: BLE001 - shown to the operator; nothing was saved
            self.show_errors({}, f"Not saved: {plain(exc)}")
        else:
            self.dismiss(True)
        finally:
            self.saving = False
