"""Settings: application settings by section, who may change them, and every change made.

A body widget the shell mounts (``attach``/``on_change``). An admin (named in the config file's
``admins``) turns the setting under the cursor on or off with ``space`` (or enter), after a
confirmation; anyone else sees the settings read-only with the reason (the service refuses them
too). The change history below reads who changed what, when, from what to what.
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
from textual.widgets import DataTable, Static

from posync_tui import timefmt
from posync_tui.failures import plain
from screens.confirm import Confirm
from screens.safe_text import safe

if TYPE_CHECKING:
    from posync_tui.events import Change
    from posync_tui.runtime import Runtime
    from posync_tui.services.app_settings import HistoryEntry, SettingView


class SettingsBody(Vertical):
    DEFAULT_CSS = """
    SettingsBody { height: 1fr; }
    SettingsBody #settings { height: auto; max-height: 8; }
    SettingsBody #about, SettingsBody #who { height: auto; padding: 0 1; color: $text-muted; }
    SettingsBody #who.-read-only { color: $warning; text-style: bold; }
    SettingsBody #history-title { height: 1; padding: 0 1; margin-top: 1; text-style: bold; }
    SettingsBody #history { height: 1fr; }
    """
    BINDINGS = [Binding("space", "toggle", "Turn on/off")]

    @dataclass
    class _Read(Message):
        user: str
        admin: bool
        settings: list[SettingView]
        history: list[HistoryEntry]

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.rt: Runtime | None = None
        self.user = ""
        self.admin = False
        self.settings: list[SettingView] = []

    def compose(self) -> ComposeResult:
        yield DataTable(id="settings", cursor_type="row", zebra_stripes=False)
        yield Static(id="about")
        yield Static(id="who")
        yield Static("Change history", id="history-title")
        yield DataTable(id="history", cursor_type="row", zebra_stripes=False)

    def on_mount(self) -> None:
        settings = self.query_one("#settings", DataTable)
        settings.add_column("Section", key="section", width=22)
        settings.add_column("Setting", key="label", width=23)
        settings.add_column("Value", key="value", width=5)
        settings.add_column("Changed", key="changed", width=20)
        history = self.query_one("#history", DataTable)
        for key, label, width in (
            ("at", "When", 16),
            ("by", "Who", 10),
            ("setting", "Setting", 24),
            ("change", "Change", 12),
        ):
            history.add_column(label, key=key, width=width)

    def attach(self, rt: Runtime) -> None:
        self.rt = rt
        self.load()

    def on_change(self, change: Change) -> None:
        from posync_tui.services.app_settings import KIND

        if change.kind == KIND:
            self.load()

    def focus_table(self) -> None:
        self.query_one("#settings", DataTable).focus()

    @work(thread=True, exclusive=True, group="settings-read", exit_on_error=False)
    def load(self) -> None:
        from posync_tui.services import app_settings

        rt = self.rt
        assert rt is not None  # attached first
        user = app_settings.current_user()
        self.post_message(
            self._Read(
                user,
                app_settings.is_admin(rt.settings, user),
                app_settings.list_settings(rt.db),
                app_settings.history(rt.db),
            )
        )

    @on(_Read)
    def _show(self, message: _Read) -> None:
        self.user, self.admin, self.settings = message.user, message.admin, message.settings
        table = self.query_one("#settings", DataTable)
        row = table.cursor_row
        table.clear()
        for view in message.settings:
            changed = ""
            if view.changed_at is not None:
                changed = f"{timefmt.local(view.changed_at)} {view.changed_by}"
            table.add_row(
                view.definition.section,
                view.definition.label,
                Content.styled("on", "bold") if view.on else Content("off"),
                safe(changed, one_line=True),
                key=view.definition.key,
            )
        if message.settings:
            table.move_cursor(row=min(row, len(message.settings) - 1))
        self._describe()
        who = self.query_one("#who", Static)
        if message.admin:
            who.update(safe(f"You ({message.user}) are an admin: space turns a setting on or off."))
        else:
            who.update(
                safe(
                    f"Read-only: only an admin can change settings, and you ({message.user}) are "
                    "not one. Admins are named in the config file (admins = [...])."
                )
            )
        who.set_class(not message.admin, "-read-only")
        history = self.query_one("#history", DataTable)
        history.clear()
        for entry in message.history:
            history.add_row(
                timefmt.local(entry.at),
                safe(entry.by, one_line=True),
                entry.label,
                f"{entry.old} → {entry.new}",
            )

    @on(DataTable.RowHighlighted, "#settings")
    def _highlighted(self) -> None:
        self._describe()

    def _describe(self) -> None:
        view = self._cursor_setting()
        about = self.query_one("#about", Static)
        about.update("" if view is None else view.definition.help)

    def _cursor_setting(self) -> SettingView | None:
        table = self.query_one("#settings", DataTable)
        if not self.settings or table.cursor_row >= len(self.settings):
            return None
        return self.settings[table.cursor_row]

    @on(DataTable.RowSelected, "#settings")
    def _selected(self) -> None:
        self.action_toggle()

    def action_toggle(self) -> None:
        view = self._cursor_setting()
        if view is None or self.rt is None:
            return
        if not self.admin:
            self.app.notify(
                safe(f"Only an admin can change settings; {self.user} is not one."),
                severity="warning",
            )
            return
        turn = "off" if view.on else "on"
        question = f"Turn {turn} {view.definition.label} for everyone?"

        def answered(yes: bool | None) -> None:
            if yes:
                self._change(view.definition.key, not view.on)

        self.app.push_screen(Confirm(question, yes=f"Turn {turn}"), answered)

    @work(thread=True, group="settings-change", exit_on_error=False)
    def _change(self, key: str, on: bool) -> None:
        from posync_tui.services import app_settings

        assert self.rt is not None
        try:
            app_settings.change(self.rt.db, self.rt.settings, key, on, user=self.user)
        except app_settings.NotAdmin as exc:
            self.app.call_from_thread(self.app.notify, safe(str(exc)), severity="error")
            return
        except Exception as exc:  # noqa: BLE001 - shown to the operator; nothing changed
            self.app.call_from_thread(
                self.app.notify, f"Not changed: {plain(exc)}", severity="error"
            )
            return
        self.load()
