"""Outside text made safe to show: markup literal, controls and bidi overrides visible."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.content import Content

from screens.safe_text import VISIBLE, escaped, safe, visible

SET_TITLE = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (SET_TITLE, "␛]0;pwned␇"),
        (CLEAR, "␛[2J"),
        ("\x9b2J", "‹U+009B›2J"),  # CSI in one C1 character
        ("abc\u202efdp.exe", "abc‹U+202E›fdp.exe"),  # right-to-left override
        ("\u2066x\u2069", "‹U+2066›x‹U+2069›"),  # an isolate
        ("a\x00b", "a␀b"),
        ("\x7f", "␡"),
        ("bell\x07 back\x08", "bell␇ back␈"),
        ("\ud800", "‹U+D800›"),  # a lone surrogate cannot be written to a terminal
        ("Schraube M8 – Edelstahl ✓ 日本", "Schraube M8 – Edelstahl ✓ 日本"),
    ],
)
def test_controls_and_bidi_overrides_show_as_placeholders(text, shown):
    assert visible(text) == shown
    assert visible(text, one_line=True) == shown


def test_markup_is_left_alone_in_the_plain_form():
    assert visible("check [/] carton") == "check [/] carton"


def test_line_breaks_and_tabs_stay_in_a_detail_and_fold_in_a_one_line_cell():
    assert visible("line 1\r\nline 2\rline 3\n\tend") == "line 1\nline 2\nline 3\n\tend"
    assert visible("line 1\r\nline 2\n\tend", one_line=True) == "line 1↵line 2↵ end"


def test_none_is_nothing_and_anything_else_its_text():
    assert visible(None) == ""
    assert visible(42) == "42"


@pytest.mark.parametrize("text", ["check [/] carton", "ZZ[/]2", "[red]x[/]", "[$accent]x"])
def test_safe_content_shows_markup_literally(text):
    content = safe(text, "bold")
    assert content.plain == text
    assert [span.style for span in content.spans] == ["bold"]


def test_safe_content_shows_controls_as_placeholders():
    assert safe(f"Acme{SET_TITLE}{CLEAR}").plain == "Acme␛]0;pwned␇␛[2J"


@pytest.mark.parametrize(
    "text",
    [
        "check [/] carton",
        "ZZ[/]2",
        "[red]x[/]",
        "[$accent]x",  # Textual's own escape() leaves this as markup
        "a\\[b]",  # and doubles this backslash
        "x\\",
        "[@click=app.quit]quit[/]",
        "[[b]]",
    ],
)
def test_escaped_markup_parses_back_to_the_text(text):
    assert Content.from_markup(escaped(text)).plain == text


def test_escaped_markup_shows_controls_as_placeholders():
    assert Content.from_markup(escaped(f"[b]{CLEAR}")).plain == "[b]␛[2J"


def test_an_input_shows_each_control_as_one_character_and_keeps_its_value():
    value = f"a{CLEAR}\u202eb\tc\x9b\n"
    shown = VISIBLE(Text(value))
    assert shown.plain == "a␛[2J�b\tc�↵"
    assert len(shown.plain) == len(value)  # the cursor's place is a character index
