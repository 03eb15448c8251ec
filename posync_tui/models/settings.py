"""Application settings an admin turns on or off in the console (e.g. Purchasing Automation).

One row per setting that was ever changed; a setting without a row has its default. Every
change is also an audit entry (who, when, old, new): ``services.app_settings``.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from posync_tui.models.core import TableModel, timestamp


class AppSetting(TableModel, table=True):
    __tablename__ = "app_setting"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=60)
    value: str = Field(max_length=200)
    updated_at: datetime = timestamp(default_now=True)
    updated_by: str = Field(max_length=40)
