"""The `posync` command as an operator uses it."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from posync_tui.cli import app
from tests.test_database import old_database

runner = CliRunner()


def test_config_show_masks_every_secret(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text(
        '[supplier]\napi_key = "supplier-key-123"\n'
        '[quickbooks]\nclient_id = "ABC"\nclient_secret = "very-secret"\n'
        'refresh_token = "rt-1"\n'
    )
    result = runner.invoke(app, ["--config", str(config), "config", "show"])
    assert result.exit_code == 0, result.output
    assert "supplier-key-123" not in result.output
    assert "very-secret" not in result.output and "rt-1" not in result.output
    shown = json.loads(result.output.split("\n", 1)[1])
    assert shown["quickbooks"]["client_secret"] == "********"
    assert shown["quickbooks"]["client_id"] == "ABC"


def test_an_invalid_config_gives_one_clear_line_per_problem(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("[supplier]\npoll_interval = -5\n[quickbooks]\nminor_version = 0\n")
    result = runner.invoke(app, ["--config", str(config), "config", "show"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.startswith("config error")]
    assert len(lines) == 2
    assert "supplier.poll_interval" in lines[0] and str(config) in lines[0]
    assert "quickbooks.minor_version" in lines[1]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("qualifiers", ["[]", '["113", "not a code"]'])
def test_the_edi_confirmed_qualifiers_must_be_edifact_codes(tmp_path, qualifiers):
    config = tmp_path / "config.toml"
    config.write_text(f"[edi]\nconfirmed_qualifiers = {qualifiers}\n")
    result = runner.invoke(app, ["--config", str(config), "config", "show"])
    assert result.exit_code == 2
    assert "edi.confirmed_qualifiers" in result.output


def test_environment_overrides_the_file(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text("[supplier]\npoll_interval = 60\n")
    monkeypatch.setenv("POSYNC_SUPPLIER__POLL_INTERVAL", "7")
    result = runner.invoke(app, ["--config", str(config), "config", "show"])
    assert json.loads(result.output.split("\n", 1)[1])["supplier"]["poll_interval"] == 7.0


def test_db_upgrade_brings_a_new_database_to_the_head(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    monkeypatch.setenv("POSYNC_DATABASE_URL", url)
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "empty" in result.output

    from posync_tui.db import Database

    current, head = Database(url).schema_versions()
    assert current == head


def test_commands_refuse_an_out_of_date_schema_and_name_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("POSYNC_DATABASE_URL", old_database(tmp_path / "old.db"))
    result = runner.invoke(app, ["seed", "--pos", "1"])
    assert result.exit_code == 2
    assert "posync db upgrade" in result.output


def test_seed_on_a_fresh_install_creates_the_database_at_the_current_schema(tmp_path, monkeypatch):
    monkeypatch.setenv("POSYNC_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    result = runner.invoke(app, ["seed", "--pos", "2"])
    assert result.exit_code == 0, result.output
    assert "seeded 2 POs" in result.output


def test_sync_once_on_a_fresh_install_does_not_stop_at_the_schema(tmp_path, monkeypatch):
    monkeypatch.setenv("POSYNC_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    result = runner.invoke(app, ["sync", "--once"])
    assert "schema" not in result.output
    from posync_tui.db import Database

    current, head = Database(f"sqlite:///{tmp_path / 'new.db'}").schema_versions()
    assert current == head


@pytest.mark.parametrize(
    "args, env",
    [
        (["sync", "--once", "--json"], {"POSYNC_DATABASE_URL": "mysql://posync:hunter2@db/po"}),
        (["sync", "--once", "--json", "--connector", "nope"], {}),
        (["sync", "--json"], {}),
        (["sync", "--once", "--json"], {"POSYNC_SUPPLIER__POLL_INTERVAL": "-5"}),
        (["sync", "--once", "--json"], {"OLD": "1"}),
    ],
    ids=["bad url", "unknown connector", "no --once", "bad config", "old schema"],
)
def test_sync_json_stays_json_on_every_error(args, env, tmp_path, monkeypatch):
    monkeypatch.setenv("POSYNC_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    if env.pop("OLD", None):
        monkeypatch.setenv("POSYNC_DATABASE_URL", old_database(tmp_path / "old.db"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    answer = json.loads(result.stdout)
    assert answer["ok"] is False and answer["error"]
    assert "hunter2" not in result.stdout


def test_sync_once_summarises_each_connector_and_fails_when_one_fails(tmp_path, monkeypatch):
    from connectors.sandbox.catalog import CatalogSandbox
    from connectors.sandbox.server import Sandbox
    from connectors.sandbox.supplier import SupplierSandbox

    supplier = SupplierSandbox()
    with Sandbox([supplier, CatalogSandbox()]).serve() as server:
        monkeypatch.setenv("POSYNC_DATABASE_URL", f"sqlite:///{tmp_path / 'ops.db'}")
        monkeypatch.setenv("POSYNC_SUPPLIER__BASE_URL", f"{server.url}/supplier")
        monkeypatch.setenv("POSYNC_CATALOG__BASE_URL", f"{server.url}/catalog")
        monkeypatch.setenv("POSYNC_QUICKBOOKS__ENABLED", "false")
        monkeypatch.setenv("POSYNC_P21__ENABLED", "false")
        monkeypatch.setenv("POSYNC_EDI__ENABLED", "false")
        monkeypatch.setenv("POSYNC_WAREHOUSE__ENABLED", "false")
        assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0

        result = runner.invoke(app, ["sync", "--once", "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["supplier"]["ok"] is True

        supplier.faults.fail_next(10, status=503)
        result = runner.invoke(app, ["sync", "--once"])
        assert result.exit_code == 1
        assert "FAILED  supplier" in result.output and "503" in result.output


# --- failures the operator can fix: one line on stderr, a non-zero exit, no traceback -------


def _refusing_postgres_url() -> str:
    # A port that was free a moment ago: the connection is refused at once.
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"postgresql://posync:hunter2@127.0.0.1:{port}/posync"


def _one_line_failure(result, exit_code: int = 1) -> str:
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


DATABASE_COMMANDS = [["db", "upgrade"], ["sync", "--once"], ["worker"]]


@pytest.mark.parametrize("command", DATABASE_COMMANDS, ids=" ".join)
def test_an_unreachable_database_is_one_line(command, monkeypatch):
    monkeypatch.setenv("POSYNC_DATABASE_URL", _refusing_postgres_url())
    line = _one_line_failure(runner.invoke(app, command))
    assert line.startswith("database error:") and "refused" in line


@pytest.mark.parametrize("url", ["mysql://posync:hunter2@db/po", "not a url", "postgresql://h:x/"])
@pytest.mark.parametrize("command", DATABASE_COMMANDS, ids=" ".join)
def test_an_unsupported_database_url_is_one_line_without_its_password(command, url, monkeypatch):
    monkeypatch.setenv("POSYNC_DATABASE_URL", url)
    line = _one_line_failure(runner.invoke(app, command))
    assert line.startswith("unsupported database URL") and "hunter2" not in line


@pytest.mark.parametrize("command", [*DATABASE_COMMANDS, ["config", "show"]], ids=" ".join)
def test_a_data_directory_that_is_a_file_is_one_line(command, tmp_path, monkeypatch):
    (tmp_path / "data").write_text("not a directory")
    line = _one_line_failure(runner.invoke(app, command))
    assert (
        line
        == f"cannot use {tmp_path / 'data'}: the data directory is a file (set POSYNC_DATA_DIR)"
    )


@pytest.mark.parametrize("command", [["sync", "--once"], ["worker"]], ids=" ".join)
def test_an_old_schema_is_one_line_naming_the_fix(command, tmp_path, monkeypatch):
    monkeypatch.setenv("POSYNC_DATABASE_URL", old_database(tmp_path / "old.db"))
    line = _one_line_failure(runner.invoke(app, command), exit_code=2)
    assert line.endswith("Run: posync db upgrade")


@pytest.fixture
def full_disk():
    """SQLite runs out of room at once: it answers SQLITE_FULL, as on a full disk."""
    from sqlalchemy import Engine, event

    def cap(dbapi_conn, _record):
        dbapi_conn.execute("PRAGMA max_page_count = 1")

    event.listen(Engine, "connect", cap)
    yield
    event.remove(Engine, "connect", cap)


def test_a_full_disk_is_one_line(full_disk, tmp_path, monkeypatch):
    monkeypatch.setenv("POSYNC_DATABASE_URL", f"sqlite:///{tmp_path / 'ops.db'}")
    line = _one_line_failure(runner.invoke(app, ["db", "upgrade"]))
    assert line == "the database's disk is full"


def test_config_show_masks_the_password_in_the_database_url(monkeypatch):
    monkeypatch.setenv("POSYNC_DATABASE_URL", "postgresql://posync:hunter2@db.example/po")
    result = runner.invoke(app, ["config", "show"])
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.output
    shown = json.loads(result.output.split("\n", 1)[1])
    assert shown["database_url"] == "postgresql://posync:***@db.example/po"


@pytest.mark.parametrize("value", ["123456", '{ key = "s3cr3t-in-a-table" }', '["s3cr3t-x"]'])
def test_a_secret_of_the_wrong_type_is_not_repeated_in_the_error(value, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f"[supplier]\napi_key = {value}\n[quickbooks]\nclient_secret = {value}\n")
    result = runner.invoke(app, ["--config", str(config), "config", "show"])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert [line.split(": ")[2] for line in lines] == [
        "supplier.api_key (or POSYNC_SUPPLIER__API_KEY)",
        "quickbooks.client_secret (or POSYNC_QUICKBOOKS__CLIENT_SECRET)",
    ]
    for secret in ("123456", "s3cr3t"):
        assert secret not in result.output


# --- the console (`posync`, `posync demo`): "cannot start" is one line and exit code 1 ---------


@pytest.fixture
def start_console(monkeypatch, capsys):
    """``console.run`` as ``posync`` calls it, headless; its exit code and what it said."""
    from functools import partialmethod

    from textual.app import App

    from posync_tui import console
    from posync_tui.app import PosyncApp

    monkeypatch.setattr(PosyncApp, "run", partialmethod(App.run, headless=True))

    def start(**kw) -> tuple[int, list[str]]:
        code = console.run(**kw)
        captured = capsys.readouterr()
        assert "Traceback" not in captured.out + captured.err
        return code, captured.err.splitlines()

    return start


def test_the_console_cannot_start_on_an_unreachable_database(start_console, monkeypatch):
    monkeypatch.setenv("POSYNC_DATABASE_URL", _refusing_postgres_url())
    code, said = start_console()
    assert code == 1
    assert len(said) == 1 and said[0].startswith("database error:") and "refused" in said[0]


def test_the_console_cannot_start_on_an_unsupported_database_url(start_console, monkeypatch):
    monkeypatch.setenv("POSYNC_DATABASE_URL", "mysql://posync:hunter2@db/po")
    assert start_console() == (1, [_one_unsupported("mysql://posync:***@db/po")])


def _one_unsupported(url: str) -> str:
    return (
        f"unsupported database URL {url}: posync uses "
        "sqlite:///<file> or postgresql://<user>:<password>@<host>/<database>"
    )


def test_the_console_cannot_start_on_an_old_schema(start_console, tmp_path, monkeypatch):
    monkeypatch.setenv("POSYNC_DATABASE_URL", old_database(tmp_path / "old.db"))
    code, said = start_console()
    assert code == 1
    assert len(said) == 1 and said[0].endswith("Run: posync db upgrade")


@pytest.mark.parametrize("demo", [False, True], ids=["posync", "posync demo"])
def test_the_console_cannot_start_in_a_data_directory_that_is_a_file(demo, start_console, tmp_path):
    (tmp_path / "data").write_text("not a directory")
    code, said = start_console(demo=demo)
    assert code == 1
    assert said == [
        f"cannot use {tmp_path / 'data'}: the data directory is a file (set POSYNC_DATA_DIR)"
    ]


def test_the_demo_cannot_start_on_a_full_disk(full_disk, start_console):
    assert start_console(demo=True) == (1, ["the database's disk is full"])


def test_the_cannot_start_message_shows_markup_and_controls_as_text(start_console, monkeypatch):
    monkeypatch.setenv("POSYNC_DATABASE_URL", "mysql://db/po[/]\x1b]0;pwned\x07")
    assert start_console() == (1, [_one_unsupported("mysql://db/po[/]␛]0;pwned␇")])
