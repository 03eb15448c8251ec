"""The partner registry: one declaration per partner, read by jobs, CLI, status and title bar."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from posync_tui import partners
from posync_tui.cli import app
from posync_tui.config import ConnectorSettings, Settings
from posync_tui.jobs import jobs_for, not_configured_line
from posync_tui.models import ConnectorState, utcnow
from posync_tui.partners import NotConfigured, Partner, Queue, Schedule
from posync_tui.runtime import Runtime
from posync_tui.services.status import connector_health, shell_counts
from tests.console import configured_settings
from tests.supplier_world import lease, make_world

runner = CliRunner()
ran: list[Runtime] = []


async def receive_stock(rt: Runtime, fence) -> str:
    ran.append(rt)
    return "3 receipts"


def wms_client(rt: Runtime) -> str:
    return f"client for {partners.address(rt, 'wms')}"


# A partner as a new one is declared: its own module would hold this.
WMS = Partner(
    name="wms",
    short="wms",
    client=wms_client,
    jobs=(Schedule("wms", receive_stock, interval=12),),
    queue=lambda rt: Queue(waiting=4, errors=1),
)


class WithWms(Settings):
    """The new partner's settings section (``config.Settings`` would hold it)."""

    wms: ConnectorSettings = ConnectorSettings()


def register(monkeypatch, *names: str) -> None:
    """The one registration line of each test partner."""
    monkeypatch.setattr(partners, "PARTNERS", [*partners.PARTNERS, *names])


def names(jobs) -> list[str]:
    return [job.name for job in jobs]


async def test_adding_a_partner_is_one_registration(db, monkeypatch):
    register(monkeypatch, "tests.test_partners:WMS")
    rt = Runtime(configured_settings(WithWms), db)

    assert partners.partner("wms") is WMS
    assert WMS.client(rt) == "client for http://wms.test"
    jobs = {job.name: job for job in jobs_for(rt)}
    assert list(jobs) == [
        "supplier",
        "quickbooks",
        "quickbooks-readback",
        "warehouse",
        "edi_hub",
        "p21",
        "wms",
    ]
    assert jobs["wms"].interval == 12 and jobs["supplier"].interval == 30
    assert await jobs["wms"].run(None) == "3 receipts" and ran[-1] is rt
    shorts = [row["short"] for row in connector_health(rt)]
    assert shorts == ["sup", "cat", "qbo", "ovo", "edi", "p21", "wms"]
    assert shell_counts(rt).queues["wms"] == Queue(waiting=4, errors=1)


def test_jobs_are_made_only_for_enabled_partners_with_a_base_url(db):
    assert jobs_for(Runtime(Settings(), db)) == []  # the default config: none has a base_url
    only_supplier = Settings(supplier={"base_url": "http://supplier.test"})
    assert names(jobs_for(Runtime(only_supplier, db))) == ["supplier"]
    disabled = configured_settings(quickbooks={"base_url": "http://qbo.test", "enabled": False})
    assert names(jobs_for(Runtime(disabled, db))) == ["supplier", "warehouse", "edi_hub", "p21"]
    assert names(jobs_for(Runtime(configured_settings(), db))) == [
        "supplier",
        "quickbooks",
        "quickbooks-readback",
        "warehouse",
        "edi_hub",
        "p21",
    ]


def test_in_the_demo_the_sandbox_is_the_address_of_the_partners_it_simulates(db):
    from connectors.sandbox.catalog import CatalogSandbox
    from connectors.sandbox.server import Sandbox
    from connectors.sandbox.supplier import SupplierSandbox

    sandbox = Sandbox([SupplierSandbox(), CatalogSandbox()])
    with sandbox.serve() as server:
        rt = Runtime(Settings(), db, sandbox=sandbox, sandbox_server=server)
        assert partners.address(rt, "supplier") == f"{server.url}/supplier"
        assert names(jobs_for(rt)) == ["supplier"]  # it does not simulate QuickBooks
        with pytest.raises(NotConfigured, match=r"\[quickbooks\] base_url"):
            partners.address(rt, "quickbooks")


