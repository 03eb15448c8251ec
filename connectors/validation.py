"""Partner JSON checked by pydantic: the field types contracts share, and errors in plain words.

A contract's records are dataclasses whose fields are annotated with the types below; pydantic
validates a decoded body into them (``validate``). Whatever is wrong becomes one
MalformedResponse whose ``where`` is the field's path ("$.lines[2].quantity_ordered") and whose
message says it plainly ("lines[2].quantity_ordered: number too large") — never an
OverflowError or ValueError from a year-1 timestamp or a 400-digit number.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from connectors.errors import MalformedResponse

T = TypeVar("T")

# Quantities and money are stored as ten-thousandths in a 64-bit integer; well below that.
AMOUNT_LIMIT = Decimal("1e12")
WHOLE_LIMIT = 2**31 - 1


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticCustomError("bool_number", "true/false is not a number")
    return value


def _text_only(value: Any) -> Any:
    if value is not None and not isinstance(value, str):
        raise PydanticCustomError("string_type", "not text")
    return value


def _blank_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _utc(value: datetime) -> datetime:
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise PydanticCustomError(
            "timestamp_range", "{value} is out of range in UTC", {"value": value.isoformat()}
        ) from None


def _text(max_length: int | None) -> StringConstraints:
    """Text, stripped, not empty, at most ``max_length`` characters (None: no limit)."""
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


# The Optional kinds take None too, and an empty string as None.
_BLANK_IS_NONE = BeforeValidator(_blank_is_none)
Text = Annotated[str, _text(40)]
OptionalText = Annotated[Annotated[str, _text(40)] | None, _BLANK_IS_NONE]
RequiredLongText = Annotated[str, _text(None)]
LongText = Annotated[Annotated[str, _text(None)] | None, _BLANK_IS_NONE]
# A UPC, EAN or GTIN-14 code, or None.
Upc = Annotated[Annotated[str, _text(14)] | None, _BLANK_IS_NONE]

Amount = Annotated[
    Decimal,
    Field(ge=0, lt=AMOUNT_LIMIT, allow_inf_nan=False),
    BeforeValidator(_not_bool),
]
Whole = Annotated[int, Field(strict=True, ge=0, le=WHOLE_LIMIT)]
Day = Annotated[date, BeforeValidator(_text_only)]
Timestamp = Annotated[datetime, BeforeValidator(_text_only), AfterValidator(_utc)]


def validate(
    adapter: TypeAdapter[T],
    data: Any,
    what: str,
    *,
    detail: Any = None,
    words: Callable[[ErrorDetails], str | None] | None = None,
) -> T:
    """``data`` as the adapter's type, or MalformedResponse "{what} is malformed: {path}: ..."."""
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        where = dotted(error["loc"])
        plain = (words and words(error)) or plain_words(error)
        shown = f"{where}: {plain}" if where else plain
        raise MalformedResponse(
            f"{what} is malformed: {shown}", where="$" + _prefixed(where), detail=detail
        ) from None


def dotted(loc: tuple) -> str:
    """("lines", 2, "quantity") → "lines[2].quantity"."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out.lstrip(".")


def _prefixed(where: str) -> str:
    return where if not where or where.startswith("[") else f".{where}"


def shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def plain_words(error: ErrorDetails) -> str:
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "missing":
        return "missing"
    if kind in ("dict_type", "dataclass_type", "model_type", "model_attributes_type"):
        return "not a JSON object"
    if kind in ("list_type", "tuple_type"):
        return "not a list"
    if kind == "string_type":
        return "not text"
    if kind == "string_too_short":
        return "empty"
    if kind == "string_too_long":
        return f"longer than {ctx['max_length']} characters"
    if kind.startswith("int_"):
        return f"{shown(value)} is not a whole number"
    if kind in ("decimal_parsing", "decimal_type", "finite_number"):
        return f"{shown(value)} is not a number"
    if kind in ("less_than", "less_than_equal"):
        return f"number too large ({shown(value)})"
    if kind in ("greater_than", "greater_than_equal"):
        limit = ctx.get("ge", ctx.get("gt"))
        if limit == 0:
            name = str(error["loc"][-1]).replace("_", " ") if error["loc"] else "number"
            return f"negative {name} ({shown(value)})"
        return f"below {limit} ({shown(value)})"
    if kind.startswith("date_"):
        return f"{shown(value)} is not a date"
    if kind.startswith("datetime_") or kind == "timezone_aware":
        return f"{shown(value)} is not a timestamp"
    if kind == "literal_error":
        return f"{shown(value)} is not one of {ctx['expected']}"
    return error["msg"]
