"""What an action on a list touches: the marked rows its filter shows, or else the cursor's row.

Marks outlive a filter: rows marked and then filtered out stay marked, but an action leaves them
alone (the operator cannot see them). ``Selection`` says what is touched and how many marks are
left alone, in the words a confirmation uses.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Selection:
    keys: list[int]  # the rows the action touches
    marked: bool = False  # rows are marked: ``keys`` are those the filter shows (maybe none)
    hidden: int = 0  # marked rows the filter hides

    def words(self, noun: str, plural: str) -> str:
        """The rows touched: "2 POs", or "4 marked POs" when the filter hides some marks."""
        count = len(self.keys)
        marked = "marked " if self.hidden else ""
        return f"{count:,} {marked}{noun if count == 1 else plural}"

    def untouched(self) -> str:
        """The end of a question, before its "?": " (24 more marked are hidden by the filter
        and will not be touched)", or nothing when the filter hides no marks."""
        if not self.hidden:
            return ""
        are = "is" if self.hidden == 1 else "are"
        return f" ({self.hidden:,} more marked {are} hidden by the filter and will not be touched)"

    def all_hidden(self, noun: str, plural: str) -> str | None:
        """Why nothing is touched although rows are marked: the filter hides every mark."""
        if self.keys or not self.marked:
            return None
        if self.hidden == 1:
            return f"The marked {noun} is hidden by the filter: nothing was done (esc clears it)."
        return (
            f"All {self.hidden:,} marked {plural} are hidden by the filter: nothing was done "
            "(esc clears it)."
        )
