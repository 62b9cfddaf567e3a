"""Datetime bounds of a range that hold on both databases.

On SQLite an instant is stored as text in one of two forms: with microseconds, or (written through
the DB-API's own adapter, as the fast path does) without them when they are zero. ``low``: the
shorter form, which sorts before both; otherwise the longer one, which sorts after both.
PostgreSQL compares timestamps.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, String, TypeDecorator, bindparam


class SqliteBound(TypeDecorator):
    impl = DateTime
    cache_ok = True

    def __init__(self, low: bool) -> None:
        super().__init__()
        self.low = low

    def load_dialect_impl(self, dialect: Any) -> Any:
        return dialect.type_descriptor(String() if dialect.name == "sqlite" else DateTime())

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        naive = value.astimezone(UTC).replace(tzinfo=None)
        if dialect.name != "sqlite":
            return naive
        text = naive.strftime("%Y-%m-%d %H:%M:%S")
        return text if self.low and not naive.microsecond else f"{text}.{naive.microsecond:06d}"


def bound(value: Any, low: bool) -> Any:
    """``value`` as a bind parameter of a range: a datetime as a ``SqliteBound``, anything else as is."""
    if isinstance(value, datetime):
        return bindparam(None, value, type_=SqliteBound(low))
    return value
