"""ctrl+p: jump to a PO, vendor or warehouse batch by typing part of its number or name."""

from __future__ import annotations

import asyncio
from functools import partial

from textual.command import Hit, Hits, Provider
from textual.content import Content

from screens.safe_text import escaped, visible


class JumpProvider(Provider):
    async def search(self, query: str) -> Hits:
        runtime = getattr(self.app, "runtime", None)
        if runtime is None or not query.strip():
            return
        found = await asyncio.to_thread(_find, runtime.db, query)
        matcher = self.matcher(query)
        for record in found:
            score = matcher.match(record.label)
            yield Hit(
                max(score, 0.01),  # found by SQL containment even where fuzzy scores 0
                highlight(matcher, record.label),
                partial(self.app.open_record, record.kind, record.id),
                text=record.label,
                help=escaped(record.detail, one_line=True),
            )


def highlight(matcher, candidate: str) -> Content:
    """The matched letters highlighted; the candidate is data, never parsed as markup."""
    candidate = visible(candidate, one_line=True)  # the offsets matched are the shown ones
    content = Content(candidate)
    score, offsets = matcher.fuzzy_search.match(matcher.query, candidate)
    if score:
        for offset in offsets:
            if not candidate[offset].isspace():
                content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


def _find(db, query: str) -> list:
    from posync_tui.services.batch_lines import find_batches
    from posync_tui.services.lookup import find

    return [*find_batches(db, query), *find(db, query)]
