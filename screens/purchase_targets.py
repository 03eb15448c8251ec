"""Purchase target lines: backordered sales-order lines that still need purchasing, oldest first.

A body widget the shell mounts (``attach``/``on_change``): the paged table over
``purchase_targets``. ``/`` filters by item or vendor text; ``V`` and ``I`` keep only the cursor
line's vendor or item (again: all); ``A`` shows lines POs already cover too. ``space`` marks
lines and ``c`` creates POs from them (or the cursor's line): one New PO form per vendor, filled
in with the quantities still needed summed per item, to edit and save. ``enter`` shows the POs
that cover the line (its links in P21).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from posync_tui.failures import plain
from screens.key_bar import KeyBar
from screens.paged_table import PagedList, PagedTable
from screens.safe_text import safe

if TYPE_CHECKING:
    from posync_tui.events import Change
    from posync_tui.runtime import Runtime
    from posync_tui.services.p21_links import LinkedLine
    from posync_tui.services.purchase_targets import Drafts

KINDS = ("sales_order", "backorder_link", "purchase_order")


class PurchaseTargets(Vertical):
    DEFAULT_CSS = "PurchaseTargets { height: 1fr; }"
    BINDINGS = [
        Binding("c", "create_pos", "Create POs"),
        Binding("V", "only('vendor')", "Vendor"),
        Binding("I", "only('item')", "Item"),
        Binding("A", "covered", "Covered too"),
    ]

    @dataclass
    class _Changed(Message):
        def can_replace(self, message: Message) -> bool:
            return isinstance(message, PurchaseTargets._Changed)

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.table = PagedTable(title="Purchase target lines")
        self.rt: Runtime | None = None

    def compose(self) -> ComposeResult:
        yield PagedList(self.table)

    def attach(self, rt: Runtime) -> None:
        from posync_tui.services.purchase_targets import TargetLineSource, default_view

        self.rt = rt
        self.table.set_source(TargetLineSource(rt.db.engine), default_view())

    def on_change(self, change: Change) -> None:
        """A committed change; safe to call from any thread."""
        if change.kind in KINDS:
            self.post_message(self._Changed())

    @on(_Changed)
    def _refresh(self) -> None:
        self.table.refresh_rows()

    def focus_table(self) -> None:
        self.table.focus()

    # --- filters --------------------------------------------------------------------------------

    def action_only(self, name: str) -> None:
        view, row = self.table.view, self.table.cursor_row
        if view is None:
            return
        if view.filter(name) is not None:
            self.table.set_view(view.with_filter(name, None))
        elif row is not None and row.data.get(f"{name}_id") is not None:
            label = row.data[name]
            self.table.set_view(view.with_filter(name, (row.data[f"{name}_id"], label)))

    def action_covered(self) -> None:
        view = self.table.view
        if view is not None:
            self.table.set_view(view.with_filter("all", None if view.filter("all") else True))

    # --- a line's POs ---------------------------------------------------------------------------

    @on(PagedTable.RowSelected)
    def _open(self, event: PagedTable.RowSelected) -> None:
        event.stop()
        row = self.table.cursor_row
        if self.rt is not None and row is not None:
            self._read_pos(row.key, str(row.data["order"]))

    @work(thread=True, exclusive=True, group="target-line-pos", exit_on_error=False)
    def _read_pos(self, so_line_id: int, order: str) -> None:
        from posync_tui.services.p21_links import so_line_pos

        assert self.rt is not None  # attached before any row shows
        try:
            found = so_line_pos(self.rt.db, so_line_id)
        except Exception as exc:  # noqa: BLE001 - shown to the operator
            self.app.call_from_thread(
                self.app.notify, f"Cannot read: {plain(exc)}", severity="error"
            )
            return
        self.app.call_from_thread(self.app.push_screen, LinePOs(order, found))

    # --- creating POs ---------------------------------------------------------------------------

    def action_create_pos(self) -> None:
        keys = self.table.selected_keys()
        if self.rt is None or not keys:
            return
        self._create(keys)

    @work(thread=True, exclusive=True, group="target-create", exit_on_error=False)
    def _create(self, keys: list[int]) -> None:
        from posync_tui.services.purchase_targets import draft_pos

        assert self.rt is not None
        try:
            drafts = draft_pos(self.rt.db, keys)
        except Exception as exc:  # noqa: BLE001 - shown to the operator
            self.app.call_from_thread(
                self.app.notify, f"Cannot draft: {plain(exc)}", severity="error"
            )
            return
        self.app.call_from_thread(self._open_forms, drafts, [])

    def _open_forms(self, drafts: Drafts, made: list[int]) -> None:
        """One New PO form per draft in turn; then what was made, and what was left out."""
        from screens.po_form import PurchaseOrderForm

        assert self.rt is not None
        if len(made) < len(drafts.drafts):
            draft = drafts.drafts[len(made)]

            def saved(po_id: int | None) -> None:
                self._open_forms(drafts, [*made, po_id or 0])

            self.app.push_screen(PurchaseOrderForm(self.rt.db, draft), saved)
            return
        created = [po_id for po_id in made if po_id]
        if created:
            self.table.clear_marks()
        count = len(drafts.drafts)
        text = f"Created {len(created)} of {count} PO{'s' if count != 1 else ''} from the lines"
        if drafts.skipped:
            text += "; left out: " + "; ".join(drafts.skipped)
        self.app.notify(safe(text), severity="warning" if drafts.skipped else "information")


class LinePOs(ModalScreen[None]):
    """The POs linked to one sales-order line (P21's oe_line_po rows, as mirrored)."""

    BINDINGS = [Binding("escape", "dismiss", "Close"), Binding("enter", "dismiss", "Close")]
    DEFAULT_CSS = """
    LinePOs { align: center middle; }
    LinePOs > #dialog {
        width: 70; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    LinePOs DataTable { height: auto; max-height: 12; }
    """

    def __init__(self, order: str, links: list[LinkedLine]):
        super().__init__()
        self.order, self.links = order, links

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as box:
            box.border_title = safe(f"Sales order line {self.order}", one_line=True)
            if not self.links:
                yield Static("No PO is linked to this line yet.")
            else:
                yield DataTable(id="line-pos", cursor_type="row")
        yield KeyBar()

    def on_mount(self) -> None:
        if not self.links:
            return
        table = self.query_one(DataTable)
        table.add_columns("PO", "Line", "Item", "Quantity")
        for link in self.links:
            table.add_row(
                safe(link.po_number, one_line=True),
                str(link.po_line_number),
                safe(link.sku, one_line=True),
                Content(format(link.quantity.normalize(), "f")),
            )
