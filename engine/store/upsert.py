"""INSERT … ON CONFLICT for the two dialects we run on (both spell it the same way)."""

from __future__ import annotations

import importlib
from typing import Any

from sqlalchemy import Table, bindparam


def dialect_insert(dialect: str, table: Table) -> Any:
    """The dialect's own INSERT (the one with ``on_conflict_do_update``). The dialect is imported here,
    when its database is in use: SQLAlchemy's PostgreSQL package would cost every SQLite command
    ~0.07 s of start-up (docs/engineering.md, "Test suite time")."""
    module = importlib.import_module(
        "sqlalchemy.dialects.sqlite" if dialect == "sqlite" else "sqlalchemy.dialects.postgresql"
    )
    return module.insert(table)


def upsert_statement(dialect: str, table: Table, keys: list[str], update: list[str]) -> Any:
    """INSERT … ON CONFLICT (keys) DO UPDATE SET ``update``, every column a bind parameter named
    after it: built once, executed with rows."""
    stmt = dialect_insert(dialect, table).values({c: bindparam(c) for c in keys + update})
    return stmt.on_conflict_do_update(index_elements=keys, set_={c: stmt.excluded[c] for c in update})
