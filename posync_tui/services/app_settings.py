"""Application settings: what each one does, who may change it, and every change made.

Settings are switches an admin turns on or off for everyone (Recurrency seed: "This feature is
disabled by default. To enable it, an Admin should: Navigate to Settings → Purchasing
Automation ... Toggle the setting"). Admins are named in the configuration (``admins``: OS user
names, since each operator logs in over SSH as themselves); ``change`` refuses anyone else with
``NotAdmin`` — the screen shows the setting read-only too, but the rule lives here. Every change
is an audit entry (who, when, old, new), read back by ``history``.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session
from sqlmodel import col, select

from posync_tui.audit import Change, record
from posync_tui.config import Settings
from posync_tui.db import Database
from posync_tui.events import note_change
from posync_tui.models import AppSetting, AuditEntry, saved_id, utcnow

KIND = "app_setting"  # the audit entries' record kind, and the change kind screens watch


@dataclass(frozen=True)
class Definition:
    key: str
    section: str
    label: str
    help: str
    default: bool = False


LINK_BACKORDERS = Definition(
    "link_backorders_to_pos",
    "Purchasing Automation",
    "Link Backorders to POs",
    "When a PO is exported to Prophet 21, link each of its lines to backordered sales-order "
    "lines of the same item, oldest first (P21's oe_line_po). P21 users only.",
)
DEFINITIONS = (LINK_BACKORDERS,)


class NotAdmin(PermissionError):
    """The operator may not change application settings."""

    def __init__(self, user: str):
        super().__init__(
            f"Only an admin can change settings, and {user!r} is not one: an admin is named in "
            "the config file's admins list."
        )
        self.user = user


def current_user() -> str:
    """The operator at this console: the OS user (LOGNAME or USER override it, as for getpass)."""
    return getpass.getuser()


def is_admin(settings: Settings, user: str) -> bool:
    return user in settings.admins


@dataclass(frozen=True)
class SettingView:
    definition: Definition
    on: bool
    changed_at: datetime | None
    changed_by: str | None


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    by: str
    label: str
    old: str
    new: str


def _definition(key: str) -> Definition:
    for definition in DEFINITIONS:
        if definition.key == key:
            return definition
    raise KeyError(f"No setting named {key!r}")


def _as_bool(value: str | None, definition: Definition) -> bool:
    return definition.default if value is None else value == "on"


def _word(on: bool) -> str:
    return "on" if on else "off"


def is_on(session: Session, definition: Definition) -> bool:
    """The setting's value in the caller's transaction (e.g. a delivery's build)."""
    row = session.scalars(select(AppSetting).where(AppSetting.key == definition.key)).first()
    return _as_bool(row.value if row else None, definition)


def setting_on(db: Database, definition: Definition) -> bool:
    with db.reader() as s:
        return is_on(s, definition)


def list_settings(db: Database) -> list[SettingView]:
    """Every setting, in sections as the Settings screen shows them."""
    with db.reader() as s:
        rows = {row.key: row for row in s.scalars(select(AppSetting))}
    views = []
    for definition in DEFINITIONS:
        row = rows.get(definition.key)
        views.append(
            SettingView(
                definition,
                _as_bool(row.value if row else None, definition),
                row.updated_at if row else None,
                row.updated_by if row else None,
            )
        )
    return sorted(views, key=lambda v: v.definition.section)


def change(db: Database, settings: Settings, key: str, on: bool, *, user: str) -> bool:
    """Turn a setting on or off as ``user``; whether it changed. NotAdmin for a non-admin."""
    if not is_admin(settings, user):
        raise NotAdmin(user)
    definition = _definition(key)
    by = user[:40]  # AuditEntry.source and AppSetting.updated_by hold 40 characters
    with db.session() as s:
        row = s.scalars(select(AppSetting).where(AppSetting.key == key)).first()
        old = _as_bool(row.value if row else None, definition)
        if old == on:
            return False
        now = utcnow()
        if row is None:
            row = AppSetting(key=key, value=_word(on), updated_at=now, updated_by=by)
            s.add(row)
            s.flush()
        row.value, row.updated_at, row.updated_by = _word(on), now, by
        record(s, [Change(KIND, saved_id(row), key, _word(old), _word(on))], source=by, at=now)
        note_change(s, KIND, [saved_id(row)])
    return True


def history(db: Database, limit: int = 50) -> list[HistoryEntry]:
    """The latest changes of any setting, newest first."""
    labels = {d.key: d.label for d in DEFINITIONS}
    with db.reader() as s:
        entries = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.record_kind == KIND)
            .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
            .limit(limit)
        ).all()
    return [
        HistoryEntry(
            e.at, e.source, labels.get(e.field, e.field), e.old_value or "", e.new_value or ""
        )
        for e in entries
    ]
