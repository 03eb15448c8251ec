"""The Contacts tab: vendors not yet linked to a QuickBooks vendor, and how to link them.

Link new contacts first (the Cin7 seed's first step): ``l`` finds QuickBooks vendors by name and
links the one the operator picks; ``c`` creates the vendor in QuickBooks and links it. A PO
whose vendor is not linked cannot be uploaded, so the list says how many queued POs wait on
each vendor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from posync_tui.failures import plain
from screens.confirm import Confirm
from screens.paged_table import PagedList, PagedTable
from screens.safe_text import VISIBLE, safe

if TYPE_CHECKING:
    from connectors.quickbooks import QboVendor
    from posync_tui.runtime import Runtime


class LinkVendor(ModalScreen["QboVendor | None"]):
    """Find QuickBooks vendors by name and pick the one to link (enter), or esc."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]
    DEFAULT_CSS = """
    LinkVendor { align: center middle; }
    LinkVendor > Vertical {
        width: 64; max-width: 100%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    LinkVendor Input { margin-top: 1; }
    LinkVendor OptionList { height: auto; max-height: 10; }
    LinkVendor #found { height: auto; color: $text-muted; }
    """

    @dataclass
    class _Found(Message):
        query: str
        vendors: list
        error: str | None

    def __init__(self, rt: Runtime, vendor_name: str):
        super().__init__()
        self.rt, self.vendor_name = rt, vendor_name
        self.vendors: list[QboVendor] = []

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            title = f"Link {self.vendor_name} to a QuickBooks vendor"
            box.border_title = safe(title, one_line=True)
            box.border_subtitle = "enter search / pick · esc cancel"
            yield Input(
                value=self.vendor_name,
                placeholder="name in QuickBooks",
                highlighter=VISIBLE,
                id="name",
            )
            yield Static("", id="found")
            yield OptionList(id="matches")

    def on_mount(self) -> None:
        self.query_one("#matches", OptionList).display = False
        self.search(self.vendor_name)

    @on(Input.Submitted, "#name")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.search(event.value)

    # An async worker on the app's loop: the service does its database work in threads.
    @work(exclusive=True, group="qbo-vendor-search", exit_on_error=False)
    async def search(self, name: str) -> None:
        from posync_tui.services.accounting_contacts import find_qbo_vendors_by_name

        self._say(f"Looking up {name!r} in QuickBooks…")
        try:
            found = await find_qbo_vendors_by_name(self.rt, name)
        except Exception as exc:  # noqa: BLE001 - shown to the operator
            self.post_message(self._Found(name, [], plain(exc)))
            return
        self.post_message(self._Found(name, found, None))

    def _say(self, text: str) -> None:
        self.query_one("#found", Static).update(safe(text))

    @on(_Found)
    def _show(self, message: _Found) -> None:
        self.vendors = message.vendors
        matches = self.query_one("#matches", OptionList)
        matches.clear_options()
        matches.display = bool(message.vendors)
        if message.error:
            self._say(f"QuickBooks could not be searched: {message.error}")
            return
        if not message.vendors:
            self._say(
                f"No QuickBooks vendor's name contains {message.query!r}. Try another name, "
                "or esc and create the vendor in QuickBooks (c)."
            )
            name = self.query_one("#name", Input)
            name.focus()
            name.action_select_all()  # typing replaces the name tried
            return
        self._say(f"{len(message.vendors)} found: pick one and press enter to link it.")
        matches.add_options(
            Option(safe(f"{v.display_name}  <{v.email}>" if v.email else v.display_name), id=str(i))
            for i, v in enumerate(message.vendors)
        )
        matches.highlighted = 0
        matches.focus()

    @on(OptionList.OptionSelected, "#matches")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.vendors[int(event.option.id)])