def test_an_enabled_partner_without_a_base_url_is_not_configured_not_an_error(db):
    rt = Runtime(Settings(supplier={"base_url": "http://supplier.test"}), db)
    health = {row["name"]: row for row in connector_health(rt)}
    assert health["supplier"]["state"] == "not run yet"
    assert health["catalog"]["state"] == health["quickbooks"]["state"] == "not configured"
    assert health["quickbooks"]["config_line"] == '[quickbooks] base_url = "https://…"'
    line = not_configured_line(rt)
    assert "catalog, quickbooks" in line and "[catalog] base_url" in line
    assert "\n" not in line and "supplier" not in line
    assert not_configured_line(Runtime(configured_settings(), db)) is None


def test_health_states_come_from_connector_state(db):
    with db.session() as s:
        s.add(ConnectorState(name="supplier", consecutive_failures=2, last_error="timeout"))
        s.add(ConnectorState(name="quickbooks", last_success_at=utcnow()))
    health = {row["name"]: row for row in connector_health(Runtime(configured_settings(), db))}
    assert health["supplier"]["state"] == "failing" and health["supplier"]["failures"] == 2
    assert health["quickbooks"]["state"] == "ok"
    assert health["catalog"]["state"] == "not run yet" and not health["catalog"]["scheduled"]


# --- posync sync --once / posync worker --------------------------------------------------------


def use_database(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("POSYNC_DATABASE_URL", f"sqlite:///{tmp_path / 'ops.db'}")
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0


@pytest.mark.parametrize("command", [["sync", "--once"], ["worker"]])
def test_with_no_connector_configured_one_line_names_the_settings_and_exit_is_2(
    tmp_path, monkeypatch, command
):
    use_database(tmp_path, monkeypatch)
    result = runner.invoke(app, command)
    assert result.exit_code == 2
    (line,) = result.output.splitlines()
    assert line.startswith("not configured (skipped): supplier, catalog, quickbooks")
    assert "[supplier] base_url" in line and "[quickbooks] base_url" in line
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_sync_once_runs_the_configured_connectors_and_names_the_others(tmp_path, monkeypatch):
    from connectors.sandbox.server import Sandbox
    from connectors.sandbox.supplier import SupplierSandbox

    use_database(tmp_path, monkeypatch)
    with Sandbox([SupplierSandbox()]).serve() as server:
        monkeypatch.setenv("POSYNC_SUPPLIER__BASE_URL", f"{server.url}/supplier")
        result = runner.invoke(app, ["sync", "--once"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("not configured (skipped): catalog, quickbooks")
    assert lines[1:] == ["ok      supplier: No supplier changes"]


# --- the cloud catalog's health ----------------------------------------------------------------


@pytest.fixture
def world(db):
    yield from make_world(db)


def catalog_state(world) -> ConnectorState | None:
    with world.db.reader() as s:
        return s.get(ConnectorState, "catalog")


async def test_the_catalog_called_from_the_supplier_poll_has_its_health_recorded(world):
    from posync_tui.services.supplier_sync import poll

    po_id, order_no = world.make_po()
    world.catalog.add_product("NEW-1", "Sprocket", supplier_part_no="AC-300")
    world.supplier.add_line(order_no, "AC-300", 7, "2.40")
    await poll(world.rt, fence=lease(world.db))
    state = catalog_state(world)
    assert state.last_success_at is not None and state.consecutive_failures == 0

    world.catalog.faults.fail_next(20, status=503)
    world.supplier.add_line(order_no, "AC-301", 1, "1")
    await poll(world.rt, fence=lease(world.db))
    state = catalog_state(world)
    assert state.consecutive_failures == 1 and "503" in state.last_error
    (row,) = [r for r in connector_health(world.rt) if r["name"] == "catalog"]
    assert row["state"] == "failing" and "503" in row["last_error"]


async def test_a_poll_that_does_not_need_the_catalog_leaves_its_health_alone(world):
    from posync_tui.services.supplier_sync import poll

    world.make_po()
    await poll(world.rt, fence=lease(world.db))
    assert catalog_state(world) is None
