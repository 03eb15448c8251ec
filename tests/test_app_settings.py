"""Application settings: off by default, only an admin changes them, every change recorded."""

from __future__ import annotations

import pytest

from posync_tui.config import Settings
from posync_tui.services import app_settings
from posync_tui.services.app_settings import LINK_BACKORDERS, NotAdmin

KEY = LINK_BACKORDERS.key


def test_link_backorders_to_pos_is_off_by_default_under_purchasing_automation(any_db):
    (view,) = [v for v in app_settings.list_settings(any_db) if v.definition.key == KEY]
    assert view.definition.section == "Purchasing Automation"
    assert view.definition.label == "Link Backorders to POs"
    assert view.on is False and view.changed_by is None
    assert app_settings.setting_on(any_db, LINK_BACKORDERS) is False


def test_an_admin_turns_it_on_and_the_change_is_recorded(any_db):
    settings = Settings(admins=["ana"])
    assert app_settings.change(any_db, settings, KEY, True, user="ana") is True
    assert app_settings.setting_on(any_db, LINK_BACKORDERS) is True
    assert app_settings.change(any_db, settings, KEY, True, user="ana") is False  # no change
    app_settings.change(any_db, settings, KEY, False, user="ana")
    history = app_settings.history(any_db)
    assert [(h.by, h.label, h.old, h.new) for h in history] == [
        ("ana", "Link Backorders to POs", "on", "off"),
        ("ana", "Link Backorders to POs", "off", "on"),
    ]
    assert history[0].at >= history[1].at
    (view,) = app_settings.list_settings(any_db)
    assert view.on is False and view.changed_by == "ana" and view.changed_at == history[0].at


def test_the_service_refuses_a_change_from_anyone_not_named_an_admin(any_db):
    settings = Settings(admins=["ana"])
    with pytest.raises(NotAdmin, match="'bob' is not one"):
        app_settings.change(any_db, settings, KEY, True, user="bob")
    with pytest.raises(NotAdmin):
        app_settings.change(any_db, Settings(), KEY, True, user="ana")  # no admins at all
    assert app_settings.setting_on(any_db, LINK_BACKORDERS) is False
    assert app_settings.history(any_db) == []


def test_the_operator_is_the_os_user(monkeypatch):
    monkeypatch.setenv("LOGNAME", "carla")
    assert app_settings.current_user() == "carla"
