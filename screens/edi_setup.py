"""EDI setup (Onetrail seed's "Configuration screen"): the charge types (a supplier's charge
code → the expense account it books to), the payment-terms mapping (a supplier's terms
identifier → posync's terms with discount % and days) and the items an EDI order needs an MPN
for that have none. c adds or changes a charge type, p a terms mapping (prefilled from the row
under the cursor), m sets the MPN of the item under the cursor; esc closes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static

from posync_tui.audit import shown
from posync_tui.failures import plain
from posync_tui.services.edi_setup import (
    MISSING_MPN_SHOWN,
    ChargeRow,
    ItemRow,
    SetupInvalid,
    TermsRow,
    charge_types,
    items_without_mpn,
    payment_terms,
    save_charge_type,
    save_item_mpn,
    save_payment_terms,
)
from screens.form import FormScreen
from screens.key_bar import KeyBar
from screens.po_widgets import refill
from screens.safe_text import VISIBLE, safe

if TYPE_CHECKING:
    from posync_tui.db import Database

COLUMNS = {  # table id: (key, label, width)
    "charges": (("code", "Code", 5), ("name", "Name", 20), ("acc", "Account", 30)),
    "terms": (
        ("id", "Identifier", 12),
        ("terms", "Terms", 18),
        ("pct", "Disc %", 7),
        ("days", "Disc days", 9),
        ("net", "Net days", 8),
    ),
    "items": (("sku", "SKU", 14), ("desc", "Description", 36), ("v", "Vendor", 12)),
}


class EdiSetup(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close"),
        Binding("c", "charge", "Charge type"),
        Binding("p", "terms", "Payment terms"),
        Binding("m", "mpn", "Set MPN"),
    ]
    DEFAULT_CSS = """
    EdiSetup { align: center middle; }
    EdiSetup > Vertical {
        width: 78; max-width: 100%; height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    EdiSetup Static { height: 1; text-style: bold; }
    EdiSetup DataTable { height: 1fr; }
    """

    def __init__(self, db: Database):
        super().__init__()
        self.db = db
        self.charges: list[ChargeRow] = []
        self.terms: list[TermsRow] = []
        self.items: list[ItemRow] = []

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Content("EDI setup")
            yield Static("Charge types")
            yield DataTable(id="charges", cursor_type="row")
            yield Static("Payment terms")
            yield DataTable(id="terms", cursor_type="row")
            yield Static("Items without an MPN", id="items-heading")
            yield DataTable(id="items", cursor_type="row")
        yield KeyBar()

    def on_mount(self) -> None:
        for table_id, columns in COLUMNS.items():
            table = self.query_one(f"#{table_id}", DataTable)
            for key, label, width in columns:
                table.add_column(label, key=key, width=width)
        self.load()

    @work(thread=True, exclusive=True, group="edi-setup-read", exit_on_error=False)
    def load(self) -> None:
        charges, terms = charge_types(self.db), payment_terms(self.db)
        items = items_without_mpn(self.db)
        self.app.call_from_thread(self._show, charges, terms, items)

    def _show(self, charges: list[ChargeRow], terms: list[TermsRow], items: list[ItemRow]) -> None:
        self.charges, self.terms, self.items = charges, terms, items
        more = "+" if len(items) >= MISSING_MPN_SHOWN else ""
        self.query_one("#items-heading", Static).update(
            f"Items without an MPN ({len(items)}{more}) · m sets it"
        )
        refill(
            self.query_one("#items", DataTable),
            (
                (
                    str(i.id),
                    [
                        safe(i.sku, one_line=True),
                        safe(i.description, one_line=True),
                        safe(i.vendor or "any vendor", one_line=True),
                    ],
                )
                for i in items
            ),
        )
        refill(
            self.query_one("#charges", DataTable),
            (
                (c.code, [safe(c.code), safe(c.name), safe(c.expense_account, one_line=True)])
                for c in charges
            ),
        )
        refill(
            self.query_one("#terms", DataTable),
            (
                (
                    t.identifier,
                    [
                        safe(t.identifier),
                        safe(t.terms),
                        Content(shown(t.discount_percent) or "0"),
                        Content(str(t.discount_days)),
                        Content(str(t.net_days)),
                    ],
                )
                for t in terms
            ),
        )

    def _under_cursor(self, table_id: str, rows: list) -> Any:
        table = self.query_one(table_id, DataTable)
        if table.has_focus and rows and 0 <= table.cursor_row < len(rows):
            return rows[table.cursor_row]
        return None

    def action_charge(self) -> None:
        row = self._under_cursor("#charges", self.charges)
        self.app.push_screen(ChargeTypeForm(self.db, row), lambda _: self.load())

    def action_terms(self) -> None:
        row = self._under_cursor("#terms", self.terms)
        self.app.push_screen(TermsForm(self.db, row), lambda _: self.load())

    def action_mpn(self) -> None:
        table = self.query_one("#items", DataTable)
        if not self.items:
            self.notify("Every item EDI orders need has its MPN", severity="information")
            return
        item = self.items[min(max(table.cursor_row, 0), len(self.items) - 1)]
        form = MpnForm(self.db, item.id, item.sku, None)
        self.app.push_screen(form, lambda _: self.load())


class _SetupForm(FormScreen[bool | None]):
    """A form of plain text fields saved by one service call, ``save(**values)``."""

    TITLE_TEXT = ""
    FIELDS: tuple[tuple[str, str], ...] = ()  # (field, label)

    def __init__(self, start: dict[str, str], save: Callable[..., object]):
        super().__init__()
        self.start, self.save = start, save

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as box:
            box.border_title = safe(self.TITLE_TEXT, one_line=True)
            for field, label in self.FIELDS:
                yield from self.field(
                    label,
                    Input(self.start.get(field, ""), compact=True, highlighter=VISIBLE, id=field),
                )
            yield from self.buttons()
        yield KeyBar()

    def on_mount(self) -> None:
        self.original = self.values()

    def values(self) -> dict[str, Any]:
        return {field: self.query_one(f"#{field}", Input).value for field, _ in self.FIELDS}

    def action_save(self) -> None:
        if not self.saving:
            self.saving = True
            self._save(self.values())

    @work(exclusive=True, group="edi-setup-save", exit_on_error=False)
    async def _save(self, values: dict[str, Any]) -> None:
        try:
            await asyncio.to_thread(self.save, **values)
        except SetupInvalid as exc:
            self.show_errors({exc.field: exc.message})
        except Exception as exc:  # noqa: BLE001 - shown to the operator; nothing was saved
            self.show_errors({}, f"Not saved: {plain(exc)}")
        else:
            self.dismiss(True)
        finally:
            self.saving = False


class ChargeTypeForm(_SetupForm):
    TITLE_TEXT = "Charge type"
    FIELDS = (("code", "Charge code (ALC)"), ("name", "Name"), ("expense_account", "Account"))

    def __init__(self, db: Database, row: ChargeRow | None):
        start = {"code": row.code, "name": row.name, "expense_account": row.expense_account}
        super().__init__(start if row else {}, partial(save_charge_type, db))


class TermsForm(_SetupForm):
    TITLE_TEXT = "Payment terms"
    FIELDS = (
        ("identifier", "Supplier identifier"),
        ("terms", "posync terms"),
        ("discount_percent", "Discount %"),
        ("discount_days", "Discount days"),
        ("net_days", "Net days"),
    )

    def __init__(self, db: Database, row: TermsRow | None):
        start = (
            {
                "identifier": row.identifier,
                "terms": row.terms,
                "discount_percent": shown(row.discount_percent) or "0",
                "discount_days": str(row.discount_days),
                "net_days": str(row.net_days),
            }
            if row
            else {}
        )
        super().__init__(start, partial(save_payment_terms, db))


class MpnForm(_SetupForm):
    """An item's MPN (manufacturer part number), which an EDI order names it by (PIA)."""

    FIELDS = (("mpn", "MPN"),)

    def __init__(self, db: Database, item_id: int, sku: str, mpn: str | None):
        super().__init__({"mpn": mpn or ""}, partial(save_item_mpn, db, item_id))
        self.TITLE_TEXT = f"MPN of {sku}"
