"""The `posync` command as an operator uses it."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from posync_tui.cli import app

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
    monkeypatch.setenv("POSYNC_DATABASE_URL", f"sqlite:///{tmp_path / 'old.db'}")
    result = runner.invoke(app, ["seed", "--pos", "1"])
    assert result.exit_code == 2
    assert "posync db upgrade" in result.output


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
        assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0

        result = runner.invoke(app, ["sync", "--once", "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["supplier"]["ok"] is True

        supplier.faults.fail_next(10, status=503)
        result = runner.invoke(app, ["sync", "--once"])
        assert result.exit_code == 1
        assert "FAILED  supplier" in result.output and "503" in result.output
