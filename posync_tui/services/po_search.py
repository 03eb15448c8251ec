"""Filter-as-you-type over purchase orders: PO number, vendor, supplier order no., item on a line.

On SQLite a full-text index of trigrams (FTS5 ``trigram``) holds one document per PO — its
number, vendor code and name, supplier order number, and the SKU, supplier part number and
item description of every line — so that a substring of three or more characters finds its POs
among 100k POs and 1M lines in milliseconds. Triggers keep the documents current whoever writes
the tables. One or two characters match the start of a PO number or of a vendor's code or name
instead.

The index is not a model (an FTS5 table has no SQLAlchemy form), so ``install()`` creates it,
idempotently, and fills it from the existing rows the first time, and again (once) when the
document changed since it was filled (its triggers then differ from these). On PostgreSQL the
same filter is an ILIKE over the same fields, which ``install()`` backs with pg_trgm GIN indexes
(trigram indexes answer ILIKE '%text%' without reading every row).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, and_, column, exists, or_, select, table, text, union
from sqlalchemy.sql import ColumnElement

from posync_tui import po_tables
from posync_tui.paging import contains_pattern, prefix_pattern

PO, LINE, ITEM, VENDOR = (
    t.c
    for t in (
        po_tables.PURCHASE_ORDER,
        po_tables.PURCHASE_ORDER_LINE,
        po_tables.ITEM,
        po_tables.VENDOR,
    )
)

TABLE = "po_search"
TRIGRAM = 3  # the shortest text the trigram index can look up
_INDEX = table(TABLE, column("rowid"))
_CREATE = f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5(doc, tokenize=trigram)"

_DOC = """
SELECT po.id, po.number || ' ' || v.code || ' ' || v.name || ' '
    || coalesce(po.supplier_order_no, '') || ' '
    || coalesce((SELECT group_concat(coalesce(i.sku, '') || ' ' || coalesce(l.supplier_part_no, '')
                                     || ' ' || l.description, ' ')
                 FROM purchase_order_line l LEFT JOIN item i ON i.id = l.item_id
                 WHERE l.po_id = po.id), '')
FROM purchase_order po JOIN vendor v ON v.id = po.vendor_id
"""


def _refresh(where: str) -> str:
    return f"INSERT OR REPLACE INTO {TABLE}(rowid, doc) {_DOC} WHERE {where};"


_TRIGGERS = {
    "po_search_po_insert": f"AFTER INSERT ON purchase_order BEGIN {_refresh('po.id = NEW.id')}",
    "po_search_po_update": "AFTER UPDATE OF number, vendor_id, supplier_order_no "
    f"ON purchase_order BEGIN {_refresh('po.id = NEW.id')}",
    "po_search_po_delete": f"AFTER DELETE ON purchase_order BEGIN "
    f"DELETE FROM {TABLE} WHERE rowid = OLD.id;",
    "po_search_line_insert": "AFTER INSERT ON purchase_order_line "
    f"BEGIN {_refresh('po.id = NEW.po_id')}",
    "po_search_line_update": "AFTER UPDATE OF po_id, item_id, supplier_part_no, description "
    "ON purchase_order_line "
    f"BEGIN {_refresh('po.id = NEW.po_id')} {_refresh('po.id = OLD.po_id')}",
    "po_search_line_delete": "AFTER DELETE ON purchase_order_line "
    f"BEGIN {_refresh('po.id = OLD.po_id')}",
    "po_search_vendor_update": "AFTER UPDATE OF code, name ON vendor "
    f"BEGIN {_refresh('po.vendor_id = NEW.id')}",
    "po_search_item_update": "AFTER UPDATE OF sku ON item BEGIN "
    + _refresh("po.id IN (SELECT po_id FROM purchase_order_line WHERE item_id = NEW.id)"),
}


# The fields the filter matches with ILIKE on PostgreSQL: (index, table, column).
PG_TRIGRAM_INDEXES = (
    ("ix_po_number_trgm", "purchase_order", "number"),
    ("ix_po_supplier_order_no_trgm", "purchase_order", "supplier_order_no"),
    ("ix_vendor_code_trgm", "vendor", "code"),
    ("ix_vendor_name_trgm", "vendor", "name"),
    ("ix_item_sku_trgm", "item", "sku"),
    ("ix_po_line_supplier_part_no_trgm", "purchase_order_line", "supplier_part_no"),
    ("ix_po_line_description_trgm", "purchase_order_line", "description"),
)


def install(engine: Engine) -> None:
    """Create the search index and its triggers if missing (filling it from existing POs)."""
    if engine.dialect.name == "postgresql":
        _install_trigram_indexes(engine)
        return
    if engine.dialect.name != "sqlite":
        return
    with engine.begin() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :t"), {"t": TABLE}
        ).first()
        if not exists:
            conn.exec_driver_sql(_CREATE)
            rebuild(conn)
        elif _triggers_found(conn) != _TRIGGER_SQL:
            # Filled by another version of the document: fill it again, with these triggers.
            _drop_triggers(conn)
            rebuild(conn)
        _create_triggers(conn)


def trigram_available(conn: Connection) -> bool:
    """Whether this PostgreSQL server ships pg_trgm (a contrib extension; some builds lack it)."""
    found = "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"
    return conn.exec_driver_sql(found).first() is not None


def _install_trigram_indexes(engine: Engine) -> None:
    with engine.begin() as conn:
        if not trigram_available(conn):
            return  # the filter still works, reading every row
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, table_, column_ in PG_TRIGRAM_INDEXES:
            conn.exec_driver_sql(
                f"CREATE INDEX IF NOT EXISTS {name} ON {table_} USING gin ({column_} gin_trgm_ops)"
            )


def rebuild(conn: Connection) -> None:
    """Rewrite every document in one statement (after a bulk load)."""
    conn.exec_driver_sql(f"DELETE FROM {TABLE}")
    conn.exec_driver_sql(f"INSERT INTO {TABLE}(rowid, doc) {_DOC}")


@contextmanager
def suspended(conn: Connection) -> Iterator[None]:
    """Bulk loads: no per-row trigger work; the index is rebuilt once at the end.

    Runs inside the caller's transaction, so other processes never see the index without
    its triggers.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    conn.exec_driver_sql(_CREATE)
    _drop_triggers(conn)
    yield
    rebuild(conn)
    _create_triggers(conn)


