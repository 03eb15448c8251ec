"""The divisions' "Enable Warehouse Interface" flags (Ovotrack seed: "The flag will need to be set
in 2 places. First is the Division Master"): one box per division, saved with ctrl+s."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content

from posync_tui.failures import plain
from screens.form import FormScreen, Tick
from screens.key_bar import KeyBar
from screens.safe_text import safe

if TYPE_CHECKING:
    from posync_tui.db import Database
    from posync_tui.services.customer_locations import DivisionFlag


class DivisionFlags(FormScreen[int | None]):
    def __init__(self, db: Database, flags: list[DivisionFlag]):
        super().__init__()
        self.db = db
        self.flags = flags

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as box:
            box.border_title = Content("Divisions › Enable Warehouse Interface")
            for flag in self.flags:
                label = safe(f"{flag.code}  {flag.name}", one_line=True)
                yield Tick(label, flag.warehouse_interface, compact=True, id=f"division-{flag.id}")
            yield from self.buttons()
        yield KeyBar()

    def on_mount(self) -> None:
        self.original = self.values()
        if self.flags:
            self.query_one(f"#division-{self.flags[0].id}", Tick).focus()

    def values(self) -> dict[str, Any]:
        return {str(f.id): self.query_one(f"#division-{f.id}", Tick).value for f in self.flags}

    def action_save(self) -> None:
        if not self.saving:
            self.saving = True
            self._save({int(k): v for k, v in self.values().items()})

    @work(exclusive=True, group="division-flags-save", exit_on_error=False)
    async def _save(self, flags: dict[int, bool]) -> None:
        from posync_tui.services.customer_locations import set_division_flags

        try:
            changed = await asyncio.to_thread(set_division_flags, self.db, flags)
        except Exception as exc:  # noqa: BLE001 - shown; nothing was saved
            self.show_errors({}, f"Not saved: {plain(exc)}")
            return
        finally:
            self.saving = False
        self.dismiss(changed)
