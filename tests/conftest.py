"""Shared fixtures: an isolated user directory and a migrated SQLite database per test."""

from __future__ import annotations

import pytest

from posync_tui.db import Database

pytest_plugins = ["tests.pg"]


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path, monkeypatch):
    """Never read the developer's own config or data directory."""
    monkeypatch.setenv("POSYNC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("POSYNC_CONFIG", str(tmp_path / "config.toml"))
    for name in list(__import__("os").environ):
        if name.startswith("POSYNC_") and name not in ("POSYNC_DATA_DIR", "POSYNC_CONFIG"):
            monkeypatch.delenv(name)


@pytest.fixture
def db(tmp_path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'posync.db'}")
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture
def local_time_utc(monkeypatch):
    """Local time is UTC, so that times shown in snapshots do not move with the machine."""
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
