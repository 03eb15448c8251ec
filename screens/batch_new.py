"""New Batch: the Last Modified date/time, then Import/Create Batch (Ovotrack seed).

"Make sure you enter a date/time in the Last Modified field BEFORE the day/time you created the
order. Ex: If you created the order on 8/1, you would want to set the date to 7/31." The field
starts at yesterday. A date that is not one is refused at the field as it is typed; a valid one
is checked in a thread against the eligible lines it would miss, and the warning under the field
names them and the date to set instead. ctrl+s (or enter) imports: with lines to be missed it
asks first. Dismisses with the new batch's id (None: nothing staged, or cancelled).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Static

from posync_tui.failures import plain
from screens.confirm import Confirm
from screens.form import FieldError, FormScreen
from screens.key_bar import KeyBar
from screens.safe_text import VISIBLE, safe

if TYPE_CHECKING:
    from posync_tui.db import Database
    from posync_tui.services.warehouse_batches import Missed

FORMATS = "2026-07-31, 7/31 or 7/31/2026 14:00 (local time)"


class NewBatch(FormScreen[int | None]):
    DEFAULT_CSS = """
    NewBatch #missed { color: $warning; height: auto; margin-left: 22; }
    NewBatch #import-note { height: auto; margin-top: 1; color: $text-muted; }
    """

    @dataclass
    class _Checked(Message):
        text: str
        missed: Missed | None

    def __init__(self, db: Database, *, now: datetime | None = None):
        super().__init__()
        self.db = db
        self.now = now
        self.missed: Missed | None = None
        self._checked_text: str | None = None

    def compose(self) -> ComposeResult:
        yesterday = (datetime.now().astimezone() - timedelta(days=1)).strftime("%Y-%m-%d")
        with Vertical(id="dialog") as box:
            box.border_title = Content("New Batch › Customer Order Sync")
            yield from self.field(
                "Last Modified",
                Input(yesterday, compact=True, highlighter=VISIBLE, id="last_modified"),
            )
            yield Static("", id="missed")
            yield Static(
                f"Stages every customer order line marked Send and modified after this date/time. "
                f"Set it BEFORE the orders were made (made on 8/1? set 7/31). {FORMATS}.",
                id="import-note",
            )
            yield from self.buttons()
        yield KeyBar()

    def on_mount(self) -> None:
        self.original = self.values()
        self.query_one("#save").label = "Import/Create Batch (ctrl+s)"
        self.query_one("#last_modified", Input).focus()
        self._check(self.values()["last_modified"])

    def values(self) -> dict[str, Any]:
        return {"last_modified": self.query_one("#last_modified", Input).value.strip()}

    def _parse(self, text: str) -> datetime:
        from posync_tui.services.warehouse_batches import parse_last_modified

        return parse_last_modified(text, now=self.now)

    # --- checking as it is typed ----------------------------------------------------------------

    @on(Input.Changed, "#last_modified")
    def _changed(self, event: Input.Changed) -> None:
        self._check(event.value.strip())

    def _check(self, text: str) -> None:
        error = self.query_one("#last_modified-error", FieldError)
        self.query_one("#form-error", FieldError).show(None)
        try:
            when = self._parse(text)
        except ValueError as exc:
            error.show(str(exc))
            self._show_missed(text, None)
            return
        error.show(None)
        self._read_missed(text, when)

    @work(thread=True, exclusive=True, exit_on_error=False, group="new-batch-missed")
    def _read_missed(self, text: str, when: datetime) -> None:
        from posync_tui.services.warehouse_batches import missed

        self.post_message(self._Checked(text, missed(self.db, when)))

    @on(_Checked)
    def _checked(self, message: _Checked) -> None:
        if message.text == self.values()["last_modified"]:  # else typed on since
            self._show_missed(message.text, message.missed)

    def _show_missed(self, text: str, missed: Missed | None) -> None:
        self.missed, self._checked_text = missed, text
        self.query_one("#missed", Static).update(
            safe(f"⚠ {missed.message}") if missed is not None else ""
        )

    @on(Input.Submitted, "#last_modified")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    # --- importing ------------------------------------------------------------------------------

    def action_save(self) -> None:
        if self.saving:
            return
        text = self.values()["last_modified"]
        try:
            when = self._parse(text)
        except ValueError as exc:
            self.show_errors({"last_modified": str(exc)})
            return
        if self._checked_text != text:
            return  # the lines it would miss are still being counted: the warning comes first
        if self.missed is None:
            self._import(when)
            return

        def answered(anyway: bool | None) -> None:
            if anyway:
                self._import(when)

        question = f"{self.missed.message}\n\nImport/Create the batch anyway?"
        self.app.push_screen(Confirm(question, yes="Import", no="Change date"), answered)

    @work(exclusive=True, group="new-batch-import", exit_on_error=False)
    async def _import(self, when: datetime) -> None:
        from posync_tui.services.warehouse_batches import import_batch

        self.saving = True
        self.query_one("#import-note", Static).update("Importing…")
        try:
            result = await asyncio.to_thread(import_batch, self.db, when)
        except Exception as exc:  # noqa: BLE001 - shown to the operator; nothing was staged
            self.show_errors({}, f"Not imported: {plain(exc)}")
            return
        finally:
            self.saving = False
        severity = "information" if result.batch_id is not None else "warning"
        self.app.notify(not_staged_words(result), title="Import/Create Batch", severity=severity)
        self.dismiss(result.batch_id)


SHOWN_NOT_STAGED = 3


def not_staged_words(result) -> str:
    """The import's summary, then why the first lines left out were not eligible."""
    lines = [result.summary]
    for each in result.not_staged[:SHOWN_NOT_STAGED]:
        lines.append(f"{each.order_no}/{each.line_no}: {each.message}")
    if len(result.not_staged) > SHOWN_NOT_STAGED:
        lines.append(
            f"… and {len(result.not_staged) - SHOWN_NOT_STAGED:,} more (Customer orders tab)"
        )
    return "\n".join(lines)
