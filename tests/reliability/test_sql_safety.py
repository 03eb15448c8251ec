"""SQL stays SQL: filter text is data, admin-only settings are refused in the service layer, and
every statement binds its values.

Every paged table's filter (what `/` types), the accounting lists' and the contacts' search
and the command palette are fed SQL metacharacters: each is a literal filter (it finds the
record holding that text, and nothing when no record does: a ``%`` or ``_`` is no wildcard), no
error, and every table keeps its rows. A static scan lists every statement built as a string;
the only values formatted into SQL are identifiers from code constants, named below.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

from posync_tui.config import Settings
from posync_tui.demo_data import seed_demo
from posync_tui.models import AppSetting, AuditEntry, PurchaseOrder, Vendor
from posync_tui.paging import View
from posync_tui.services import app_settings
from posync_tui.services.accounting import QueueTab, list_queue, unlinked_vendors
from posync_tui.services.accounting_queues import ContactSource, QueueSource
from posync_tui.services.batch_lines import BatchLineSource, CommitMessageSource
from posync_tui.services.customer_locations import LocationSource
from posync_tui.services.customer_orders import CustomerOrderSource
from posync_tui.services.edi_documents import EdiDocumentSource
from posync_tui.services.lookup import find
from posync_tui.services.notification_list import NotificationListSource
from posync_tui.services.po_list import PoListSource
from posync_tui.services.purchase_targets import TargetLineSource
from posync_tui.services.vendor_list import VendorListSource

# Found by nothing in the data: a wildcard or an injection would find something.
NOTHING = ["' OR 1=1 --", "' OR '1'='1", '"; DROP TABLE vendor; --', "%", "_", "\\", "%%", "_%",
           "\\%", "\x00", "'", '"', "*", "NEAR(a b)", '" OR "']  # fmt: skip
# A vendor whose name holds them: found by its own text, as text.
LITERAL = 'Cut 50%_off\\\'s "deal"'
FOUND = ["50%_off", "%_off\\'s", '"deal"', "off\\'s"]


def sources(engine) -> dict[str, object]:
    out = {
        "purchase orders": PoListSource(engine),
        "vendors": VendorListSource(engine),
        "notifications": NotificationListSource(engine),
        "customer orders": CustomerOrderSource(engine),
        "customer locations": LocationSource(engine),
        "EDI documents": EdiDocumentSource(engine),
        "purchase target lines": TargetLineSource(engine),
        "accounting contacts": ContactSource(engine),
        "batch lines": BatchLineSource(engine),
        "commit messages": CommitMessageSource(engine),
    }
    out |= {f"accounting {tab}": QueueSource(engine, tab) for tab in QueueTab}
    return out


def row_counts(db) -> dict[str, int]:
    with db.engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
        # Names from the database's own catalogue: listed here, never typed.
        return {
            t: conn.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar_one()
            for t in names
            if not t.startswith("po_search")  # the PO filter's index, made by its first use
        }


@pytest.fixture
def demo(db):
    seed_demo(db)
    return db


def add_literal_vendor(db) -> None:
    """A vendor (and a PO of it) whose name holds the metacharacters."""
    with db.session() as s:
        vendor = Vendor(code="CUT50", name=LITERAL)
        s.add(vendor)
        s.flush()
        s.add(PurchaseOrder(number="PO-CUT50", vendor_id=vendor.id, total=Decimal(0)))


def test_every_filter_takes_sql_metacharacters_as_text(demo):
    before = row_counts(demo)
    checked = 0
    for name, source in sources(demo.engine).items():
        source.prepare()
        sort = next(c.key for c in source.columns if c.sort)
        for probe in NOTHING:
            view = View(sort=sort, text=probe)
            assert source.count(view) == 0, f"{name}: {probe!r} found something"
            assert source.page(view, 0, 50) == [], f"{name}: {probe!r} found something"
            checked += 1
    add_literal_vendor(demo)
    for name in ("purchase orders", "vendors"):
        source = sources(demo.engine)[name]
        for probe in FOUND:
            view = View(sort=next(c.key for c in source.columns if c.sort), text=probe)
            assert source.count(view) == 1, f"{name}: {probe!r} did not find the one vendor's"
        for probe in ("0__o", "5%f", "Cut_50"):  # as wildcards they would find it
            view = View(sort=next(c.key for c in source.columns if c.sort), text=probe)
            assert source.count(view) == 0, f"{name}: {probe!r} was taken as a pattern"
    assert row_counts(demo) == {**before, "vendor": before["vendor"] + 1,
                                "purchase_order": before["purchase_order"] + 1}  # fmt: skip
    print(f"sql: {checked} filter probes on {len(sources(demo.engine))} tables: literal, no error")


def test_the_accounting_lists_and_the_palette_take_metacharacters_as_text(demo):
    """The list and search functions outside the paged tables."""
    before = row_counts(demo)
    for probe in NOTHING:
        for tab in QueueTab:
            assert list_queue(demo, tab, text=probe) == [], (tab, probe)
        assert unlinked_vendors(demo, text=probe) == [], probe
        assert find(demo, probe) == [], probe
    assert row_counts(demo) == before
    add_literal_vendor(demo)
    assert [v.name for v in unlinked_vendors(demo, text="50%_off")] == [LITERAL]
    assert [hit.label for hit in find(demo, "50%_off")][:1] == [f"CUT50  {LITERAL}"]
    assert unlinked_vendors(demo, text="0__o") == [] and find(demo, "5%f") == []


def test_admin_only_settings_are_refused_in_the_service_layer(db):
    """No screen involved: a non-admin's change is refused and writes nothing."""
    settings = Settings(admins=["root"])
    key = app_settings.LINK_BACKORDERS.key
    with pytest.raises(app_settings.NotAdmin):
        app_settings.change(db, settings, key, True, user="mallory")
    with pytest.raises(app_settings.NotAdmin):  # not by a name that only looks like an admin
        app_settings.change(db, settings, key, True, user="root ")
    with db.reader() as s:
        assert s.exec(select(AppSetting)).all() == []
        assert s.exec(select(AuditEntry)).all() == []
    assert app_settings.change(db, settings, key, True, user="root")
    with db.reader() as s:
        assert [a.value for a in s.exec(select(AppSetting)).all()] == ["on"]


