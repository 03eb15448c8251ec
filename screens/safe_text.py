"""Text from outside posync made safe to show. Every partner-supplied or operator-typed string
passes through here before it reaches the screen: ``safe`` (``Content``, the usual way),
``visible`` (a plain string: a table cell, a toast), ``escaped`` (an API that takes only markup),
``VISIBLE`` (the highlighter of an ``Input`` holding such text).

A vendor name, a note or a partner's error body is data: Rich markup in it shows literally
(``safe`` never parses it; toasts are plain text, see ``PosyncApp.notify``), and the characters a
terminal would obey instead of print (ESC and the other C0 and C1 controls, DEL, bidi overrides
that reorder what follows, lone surrogates that cannot be written) show as visible placeholders,
so such text can neither set the terminal's title, clear the screen nor disguise itself.
"""

from __future__ import annotations

import re

from rich.highlighter import Highlighter
from rich.text import Text
from textual.content import Content

_C0 = {code: chr(0x2400 + code) for code in range(0x20)}  # ␀ … ␟ (ESC is ␛)
_C0[0x7F] = "␡"
_UNSEEN = {
    code: f"‹U+{code:04X}›"
    for code in (
        *range(0x80, 0xA0),  # C1 controls (0x9B is CSI, an escape sequence in one character)
        *range(0x202A, 0x202F),  # bidi embeddings and overrides
        *range(0x2066, 0x206A),  # bidi isolates
        0x2028,  # line and paragraph separators: a line break a cell cannot hold
        0x2029,
        *range(0xD800, 0xE000),  # lone surrogates (from partner JSON): unwritable
    )
}
# Multi-line text (details, toasts) keeps its line breaks and tabs; a one-line cell or title shows
# a line break as ↵ and a tab as a space.
_MULTI_LINE = str.maketrans({**_C0, **_UNSEEN, 0x09: "\t", 0x0A: "\n", 0x0D: "\n"})
_ONE_LINE = str.maketrans({**_C0, **_UNSEEN, 0x09: " ", 0x0A: "↵", 0x0D: "↵"})
_SHOWN_OTHERWISE = "".join(re.escape(chr(code)) for code in (*_C0, *_UNSEEN))
_PLAIN = re.compile(f"[^{_SHOWN_OTHERWISE}]*")
# An Input's cursor counts characters: there each one shows as one (a tab it expands itself).
_IN_INPUT = str.maketrans({**_C0, **dict.fromkeys(_UNSEEN, "�"), 0x09: "\t", 0x0A: "↵", 0x0D: "↵"})


def visible(text: object, *, one_line: bool = False) -> str:
    """``text`` (``None`` as "") with every control, bidi override and lone surrogate shown as a
    visible placeholder; markup is left as it is, so pass the result only where it is not
    parsed (``Content``, a strip's segments, a toast)."""
    text = "" if text is None else str(text)
    if _PLAIN.fullmatch(text):  # most text: matching is much faster than translating
        return text
    return text.replace("\r\n", "\n").translate(_ONE_LINE if one_line else _MULTI_LINE)


def safe(text: object, style: str = "", *, one_line: bool = False) -> Content:
    """``text`` as ``Content`` (optionally styled): shown literally, never parsed as markup."""
    return Content.styled(visible(text, one_line=one_line), style)


def escaped(text: object, *, one_line: bool = False) -> str:
    """``visible(text)`` as markup that shows it literally, for the few Textual APIs that take
    only markup (a command palette hit's help). Textual's own ``escape`` is not enough: it
    leaves ``[$var]`` and doubles backslashes; escaping every ``[`` round-trips."""
    return visible(text, one_line=one_line).replace("[", "\\[")


class VisibleControls(Highlighter):
    """An ``Input``'s highlighter for outside text (``Input(value, highlighter=VISIBLE)``): its
    value is kept as it is and shown with every control as one visible character."""

    def highlight(self, text: Text) -> None:
        text.plain = text.plain.translate(_IN_INPUT)


VISIBLE = VisibleControls()
