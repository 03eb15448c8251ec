"""Column types shared by every table: exact money/quantities and UTC timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.types import TypeDecorator

SCALE = 10_000  # four decimal places: enough for unit costs and fractional quantities


class Decimal4(TypeDecorator):
    """A Decimal stored as a scaled integer.

    SQLite has no exact decimal type; an integer of ten-thousandths is exact on both
    SQLite and PostgreSQL and still sorts and sums in SQL.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        scaled = (Decimal(value) * SCALE).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
        return int(scaled)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return (Decimal(int(value)) / SCALE).quantize(Decimal("0.0001"))


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC timestamps on every backend (stored naive UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; posync stores aware UTC timestamps only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)