# Each trigger as SQLite keeps it (without "IF NOT EXISTS"): what install() compares.
_TRIGGER_SQL = {name: f"CREATE TRIGGER {name} {body} END" for name, body in _TRIGGERS.items()}


def _triggers_found(conn: Connection) -> dict[str, str]:
    found = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name GLOB 'po_search_*'"
    )
    return {name: sql for name, sql in found}


def _drop_triggers(conn: Connection) -> None:
    for name in _triggers_found(conn):
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")


def _create_triggers(conn: Connection) -> None:
    for name, body in _TRIGGERS.items():
        conn.exec_driver_sql(f"CREATE TRIGGER IF NOT EXISTS {name} {body} END")


def uses_index(text_: str, dialect: str) -> bool:
    """Whether the filter text is looked up in the trigram index (one document per PO)."""
    return dialect == "sqlite" and len(text_.strip()) >= TRIGRAM


def _phrase(text_: str) -> str:
    # A quoted FTS5 string is a phrase: with trigrams, "a substring anywhere".
    return '"' + text_.strip().replace('"', '""') + '"'


def count_matches(conn: Connection, text_: str) -> int:
    """How many POs match (when ``uses_index``): counted in the index, without the POs."""
    query = f"SELECT count(*) FROM {TABLE} WHERE {TABLE} MATCH ?"
    return conn.exec_driver_sql(query, (_phrase(text_),)).scalar_one()


def condition(text_: str, dialect: str, *, probe: bool = False) -> ColumnElement | None:
    """The WHERE condition on purchase_order for the filter text (None: no filter).

    With the trigram index, the condition is "id IN (the matching POs)", which reads every
    match once: right for counting and for a few matches. When most POs match, a page is
    found sooner by walking the sort's index and asking the index about each PO (``probe``).
    """
    text_ = text_.strip()
    if not text_:
        return None
    if uses_index(text_, dialect):
        match = text(f"{TABLE} MATCH :q").bindparams(q=_phrase(text_))
        if probe:
            return exists().where(_INDEX.c.rowid == PO.id, match)
        return PO.id.in_(select(_INDEX.c.rowid).where(match))
    if dialect == "sqlite":
        # Numbers are stored in capitals: a range on their index; vendors are few.
        start = text_.upper()
        end = start[:-1] + chr(ord(start[-1]) + 1)
        pattern = prefix_pattern(text_)
        vendors = select(VENDOR.id).where(
            or_(VENDOR.code.like(pattern, escape="\\"), VENDOR.name.like(pattern, escape="\\"))
        )
        return or_(and_(PO.number >= start, PO.number < end), PO.vendor_id.in_(vendors))
    pattern = contains_pattern(text_)
    # One indexed lookup per field, united: an OR across tables would read every PO.
    po = po_tables.PURCHASE_ORDER.alias("searched_po")
    vendors = select(VENDOR.id).where(or_(VENDOR.code.ilike(pattern), VENDOR.name.ilike(pattern)))
    items = select(ITEM.id).where(ITEM.sku.ilike(pattern))
    return PO.id.in_(
        union(
            select(po.c.id).where(po.c.number.ilike(pattern)),
            select(po.c.id).where(po.c.supplier_order_no.ilike(pattern)),
            select(po.c.id).where(po.c.vendor_id.in_(vendors)),
            select(LINE.po_id).where(LINE.supplier_part_no.ilike(pattern)),
            select(LINE.po_id).where(LINE.description.ilike(pattern)),
            select(LINE.po_id).where(LINE.item_id.in_(items)),
        )
    )
