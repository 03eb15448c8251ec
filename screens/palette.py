"""ctrl+p: jump to a PO, vendor or warehouse batch by typing part of its number or name, or to
any area.

The areas offered are the app's own key bindings (every one with a description), so an area
added with a show=False binding is reached here too without a change to this module.
"""

from __future__ import annotations

import asyncio
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
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


class AreasProvider(Provider):
    """Every app-level key (the areas, Connectors, run now, help) by its description."""

    def _commands(self) -> list[tuple[str, str, str]]:
        found = []
        for binding in Binding.make_bindings(self.app.BINDINGS):
            if binding.description and binding.action != "quit":
                key = self.app.get_key_display(binding)
                found.append((binding.description, binding.action, key))
        return found

    async def discover(self) -> Hits:
        for description, action, key in self._commands():
            yield DiscoveryHit(description, partial(self._run, action), help=f"key {key}")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for description, action, key in self._commands():
            score = matcher.match(description)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(description),
                    partial(self._run, action),
                    text=description,
                    help=f"key {key}",
                )

    async def _run(self, action: str) -> None:
        await self.app.run_action(action)


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
