"""Paged reads: every page, read by offset, by keyset or from the far end, in one total order."""

from __future__ import annotations

import pytest

from posync_tui.paging import View, escape_like
from posync_tui.seed import seed_bulk
from posync_tui.services.po_list import COLUMNS, PoListSource


@pytest.fixture
def source(db):
    seed_bulk(db, pos=230, lines_per_po=3, vendors=6, items=40)
    src = PoListSource(db.engine)
    src.prepare()
    return src


def all_keys(source, view):
    return [r.key for r in source.page(view, 0, 10_000)]


SORTS = [(c.key, d) for c in COLUMNS for d in (False, True)]


@pytest.mark.parametrize(("sort", "descending"), SORTS)
def test_pages_by_offset_keyset_and_from_the_end_give_the_same_order(source, sort, descending):
    view = View(sort=sort, descending=descending)
    total = source.count(view)
    expected = all_keys(source, view)
    assert len(expected) == total == 230

    by_offset = []
    for offset in range(0, total, 17):
        by_offset += [r.key for r in source.page(view, offset, 17, total=total)]
    assert by_offset == expected

    forward = source.page(view, 0, 17)
    keyset = list(forward)
    while forward:
        forward = source.page(view, 0, 17, after=forward[-1])
        keyset += forward
    assert [r.key for r in keyset] == expected

    backward = source.page(view, total - 17, 17, total=total)
    reverse = list(backward)
    while backward:
        backward = source.page(view, 0, 17, before=backward[0])
        reverse = backward + reverse
    assert [r.key for r in reverse] == expected


@pytest.mark.parametrize(("sort", "descending"), SORTS)
def test_descending_is_the_exact_reverse_and_ties_break_on_id(source, sort, descending):
    ascending = source.page(View(sort=sort), 0, 10_000)
    assert [r.key for r in source.page(View(sort=sort, descending=True), 0, 10_000)] == [
        r.key for r in reversed(ascending)
    ]

    # Sorted by the column's values (NULLs first), then by id.
    def order(row):
        values = row.sort_values
        return (values[0] is not None, *values)

    assert [r.key for r in sorted(ascending, key=order)] == [r.key for r in ascending]


@pytest.mark.parametrize(("sort", "descending"), SORTS)
def test_position_of_a_row_is_its_index_under_the_sort_and_filter(source, sort, descending):
    view = View(sort=sort, descending=descending)
    expected = all_keys(source, view)
    for index in (0, 1, 57, 128, 229):
        assert source.position(view, expected[index]) == index


def test_position_of_a_row_the_filter_hides_is_none(source):
    view = View(sort="number").with_filter("status", "__none__")
    assert source.count(view) == 0
    assert source.position(view, 1) is None


def test_keys_lists_every_matching_row_without_reading_rows(source):
    view = View(sort="number").with_filter("status", ("open", "partial"))
    keys = list(source.keys(view, batch=7))
    assert len(keys) == len(set(keys)) == source.count(view) > 0
    assert set(keys) == set(all_keys(source, view))


def test_a_page_past_the_end_is_empty(source):
    view = View(sort="total")
    assert source.page(view, 500, 10) == []
    assert source.page(view, 500, 10, total=230) == []


def test_filters_replace_and_remove():
    view = View(sort="number").with_filter("status", "open").with_filter("status", "closed")
    assert view.filter("status") == "closed"
    assert view.with_filter("status", None).filters == ()


def test_like_wildcards_are_escaped():
    assert escape_like("50%_off\\") == "50\\%\\_off\\\\"
