"""Start-up: the PO list's first page is read before the settings, the ORM and the partners."""

from __future__ import annotations

import sys
import threading

import pytest

from posync_tui import paths, po_tables, sqltypes
from posync_tui.app import PosyncApp
from posync_tui.config import load_settings
from posync_tui.runtime import Runtime
from posync_tui.seed import seed_bulk
from tests.console import settled


@pytest.mark.parametrize("table", ["PURCHASE_ORDER", "PURCHASE_ORDER_LINE", "ITEM", "VENDOR"])
def test_the_po_lists_core_tables_match_the_models(table):
    from sqlmodel import SQLModel

    import posync_tui.models  # noqa: F401  (registers the models' tables)

    light = getattr(po_tables, table)
    model = SQLModel.metadata.tables[light.name]
    for column in light.columns:
        assert column.name in model.c, f"{light.name}.{column.name} is not a model column"
        expected = model.c[column.name].type
        if type(expected).__module__ == sqltypes.__name__:  # money and times: the same type
            assert type(column.type) is type(expected), f"{light.name}.{column.name}"
        else:
            assert column.type._type_affinity is expected._type_affinity, (
                f"{light.name}.{column.name}: {column.type!r} vs {expected!r}"
            )


def test_the_po_list_reads_without_the_orm_models():
    code = (
        "import sys; import posync_tui.services.po_list as p, posync_tui.services.po_search;"
        "p._schema(); bad = [m for m in sys.modules if m.startswith(('sqlmodel', 'pydantic',"
        " 'posync_tui.models', 'posync_tui.config'))]; print(bad); sys.exit(1 if bad else 0)"
    )
    import subprocess

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    "file_text, env, expected",
    [
        (None, None, "default"),
        (
            'database_url = "sqlite:////srv/posync/shared.db"\n',
            None,
            "sqlite:////srv/posync/shared.db",
        ),
        ('database_url = ""\n[supplier]\nenabled = true\n', None, "default"),
        ('database_url = "sqlite:////a.db"\n', "postgresql://pg/posync", "postgresql://pg/posync"),
        (None, "", "default"),
    ],
)
def test_the_quick_database_url_is_the_one_the_settings_resolve(
    tmp_path, monkeypatch, file_text, env, expected
):
    config = tmp_path / "config.toml"
    if file_text is not None:
        config.write_text(file_text)
    monkeypatch.setenv("POSYNC_CONFIG", str(config))
    monkeypatch.delenv("POSYNC_DATABASE_URL", raising=False)
    if env is not None:
        monkeypatch.setenv("POSYNC_DATABASE_URL", env)
    quick = paths.database_url()
    assert quick == load_settings().resolved_database_url()
    assert quick == (paths.default_database_url() if expected == "default" else expected)


def test_a_config_file_that_is_not_plain_toml_leaves_the_url_to_the_settings(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("database_url = [not toml\n")
    assert paths.database_url(config) is None
    assert paths.database_url(tmp_path / "missing.toml") is None  # named but absent


async def test_the_first_page_of_pos_shows_while_the_runtime_still_loads(db):
    seed_bulk(db, pos=120, lines_per_po=1, vendors=3, items=5)
    release = threading.Event()

    def load(opened):
        assert opened is db
        release.wait(10)  # the settings, ORM and partners are still loading
        return Runtime(settings=load_settings(), db=opened)

    app = PosyncApp(load, open_database=lambda: db, watch_other_processes=False)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(100):
            await pilot.pause(0.02)
            table = app.screen.body.table
            if table.row_count:
                break
        assert app.runtime is None
        assert table.row_count == 120 and table.cursor_key is not None
        assert "PO-0000001" in table.render_line(1).text
        await pilot.press("down", "down")
        release.set()
        await settled(pilot)
        assert app.runtime is not None and app.runtime.db is db
        assert table.cursor == 2  # the list kept its place when the runtime arrived
