from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlmodel import select

from posync_tui.db import SCHEMA_HEAD, Database, SchemaOutOfDate
from posync_tui.events import Change
from posync_tui.models import ChangeLogEntry, PurchaseOrder, Vendor


def old_database(path) -> str:
    """A database made by an older posync: tables, and a schema revision before the head."""
    url = f"sqlite:///{path}"
    database = Database(url)
    database.upgrade()
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    database.dispose()
    return url


def test_an_empty_database_is_created_at_the_current_schema_on_first_use(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'new.db'}")
    database.open_schema()
    current, head = database.schema_versions()
    assert current == head
    database.open_schema()  # and the second use finds it ready


def test_an_old_database_is_refused_with_the_command_to_run(tmp_path):
    database = Database(old_database(tmp_path / "old.db"))
    with pytest.raises(SchemaOutOfDate, match="at 0000.*posync db upgrade"):
        database.open_schema()
    assert database.schema_versions()[0] == "0000"  # never upgraded behind the operator's back


def test_the_quick_schema_check_knows_the_newest_migration(tmp_path):
    from posync_tui.db import SCHEMA_HEAD

    _, head = Database(f"sqlite:///{tmp_path / 'new.db'}").schema_versions()
    assert head == SCHEMA_HEAD


def test_upgrade_from_empty_reaches_the_head(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'new.db'}")
    database.upgrade()
    current, head = database.schema_versions()
    assert current == head
    database.check_schema()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(db):
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() > 0


def test_money_is_exact_decimal_and_times_are_aware_utc(any_db):
    db = any_db
    synced = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    with db.session() as s:
        vendor = Vendor(code="ACME", name="Acme")
        s.add(vendor)
        s.flush()
        s.add(
            PurchaseOrder(
                number="PO-1", vendor_id=vendor.id, total=Decimal("0.1") * 3, last_synced_at=synced
            )
        )
    with db.reader() as s:
        po = s.exec(select(PurchaseOrder)).one()
    assert po.total == Decimal("0.3000")
    assert isinstance(po.total, Decimal)
    assert po.last_synced_at == synced and po.last_synced_at.tzinfo is not None


def test_a_committed_change_is_logged_and_published_and_a_rolled_back_one_is_not(any_db):
    from posync_tui.events import note_change

    db = any_db
    seen: list[Change] = []
    db.bus.subscribe(seen.append)
    with db.session() as s:
        s.add(Vendor(code="A", name="A"))
        note_change(s, "vendor", [1])
    with pytest.raises(RuntimeError), db.session() as s:
        note_change(s, "vendor", [2])
        raise RuntimeError("boom")
    assert [(c.kind, c.ids) for c in seen] == [("vendor", (1,))]
    with db.reader() as s:
        assert [(e.kind, e.ids) for e in s.exec(select(ChangeLogEntry))] == [("vendor", "1")]


async def test_the_console_starts_on_a_fresh_install_with_an_empty_list(tmp_path):
    from tests.console import console_app, settled

    database = Database(f"sqlite:///{tmp_path / 'new.db'}")
    app = console_app(database)
    async with app.run_test() as pilot:
        await settled(pilot)
        assert app.is_running and app.runtime is not None
        assert database.schema_versions()[0] == SCHEMA_HEAD
