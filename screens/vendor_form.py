"""The Edit Vendor form: integration type, supplier account reference, auto-sync.

As in the Ascend seed: "Auto-Sync Purchase Orders" appears only for integrated (B2B) suppliers;
the form must be saved to commit the changes (ctrl+s); turning auto-sync on offers to auto-sync
the vendor's existing open purchase orders too, with their count. Refused values are shown at
their field. Dismisses with a ``VendorSaved`` (or None when nothing was saved).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Checkbox, Input, Select, Static

from posync_tui.failures import database_faults, plain
from posync_tui.models import Integration
from posync_tui.services.edi_setup import (
    SetupInvalid,
    check_gln,
    read_vendor_edi,
)
from posync_tui.services.vendor_list import (
    INTEGRATION_NAMES,
    VendorEdit,
    VendorInvalid,
    check_vendor,
    read_vendor,
    save_vendor,
)
from screens.confirm import Confirm
from screens.form import FieldError, FormScreen, Tick
from screens.key_bar import KeyBar
from screens.messages import Changed
from screens.safe_text import VISIBLE, safe

if TYPE_CHECKING:
    from posync_tui.db import Database

AUTO_SYNC_LABEL = "Auto-Sync Purchase Orders"
EDI_LABEL = "Enabled for EDI"


@dataclass(frozen=True)
class VendorSaved:
    vendor_id: int
    code: str
    pos_auto_synced: tuple[int, ...] = ()  # open POs whose auto-sync was turned on with it


class VendorForm(FormScreen[VendorSaved | None]):
    DEFAULT_CSS = """
    VendorForm #changed-elsewhere { color: $warning; height: auto; display: none; }
    """

    def __init__(self, db: Database, vendor: VendorEdit):
        super().__init__()
        self.db = db
        self.vendor = vendor
        self._edi_read = False  # the EDI fields show the vendor's (read in a thread)

    def compose(self) -> ComposeResult:
        v = self.vendor
        with Vertical(id="dialog") as box:
            box.border_title = safe(f"Edit vendor {v.code}", one_line=True)
            yield Static(safe(v.name), classes="form-note")
            yield from self.field(
                "Integration type",
                Select(
                    [(name, value.value) for value, name in INTEGRATION_NAMES.items()],
                    value=v.integration.value,
                    allow_blank=False,
                    compact=True,
                    id="integration",
                ),
            )
            yield from self.field(
                "Supplier account",
                Input(
                    v.supplier_account or "",
                    placeholder="the account the supplier knows you by",
                    compact=True,
                    highlighter=VISIBLE,
                    id="supplier_account",
                ),
            )
            yield from self.field(
                "", Tick(AUTO_SYNC_LABEL, v.auto_sync, compact=True, id="auto_sync")
            )
            yield Static(self._open_pos_note(), id="open-pos", classes="form-note")
            # EDI (Onetrail seed): read after the form opens (``_read_edi``).
            yield from self.field("", Tick(EDI_LABEL, False, compact=True, id="edi_enabled"))
            yield from self.field(
                "GLN",
                Input(
                    "",
                    placeholder="13 digits",
                    max_length=13,
                    compact=True,
                    highlighter=VISIBLE,
                    id="gln",
                ),
            )
            yield Static(id="changed-elsewhere")
            yield from self.buttons()
        yield KeyBar()

    def _open_pos_note(self) -> Content:
        v = self.vendor
        if not v.open_pos:
            return Content("No open purchase orders")
        if not v.open_pos_without_auto_sync:
            return Content(f"{v.open_pos} open purchase orders, all auto-synced")
        return Content(
            f"{v.open_pos} open purchase orders, {v.open_pos_without_auto_sync} without auto-sync"
        )

    def on_mount(self) -> None:
        self.original = self.values()
        self._read_edi()
        self._show_auto_sync()
        self.query_one("#integration", Select).focus()
        self.app.register_live_screen(self)

    def on_unmount(self) -> None:
        self.app.unregister_live_screen(self)

    # --- the fields ------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        integration = self.query_one("#integration", Select).value
        b2b = integration == Integration.B2B.value
        return {
            "integration": integration,
            "supplier_account": self.query_one("#supplier_account", Input).value.strip(),
            # Hidden (and off) for a supplier that is not integrated.
            "auto_sync": b2b and self.query_one("#auto_sync", Checkbox).value,
            "edi_enabled": self.query_one("#edi_enabled", Checkbox).value,
            "gln": self.query_one("#gln", Input).value.strip(),
        }

    def _show_auto_sync(self) -> None:
        b2b = self.query_one("#integration", Select).value == Integration.B2B.value
        # Only integrated suppliers have the option at all (Ascend seed).
        self.query_one("#auto_sync-row").display = b2b
        if not b2b:
            self.query_one("#auto_sync-error", FieldError).show(None)

    @on(Select.Changed, "#integration")
    def _integration_changed(self, event: Select.Changed) -> None:
        self._show_auto_sync()
        self.query_one("#integration-error", FieldError).show(None)

    @on(Input.Changed, "#supplier_account")
    def _account_changed(self, event: Input.Changed) -> None:
        self.query_one("#supplier_account-error", FieldError).show(None)

    @on(Input.Changed, "#gln")
    @on(Checkbox.Changed, "#edi_enabled")
    def _gln_changed(self, event) -> None:
        """The GLN's check digit checked at the field, as it is typed."""
        values = self.values()
        gln = values["gln"]
        problem = check_gln(gln, values["edi_enabled"]) if len(gln) == 13 or not gln else None
        if gln and not gln.isdigit():
            problem = "Digits only"
        self.query_one("#gln-error", FieldError).show(problem)

    @work(thread=True, exclusive=True, group="vendor-form-edi", exit_on_error=False)
    def _read_edi(self) -> None:
        try:
            enabled, gln = read_vendor_edi(self.db, self.vendor.id)
        except database_faults() as exc:  # the save leaves them as they are (unless typed)
            said = f"EDI fields not read, a save keeps them: {plain(exc)}"
            self.app.call_from_thread(self.show_errors, {}, said)
            return
        self.app.call_from_thread(self._show_edi, enabled, gln)

    def _show_edi(self, enabled: bool, gln: str | None) -> None:
        if not self.is_mounted:
            return
        edited = self.dirty
        self.query_one("#edi_enabled", Checkbox).value = enabled
        self.query_one("#gln", Input).value = gln or ""
        self._edi_read = True
        if not edited:
            self.original = self.values()

    @on(Input.Submitted, "#supplier_account")
    def _account_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    # --- saving ------------------------------------------------------------------------------

    def action_save(self) -> None:
        if self.saving:
            return
        values = self.values()
        edi = {"edi_enabled": values.pop("edi_enabled"), "gln": values.pop("gln")}
        problems = check_vendor(**values)
        gln_problem = check_gln(edi["gln"], edi["edi_enabled"])
        if gln_problem:
            problems["gln"] = gln_problem
        if not self.show_errors(problems):
            return
        if not self.dirty:
            self.dismiss(None)
            return
        self.saving = True
        # EDI fields never read (the read failed, or has not come back) are not the vendor's:
        # saved only if the operator set them.
        typed = any(edi[field] != self.original[field] for field in edi)
        self._save(values, edi if self._edi_read or typed else None)

    @work(exclusive=True, group="vendor-form", exit_on_error=False)
    async def _save(self, values: dict[str, Any], edi: dict[str, Any] | None) -> None:
        try:
            include = False
            if values["auto_sync"] and not self.vendor.auto_sync:
                # The count now, not when the form opened: POs may have come in meanwhile.
                fresh = await asyncio.to_thread(read_vendor, self.db, self.vendor.id)
                n = fresh.open_pos_without_auto_sync
                if n:
                    pos = "the open purchase order" if n == 1 else f"the {n} open purchase orders"
                    question = f"Also auto-sync {pos} of {fresh.name}?"
                    include = bool(
                        await self.app.push_screen_wait(
                            Confirm(question, yes="Auto-sync them", no="Only new POs")
                        )
                    )
            changed = await asyncio.to_thread(  # one transaction: all of the form, or nothing
                save_vendor,
                self.db,
                self.vendor.id,
                include_open_pos=include,
                edi=(edi["edi_enabled"], edi["gln"]) if edi is not None else None,
                **values,
            )
        except (VendorInvalid, SetupInvalid) as exc:
            self.show_errors({exc.field: exc.message})
        except Exception as exc:  # noqa: BLE001 - shown to the operator; nothing was saved
            self.show_errors({}, f"Not saved: {plain(exc)}")
        else:
            self.dismiss(VendorSaved(self.vendor.id, self.vendor.code, tuple(changed)))
        finally:
            self.saving = False

    # --- live --------------------------------------------------------------------------------

    def on_changed(self, message: Changed) -> None:
        if message.kind != "vendor" or (message.ids and self.vendor.id not in message.ids):
            return
        if not self.saving:
            self._reread()

    @work(thread=True, exclusive=True, group="vendor-form-read", exit_on_error=False)
    def _reread(self) -> None:
        fresh = read_vendor(self.db, self.vendor.id)
        self.app.call_from_thread(self._changed_elsewhere, fresh)

    def _changed_elsewhere(self, fresh: VendorEdit) -> None:
        if fresh == self.vendor or self.saving or not self.is_mounted:
            return
        edited = self.dirty
        self.vendor = fresh
        if edited:
            note = "Changed elsewhere since you opened it: saving replaces those changes."
            elsewhere = self.query_one("#changed-elsewhere", Static)
            elsewhere.update(note)
            elsewhere.display = True
            return
        # Nothing typed yet: show the vendor as it is now.
        self.query_one("#integration", Select).value = fresh.integration.value
        self.query_one("#supplier_account", Input).value = fresh.supplier_account or ""
        self.query_one("#auto_sync", Checkbox).value = fresh.auto_sync
        self.query_one("#open-pos", Static).update(self._open_pos_note())
        self._show_auto_sync()
        self.original = self.values()
