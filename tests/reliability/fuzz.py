"""What the fuzz tests share: hypothesis settings sized by ``scale``, mutations of valid partner
data (EDIFACT text and JSON), the hostile values they are made of, and a tally of the inputs
each test generated (shown in pytest's summary, so a run states how much it fuzzed).

Mutating a valid input reaches deep into a parser (a wrong quantity in line 3 of a good
invoice); pure random input tests the first few checks. The tests use both.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.reliability.scale import pick

# Inputs generated per test (its function name), and when it saw its first and last.
TALLY: Counter[str] = Counter()
_SEEN: dict[str, tuple[float, float]] = {}


# A full run takes minutes per test: pytest-timeout's 120 s would interrupt hypothesis
# mid-example (it then reports a FlakyFailure raised wherever the alarm struck).
TIMEOUT = pytest.mark.timeout(pick(ci=120, full=3 * 3600))


def fuzz_settings(ci: int, full: int) -> settings:
    """``ci`` examples in CI, ``full`` in a full reliability run; no example database, so every
    run starts clean and states what it generated itself."""
    return settings(
        max_examples=pick(ci=ci, full=full),
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )


def tally(name: str) -> None:
    """Count one generated input of the test ``name``."""
    TALLY[name] += 1
    now = time.perf_counter()
    _SEEN[name] = (_SEEN.get(name, (now, now))[0], now)


def report(request: pytest.FixtureRequest) -> Iterator[None]:
    """A module fixture's body: after the module, one line per test: inputs and seconds
    (written past pytest's output capture, so that a plain run shows them)."""
    yield
    writer = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    names = [item.name for item in request.session.items if item.module is request.module]
    if writer is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        writer.ensure_newline()
        for name in dict.fromkeys(names):
            if name in TALLY:
                first, last = _SEEN[name]
                writer.write_line(
                    f"fuzzed {TALLY[name]:>7,} inputs in {last - first:6.1f} s: {name}"
                )


# --- hostile values ----------------------------------------------------------------------------

CONTROL = st.characters(min_codepoint=0, max_codepoint=0x1F) | st.just("\x7f")
ODD_TEXT = st.sampled_from(
    [
        "",
        " ",
        "NaN",
        "-NaN",
        "Infinity",
        "-inf",
        "1e999999",
        "-1",
        "-0",
        "0x10",
        "1_000",
        "９",  # a full-width digit: isdigit() says yes
        "²",
        "١٢",  # Arabic-Indic digits
        "9" * 40,
        "1." + "0" * 30 + "1",
        "\u202e",
        "\ud800",
        "\ufeff",
        "\x1b[31m",
        "[b]x[/b]",
        "'",
        "?",
        "+",
        ":",
        "?'",
        "UNH",
        "UNT+1+1'",
        "é",
        "€",
        "𝔘",
        "x" * 300,
    ]
)
TEXT = st.text(max_size=30) | ODD_TEXT | st.text(CONTROL, min_size=1, max_size=3)

# JSON values as a partner might send them (wrong types included).
NUMBERS = (
    st.integers()
    | st.integers(min_value=2**62, max_value=2**70)
    | st.sampled_from([-(2**63), 2**63, 2**64, 10**30, -1, 0, 1])
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.floats(allow_nan=False, allow_infinity=False)
)
SCALARS = st.none() | st.booleans() | NUMBERS | TEXT
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


def dumps(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


# --- JSON mutations ----------------------------------------------------------------------------


def _paths(value: Any, at: tuple = ()) -> list[tuple]:
    found = [at]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*at, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*at, index))
    return found


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _parent(root: Any, path: tuple) -> Any:
    for step in path[:-1]:
        root = root[step]
    return root


@st.composite
def mutated_json(draw: st.DrawFn, valid: Any, rounds: int = 3) -> Any:
    """``valid`` (a decoded JSON body) with 1..rounds changes: a value replaced by a hostile or
    wrong-typed one, a key dropped or added, a list item dropped or duplicated."""
    value = _copy(valid)
    for _ in range(draw(st.integers(1, rounds))):
        paths = _paths(value)
        path = draw(st.sampled_from(paths))
        kind = draw(st.sampled_from(["replace", "replace", "drop", "duplicate", "add"]))
        if not path:
            if kind == "replace":
                value = draw(JSON_VALUES)
            continue
        parent = _parent(value, path)
        key = path[-1]
        if kind == "replace":
            parent[key] = draw(JSON_VALUES)
        elif kind == "drop":
            del parent[key]
        elif kind == "duplicate" and isinstance(parent, list):
            parent.insert(key, _copy(parent[key]))
        elif kind == "add" and isinstance(parent[key], dict):
            parent[key][draw(TEXT)] = draw(JSON_VALUES)
    return value