# --- every statement binds its values --------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
# A statement built as a string: an f-string or .format() of SQL, or SQL text concatenated.
BUILT = re.compile(
    r"""(?<!\w)(?:text|exec_driver_sql|execute|executescript|executemany)\(\s*f["']"""
    r"""|\bf["']{1,3}\s*(?:SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA|WITH|LISTEN|"""
    r"""NOTIFY|VACUUM|ATTACH)\b"""
    r"""|\b(?:SELECT|INSERT|UPDATE|DELETE)\b[^"'\n]*["']\s*(?:%|\+)"""
    r"""|_SELECT\.format\(|\bsql\s*=\s*f["']""",
)
# What those statements format in: names of tables, triggers, indexes and columns, all code
# constants, and the DB-API placeholder style. Nothing an operator or a partner sent.
ALLOWED = {
    "posync_tui/services/po_search.py": {
        *("TABLE", "_DOC", "where", "name", "body", "table_", "column_"),
        # the triggers that keep the PO filter's index: fixed conditions
        "_refresh('po.id = NEW.po_id')",
        "_refresh('po.id = OLD.po_id')",
        "_refresh('po.vendor_id = NEW.id')",
    },
    "posync_tui/watch.py": {"events.PG_CHANNEL", 'p="?"', 'p="%s"'},
    "connectors/sandbox/p21.py": {"LINK_COLUMNS", "where", "ACTIVE"},
    "tests/pg.py": {"TEMPLATE", "name"},
    "bench/bench_events.py": {"TEMPLATE"},
    "bench/bench_live.py": {"VISIBLE"},
    "tests/reliability/test_secrets.py": {"t"},
    "tests/reliability/test_sql_safety.py": {"t"},
    # a PRAGMA takes no bound parameter: the test's own numbers
    "tests/reliability/faults_db.py": {"BUSY_TIMEOUT_MS", "pages + extra_pages"},
}


def test_every_statement_binds_its_values():
    found: dict[str, set[str]] = {}
    for path in sorted(ROOT.glob("**/*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith((".venv/", "posync_tui/migrations/versions/")):
            continue
        lines = path.read_text().splitlines()
        for at, line in enumerate(lines):
            if not BUILT.search(line) or line.lstrip().startswith("#"):
                continue
            statement = [line]  # and the strings that continue it on the next lines
            for more in lines[at + 1 :]:
                if not more.lstrip().startswith(('f"', "f'", '"', "'")):
                    break
                statement.append(more)
            text = "\n".join(statement)
            names = set(re.findall(r"\{([^{}:!]+)[^{}]*\}", text))
            names |= set(re.findall(r"\.format\(([^)]*)\)", text))
            found.setdefault(rel, set()).update(names or {"<string SQL>"})
    unexpected = {
        rel: sorted(names - ALLOWED.get(rel, set()))
        for rel, names in found.items()
        if names - ALLOWED.get(rel, set())
    }
    assert not unexpected, f"SQL built from values, not bound: {unexpected}"
    assert "posync_tui/services/po_search.py" in found  # the scan does see formatted SQL
