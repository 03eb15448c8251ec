"""A record the operator entered, refused: every value at fault, so that a form shows each at
its field at once (``screens.form.at_fields``) and a command-line caller reads one sentence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    field: str
    message: str
    line: int | None = None  # 1-based position of the line, for a line's field

    def __str__(self) -> str:
        return f"Line {self.line}: {self.message}" if self.line else self.message


class Refused(ValueError):
    """``problems`` in the form's order: by line, then as ``fields`` lists them (top to bottom);
    ``field``, ``line`` and ``message`` are the first's."""

    def __init__(self, problems: Sequence[Problem], fields: Sequence[str] = ()):
        def place(p: Problem) -> tuple[int, int]:
            return (p.line or 0, fields.index(p.field) if p.field in fields else len(fields))

        self.problems = sorted(problems, key=place)
        first = self.problems[0]
        self.field, self.line, self.message = first.field, first.line, first.message
        super().__init__("; ".join(map(str, self.problems)))
