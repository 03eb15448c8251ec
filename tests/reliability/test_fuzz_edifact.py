"""Fuzzing the EDIFACT parser (issue 20, "Bad input"): every interchange, however broken, is
either read into typed messages or refused with an EdifactError naming the segment at fault
(its index and tag) and keeping the text; never another exception. Good interchanges parse.

Inputs: the four D.96A messages posync reads (ORDRSP, DESADV, INVOIC, and ORDERS) built by
posync itself and then mutated segment by segment and element by element; any text; any bytes.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from connectors.edifact import (
    DespatchAdvice,
    EdifactError,
    Interchange,
    Invoice,
    Order,
    OrderResponse,
    ResponseLine,
    build,
    parse,
)
from connectors.edifact.status import LINE_CODES
from tests.edi_data import ADVICE, BACK, INVOICE, ORDER, RESPONSE
from tests.reliability.fuzz import (
    TIMEOUT,
    answer,
    fuzz_settings,
    mutated_interchange,
    report,
    segments_of,
    tally,
)

MESSAGES = (OrderResponse, DespatchAdvice, Invoice, Order)
ONE_EACH = [build(Interchange(BACK, (m,))) for m in (RESPONSE, ADVICE, INVOICE, ORDER)]
ALL_FOUR = build(
    Interchange(
        BACK,
        tuple(
            replace(m, message_ref=str(n))
            for n, m in enumerate((RESPONSE, ADVICE, INVOICE, ORDER), 1)
        ),
    ),
    una=False,
)
VALID = [*ONE_EACH, ALL_FOUR]

pytestmark = TIMEOUT


@pytest.fixture(scope="module", autouse=True)
def _report(request):
    yield from report(request)


def read(data: str | bytes) -> Interchange | EdifactError:
    """``parse(data)``, checked: an Interchange of typed messages, or an EdifactError with the
    position of the segment at fault and the text it was found in."""
    result = answer(lambda: parse(data), (EdifactError,))
    if isinstance(result, Interchange):
        assert all(isinstance(m, MESSAGES) for m in result.messages)
        return result
    text = data if isinstance(data, str) else data.decode("iso-8859-1")
    assert result.index is not None, f"no position: {result!r}"
    assert 0 <= result.index <= len(segments_of(text)[1]) + 2
    assert result.position.startswith("segment ") and result.message
    assert result.raw == text
    return result


def test_the_valid_interchanges_parse():
    for text in VALID:
        assert isinstance(read(text), Interchange)


@fuzz_settings(ci=150, full=100_000)
@given(text=st.sampled_from(VALID).flatmap(mutated_interchange))
@example(text=ONE_EACH[0].replace("QTY+113:3", "QTY+113:NaN"))
def test_a_mutated_interchange_is_read_or_refused_at_its_segment(text):
    tally("test_a_mutated_interchange_is_read_or_refused_at_its_segment")
    read(text)


@fuzz_settings(ci=100, full=10_000)
@given(
    data=st.sampled_from(VALID)
    .flatmap(mutated_interchange)
    .map(lambda t: t.encode("latin-1", "replace"))
    | st.binary(max_size=300)
)
def test_any_bytes_are_read_or_refused_at_their_segment(data):
    tally("test_any_bytes_are_read_or_refused_at_their_segment")
    read(data)


@fuzz_settings(ci=100, full=10_000)
@given(text=st.text(max_size=300) | st.text(alphabet="UNABHZT+:?' .0123456789", max_size=300))
def test_any_text_is_read_or_refused_at_its_segment(text):
    tally("test_any_text_is_read_or_refused_at_its_segment")
    read(text)


# --- good input parses -------------------------------------------------------------------------

# Text a UNOC interchange carries: ISO-8859-1 without control characters; not starting or
# ending with a space, which IMD and PIA do not keep.
WORDS = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f").filter(
        lambda c: not (0x80 <= ord(c) < 0xA0)
    ),
    min_size=1,
    max_size=35,
).filter(lambda s: s == s.strip())
QUANTITIES = st.decimals(min_value=0, max_value=Decimal("999999999"), places=3)
LINES = st.builds(
    ResponseLine,
    line_no=st.integers(1, 999_999_999),
    action=st.sampled_from(sorted(c for c in LINE_CODES if c)),
    buyer_line=st.none() | st.integers(1, 999_999_999),
    mpn=st.none() | WORDS,
    quantity=st.none() | QUANTITIES,
    backorder=st.none() | QUANTITIES,
    price=st.none() | QUANTITIES,
    description=st.just("") | WORDS,
)


@fuzz_settings(ci=60, full=10_000)
@given(lines=st.lists(LINES, min_size=1, max_size=5, unique_by=lambda line: line.line_no))
def test_any_order_response_posync_can_write_it_reads_back_the_same(lines):
    tally("test_any_order_response_posync_can_write_it_reads_back_the_same")
    response = replace(RESPONSE, lines=tuple(lines))
    (read_back,) = parse(build(Interchange(BACK, (response,)))).messages
    assert read_back == response