class ContactsPane(Vertical):
    """Vendors not linked to QuickBooks: ``l`` link to an existing one, ``c`` create it."""

    DEFAULT_CSS = """
    ContactsPane { height: 1fr; }
    ContactsPane > .queue-detail { height: auto; max-height: 3; padding: 0 1; }
    """
    BINDINGS = [
        Binding("l", "link", "Link"),
        Binding("c", "create", "Create in QBO"),
    ]

    def __init__(self) -> None:
        super().__init__(id="contacts-pane")
        self.table = PagedTable(title="Contacts not linked to QuickBooks")
        self.rt: Runtime | None = None

    def compose(self) -> ComposeResult:
        yield PagedList(self.table)
        yield Static(
            "Link new contacts first: l finds a QuickBooks vendor by name and links it, "
            "c creates the vendor in QuickBooks.",
            classes="queue-detail",
        )

    def attach(self, rt: Runtime) -> None:
        from posync_tui.services.accounting_queues import ContactSource, contacts_view

        self.rt = rt
        self.table.set_source(ContactSource(rt.db.engine), contacts_view())

    def refresh_rows(self) -> None:
        if self.table.source is not None:
            self.table.refresh_rows()

    def _vendor(self) -> tuple[int, str] | None:
        row = self.table.cursor_row
        if row is None:
            self.app.notify("No contact left to link.", severity="warning")
            return None
        return row.key, row.data["name"]

    @on(PagedTable.RowSelected)
    def _enter(self, event: PagedTable.RowSelected) -> None:
        event.stop()
        self.action_link()

    def action_link(self) -> None:
        vendor = self._vendor()
        if vendor is None or self.rt is None:
            return
        vendor_id, name = vendor

        def picked(qbo: QboVendor | None) -> None:
            if qbo is not None:
                self.link(vendor_id, name, qbo.id, qbo.display_name)

        self.app.push_screen(LinkVendor(self.rt, name), picked)

    @work(thread=True, group="qbo-contacts", exit_on_error=False)
    def link(self, vendor_id: int, name: str, qbo_id: str, qbo_name: str) -> None:
        from posync_tui.services.accounting_contacts import link_vendor

        try:
            link_vendor(self.rt.db, vendor_id, qbo_id, qbo_name)
        except Exception as exc:  # noqa: BLE001 - shown to the operator
            self._notify(f"{name} was not linked: {plain(exc)}", "error")
            return
        self._notify(f"{name} is linked to QuickBooks vendor {qbo_name}.", "information")

    def action_create(self) -> None:
        if self.rt is None:
            return
        selection = self.table.selection()
        ids = selection.keys
        if not ids:
            reason = selection.all_hidden("vendor", "vendors") or "No contact left to create."
            self.app.notify(reason, severity="warning")
            return
        if len(ids) == 1 and not selection.hidden:
            row = self.table.cursor_row
            name = row.data["name"] if row is not None and row.key == ids[0] else "this vendor"
            question = f"Create the vendor {name} in QuickBooks and link it?"
        else:
            words = selection.words("vendor", "vendors")
            link = "it" if len(ids) == 1 else "them"
            question = f"Create {words} in QuickBooks and link {link}{selection.untouched()}?"

        def answered(yes: bool | None) -> None:
            if yes:
                self.create(ids)

        self.app.push_screen(Confirm(question, yes="Create"), answered)

    @work(group="qbo-contacts", exit_on_error=False)
    async def create(self, vendor_ids: list[int]) -> None:
        from posync_tui.services.accounting_contacts import create_qbo_vendor

        made = 0
        for vendor_id in vendor_ids:
            try:
                created = await create_qbo_vendor(self.rt, vendor_id)
            except Exception as exc:  # noqa: BLE001 - shown to the operator, then the next
                self._notify(f"Not created: {plain(exc)}", "error")
                continue
            made += 1
            self._notify(
                f"Created {created.display_name} in QuickBooks and linked it.", "information"
            )
        if made:
            self.table.unmark(vendor_ids)  # marks the filter hides stay

    def _notify(self, text: str, severity: SeverityLevel) -> None:
        self.app.notify(text, title="QuickBooks contacts", severity=severity)
