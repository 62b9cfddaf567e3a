"""INSERT … ON CONFLICT for the two dialects we run on (both spell it the same way)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite


def _insert(dialect: str, table: Table) -> Any:
    return (sqlite if dialect == "sqlite" else postgresql).insert(table)


def upsert_statement(dialect: str, table: Table, keys: list[str], update: list[str]) -> Any:
    """INSERT … ON CONFLICT (keys) DO UPDATE SET ``update``, every column a bind parameter named
    after it: built once, executed with rows."""
    stmt = _insert(dialect, table).values({c: bindparam(c) for c in keys + update})
    return stmt.on_conflict_do_update(index_elements=keys, set_={c: stmt.excluded[c] for c in update})