@st.composite
def mutated_text(draw: st.DrawFn, valid: str) -> str:
    """``valid`` text cut short, with characters inserted, replaced or deleted."""
    text = valid
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["truncate", "insert", "replace", "delete"]))
        if kind == "truncate":
            text = text[:at]
        elif kind == "insert":
            text = text[:at] + draw(TEXT) + text[at:]
        elif kind == "replace":
            text = text[:at] + draw(TEXT) + text[at + 1 :]
        else:
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
    return text


def json_bodies(valid: Any) -> st.SearchStrategy[str]:
    """Bodies for a parser of ``valid``'s shape: mutated, mutated then cut or garbled as text,
    any JSON value, and any text at all. Numbers keep their digits (Decimal, not float)."""
    return st.one_of(
        mutated_json(valid).map(dumps),
        mutated_json(valid).map(dumps).flatmap(mutated_text),
        JSON_VALUES.map(dumps),
        st.text(max_size=200),
        st.sampled_from(
            [
                "NaN",
                '{"a": NaN}',
                "[Infinity]",
                "1e999999",
                "9" * 5000,
                "[" * 70 + "]" * 70,
                "",
                "\ufeff{}",
                "<html>502</html>",
            ]
        ),
    )


# --- EDIFACT mutations -------------------------------------------------------------------------

_TERMINATED = re.compile(r"(?:[^?']|\?.)*'", re.S)


def segments_of(text: str) -> tuple[str, list[str]]:
    """(the UNA, the segments each with its terminator) of a default-separator interchange."""
    una = text[:9] if text.startswith("UNA") else ""
    return una, _TERMINATED.findall(text[len(una) :])


@st.composite
def mutated_interchange(draw: st.DrawFn, valid: str) -> str:
    """A valid interchange with segments dropped, duplicated, swapped or garbled, data
    elements replaced by hostile values, or the text cut short."""
    una, segments = segments_of(valid)
    for _ in range(draw(st.integers(1, 3))):
        if not segments:
            break
        at = draw(st.integers(0, len(segments) - 1))
        kind = draw(
            st.sampled_from(["drop", "duplicate", "swap", "element", "element", "element", "text"])
        )
        if kind == "drop":
            del segments[at]
        elif kind == "duplicate":
            segments.insert(at, segments[at])
        elif kind == "swap":
            other = draw(st.integers(0, len(segments) - 1))
            segments[at], segments[other] = segments[other], segments[at]
        elif kind == "element":
            segments[at] = draw(_garbled_element(segments[at]))
        else:
            segments[at] = draw(mutated_text(segments[at]))
    text = draw(st.sampled_from([una, ""])) + "".join(segments)
    if draw(st.booleans()):
        return text
    return (
        draw(mutated_text(text)) if draw(st.booleans()) else text[: draw(st.integers(0, len(text)))]
    )


@st.composite
def _garbled_element(draw: st.DrawFn, segment: str) -> str:
    body = segment[:-1]
    elements = body.split("+")
    at = draw(st.integers(0, len(elements) - 1))
    components = elements[at].split(":")
    where = draw(st.integers(0, len(components)))
    value = draw(EDIFACT_VALUES)
    if where == len(components):
        components.append(value)
    else:
        components[where] = value
    elements[at] = ":".join(components)
    return "+".join(elements) + "'"


EDIFACT_VALUES = st.one_of(
    ODD_TEXT,
    st.text(max_size=12),
    st.integers(-(10**20), 10**20).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["20260230", "99999999", "2026031", "102", "999", "14", "9", "ON", "LI"]),
)


def answer(parse: Callable[[], Any], errors: tuple[type[BaseException], ...]) -> Any:
    """What ``parse()`` returned, or the error it raised if it is one of ``errors`` (anything
    else propagates and fails the property)."""
    try:
        return parse()
    except errors as exc:
        return exc
