"""Paged reads of a growing list straight from SQL: count, a page, the position of a row, its keys.

Every list that can grow (POs, vendors, notifications, upload queues) is shown by one paged
table. The table never holds the whole list; it asks a ``PagedSource`` for

- ``count(view)``: how many rows match the view's filter,
- ``page(view, offset, limit)``: the rows at positions offset..offset+limit in the view's order,
  reading by keyset (``after=``/``before=`` a neighbouring row) when it can,
- ``position(view, key)``: where a row is in that order (to keep the cursor on it),
- ``keys(view)``: the keys of every matching row (for "mark all matching"), without rows,
- ``matching(view, keys)``: which of some keys the view matches (the marks its filter shows).

The order is always total: the sort column's expressions, then the source's key (id) as a
stable tiebreak; descending is the exact reverse (NULLs first ascending, last descending).
With an index on (sort expressions..., id) every page is an index walk, not a sort.

This module imports SQLAlchemy only when a source first reads: screens import it to draw their
first frame, and the database comes after that frame.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.sql import ColumnElement, FromClause, Select


@dataclass(frozen=True)
class Column:
    """One column of a paged list.

    ``value`` is the SQL expression shown; ``sort`` the expressions that order by this column
    (empty: not sortable). Only the first sort expression may be NULL (say so with ``nullable``).
    ``format`` turns the value into the cell's text.
    """

    key: str
    label: str
    width: int
    value: ColumnElement
    sort: tuple[ColumnElement, ...] = ()
    nullable: bool = False
    align: str = "left"  # "left" or "right"
    flex: bool = False  # takes the width the other columns leave
    format: Callable[[Any], str] = field(default=lambda v: "" if v is None else str(v))
    # The cell's text from the whole row (its data), when more than the value decides it.
    cell: Callable[[dict[str, Any]], str] | None = None


@dataclass(frozen=True)
class View:
    """What the table shows: the sort, the filter text and any source-specific filters."""

    sort: str
    descending: bool = False
    text: str = ""
    filters: tuple[tuple[str, Any], ...] = ()

    def with_filter(self, name: str, value: Any) -> View:
        kept = tuple((k, v) for k, v in self.filters if k != name)
        return replace(self, filters=kept if value is None else (*kept, (name, value)))

    def filter(self, name: str, default: Any = None) -> Any:
        return dict(self.filters).get(name, default)


@dataclass(frozen=True)
class Row:
    """A row of a page: its key, its fields by name, and its sort values (for keyset reads)."""

    key: int
    data: Mapping[str, Any]
    sort_values: tuple[Any, ...]


class PagedSource(ABC):
    """Base class: a source names its columns, key, FROM clause and filter conditions."""

    columns: Sequence[Column] = ()
    key: ColumnElement  # the stable tiebreak and the row key (an integer id)

    def __init__(self, engine: Engine):
        self.engine = engine

    # --- what a source defines ----------------------------------------------------------------

    @abstractmethod
    def from_clause(self, view: View) -> FromClause:
        """The tables to read for this view (join only what its sort or filter needs)."""

    def extra_fields(self) -> Sequence[ColumnElement]:
        """Labelled fields a row carries besides its columns (e.g. for cell styles)."""
        return ()

    def conditions(self, view: View) -> list[ColumnElement]:
        """WHERE conditions for the view's filter text and filters."""
        return []

    def describe(self, view: View) -> str:
        """The view's filters in words, for the table's title (the filter text shows apart)."""
        return " · ".join(f"{name} {value}" for name, value in view.filters)

    def prepare(self) -> None:
        """Called once, off the UI thread, before the first read (e.g. to build an index)."""
        return None  # most sources need nothing

    # --- reads --------------------------------------------------------------------------------

    def column(self, key: str) -> Column:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(f"no column {key!r}")

    def count(self, view: View) -> int:
        from sqlalchemy import func, select

        query = select(func.count()).select_from(self.from_clause(view))
        with self.engine.connect() as conn:
            return conn.execute(self._where(query, view)).scalar_one()

    def page(
        self,
        view: View,
        offset: int,
        limit: int,
        *,
        after: Row | None = None,
        before: Row | None = None,
        total: int | None = None,
    ) -> list[Row]:
        """Rows offset..offset+limit of the view.

        Reads by keyset when given the row just ``after`` which the page starts (or just
        ``before`` which it ends); otherwise by OFFSET, from the far end of the list when
        ``total`` says the page is nearer the end (so End costs as little as Home).
        """
        if limit <= 0:
            return []
        if after is not None:
            return self._read(view, view.descending, limit, 0, after)
        if before is not None:
            return self._read(view, not view.descending, limit, 0, before)[::-1]
        if total is not None and offset >= total:
            return []
        if total is not None and offset > total // 2:
            end = min(offset + limit, total)
            return self._read(view, not view.descending, end - offset, total - end, None)[::-1]
        return self._read(view, view.descending, limit, offset, None)

    def position(self, view: View, key: int) -> int | None:
        """The row index of ``key`` in the view, or None when it does not match the view."""
        from sqlalchemy import func, select

        column, keys = self._sort_keys(view)
        query = select(*keys).select_from(self.from_clause(view)).where(self.key == key)
        with self.engine.connect() as conn:
            found = conn.execute(self._where(query, view)).first()
            if found is None:
                return None
            earlier = self._beyond(column, keys, tuple(found), not view.descending)
            query = select(func.count()).select_from(self.from_clause(view)).where(earlier)
            return conn.execute(self._where(query, view)).scalar_one()

    def keys(self, view: View, batch: int = 10_000) -> Iterator[int]:
        """Every matching key, streamed: marks a whole filter without loading its rows."""
        from sqlalchemy import select

        query = self._where(select(self.key).select_from(self.from_clause(view)), view)
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=batch).execute(query)
            for (key,) in result:
                yield key

    def matching(self, view: View, keys: Collection[int], batch: int = 5_000) -> set[int]:
        """Those of ``keys`` that the view matches: an action on marked rows touches only these.

        The keys are bound parameters, ``batch`` to a statement (within SQLite's and
        PostgreSQL's limits on parameters), each read by primary key under the view's filter.
        """
        from sqlalchemy import select

        wanted = sorted(keys)
        found: set[int] = set()
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), batch):
                query = select(self.key).select_from(self.from_clause(view))
                query = query.where(self.key.in_(wanted[start : start + batch]))
                found.update(conn.execute(self._where(query, view)).scalars())
        return found

    def rows(self, view: View, keys: Sequence[int]) -> list[Row]:
        """The given rows (those still matching the view), e.g. to re-read changed rows."""
        if not keys:
            return []
        _, sort = self._sort_keys(view)
        query = self._select(view, sort).where(self.key.in_(list(keys)))
        with self.engine.connect() as conn:
            return [self._row(r, len(sort)) for r in conn.execute(self._where(query, view))]

    # --- the SQL ------------------------------------------------------------------------------

    def _sort_keys(self, view: View) -> tuple[Column, tuple[ColumnElement, ...]]:
        column = self.column(view.sort)
        return column, (*(column.sort or (column.value,)), self.key)

    def _select(self, view: View, sort: tuple[ColumnElement, ...]) -> Select:
        from sqlalchemy import select

        fields: list[ColumnElement] = [self.key.label("_key")]
        fields += [c.value.label(c.key) for c in self.columns]
        fields += list(self.extra_fields())
        fields += [expr.label(f"_s{i}") for i, expr in enumerate(sort)]
        return select(*fields).select_from(self.from_clause(view))

    def _where(self, query: Select, view: View) -> Select:
        from sqlalchemy import and_

        conditions = self.conditions(view)
        return query.where(and_(*conditions)) if conditions else query

    def _read(self, view, descending, limit, offset, anchor: Row | None) -> list[Row]:
        from sqlalchemy import select

        column, sort = self._sort_keys(view)
        order = self._order(column, sort, descending)
        with self.engine.connect() as conn:
            values = anchor.sort_values if anchor is not None else None
            if values is None and offset > 0:
                # Skip ``offset`` rows reading only the sort keys (an index walk, no row
                # lookups), then read the page by keyset after the row found there.
                skip = select(*sort).select_from(self.from_clause(view))
                skip = self._where(skip, view).order_by(*order).limit(1).offset(offset - 1)
                found = conn.execute(skip).first()
                if found is None:
                    return []
                values = tuple(found)
            query = self._where(self._select(view, sort), view)
            if values is not None:
                query = query.where(self._beyond(column, sort, values, descending))
            query = query.order_by(*order).limit(limit)
            return [self._row(r, len(sort)) for r in conn.execute(query)]

    def _order(self, column: Column, sort, descending: bool) -> list:
        first = sort[0].desc() if descending else sort[0].asc()
        if column.nullable and self.engine.dialect.name != "sqlite":
            # SQLite already puts NULLs first ascending and last descending.
            first = first.nulls_last() if descending else first.nulls_first()
        rest = [e.desc() if descending else e.asc() for e in sort[1:]]
        return [first, *rest]

    def _beyond(self, column: Column, sort, values: tuple, descending: bool) -> ColumnElement:
        """Rows strictly after ``values`` in the order (or before it, reading backwards)."""
        from sqlalchemy import and_, or_

        first, rest = sort[0], sort[1:]
        if not column.nullable:
            return _tuple_cmp(sort, values, descending)
        value, rest_values = values[0], values[1:]
        if value is None:
            # NULLs come first: after a NULL row are the later NULLs, then every non-NULL.
            if descending:
                return and_(first.is_(None), _tuple_cmp(rest, rest_values, True))
            return or_(
                first.is_not(None), and_(first.is_(None), _tuple_cmp(rest, rest_values, False))
            )
        if descending:
            return or_(first.is_(None), _tuple_cmp(sort, values, True))
        return _tuple_cmp(sort, values, False)

    def _row(self, record, n_sort: int) -> Row:
        data = record._mapping
        values = tuple(data[f"_s{i}"] for i in range(n_sort))
        return Row(key=data["_key"], data=dict(data), sort_values=values)


def _tuple_cmp(exprs, values, descending: bool) -> ColumnElement:
    from sqlalchemy import false, literal, tuple_

    if not exprs:
        return false()
    if len(exprs) == 1:
        return exprs[0] < values[0] if descending else exprs[0] > values[0]
    # Bind each value with its column's type (e.g. Decimal4 money as its scaled integer).
    left = tuple_(*exprs)
    right = tuple_(*(literal(v, type_=e.type) for e, v in zip(exprs, values, strict=True)))
    return left < right if descending else left > right


def prefix_pattern(text: str) -> str:
    """A LIKE pattern for values starting with ``text`` (with its wildcards escaped)."""
    return escape_like(text) + "%"


def contains_pattern(text: str) -> str:
    return "%" + escape_like(text) + "%"


def contains(text: str, *columns: Any) -> ColumnElement:
    """Any of ``columns`` contains ``text``, whatever its case; its % and _ are taken literally."""
    from sqlalchemy import or_

    pattern = contains_pattern(text)
    return or_(*(column.ilike(pattern, escape="\\") for column in columns))


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


__all__ = [
    "Column",
    "PagedSource",
    "Row",
    "View",
    "contains",
    "contains_pattern",
    "escape_like",
    "prefix_pattern",
]
