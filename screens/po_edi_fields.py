"""The New PO form's EDI fields (Onetrail seed): Special Order Type and Special Bid/Deal
Reference (both needed when special bid or deal pricing is used), Allow Partial Shipments
(unchecked: the supplier ships everything in one shipment) and Drop Ship."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Checkbox, Input, Label, Select

from posync_tui.services.edi_po import EdiFields
from posync_tui.services.edi_submit import SPECIAL_ORDER_TYPES
from screens.form import FieldError, Tick
from screens.safe_text import VISIBLE


class EdiFieldsBox(Vertical):
    DEFAULT_CSS = """
    EdiFieldsBox { height: auto; }
    EdiFieldsBox > Horizontal { height: auto; }
    EdiFieldsBox .field-label { width: 22; color: $text-muted; }
    EdiFieldsBox Select { width: 20; }
    EdiFieldsBox Input { width: 1fr; }
    EdiFieldsBox Checkbox { margin-right: 2; }
    """

    def compose(self) -> ComposeResult:
        with Horizontal(id="special-row"):
            yield Label("Special pricing", classes="field-label")
            yield Select(
                [(kind, kind) for kind in SPECIAL_ORDER_TYPES],
                prompt="none",
                compact=True,
                id="special_order_type",
            )
            yield Input(
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
            yield Tick("Allow Partial Shipments", False, compact=True, id="allow_partial")
            yield Tick("Drop Ship", False, compact=True, id="drop_ship")

    def values(self) -> EdiFields:
        kind = self.query_one("#special_order_type", Select).value
        return EdiFields(
            special_order_type=kind if isinstance(kind, str) else None,
            special_bid_reference=self.query_one("#special_bid_reference", Input).value.strip()
            or None,
            allow_partial_shipments=self.query_one("#allow_partial", Checkbox).value,
            drop_ship=self.query_one("#drop_ship", Checkbox).value,
        )
