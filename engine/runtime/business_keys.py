"""Central numbering of requests: PREFIX-YEAR-NNNNNN, unique under concurrency."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from engine.store.schema import business_key_sequences


def next_business_key(conn: Connection, prefix: str, now: datetime) -> str:
    # One atomic upsert: concurrent starts each get their own number (row lock on PostgreSQL,
    # the single writer on SQLite).
    module = sqlite if conn.dialect.name == "sqlite" else postgresql
    stmt = module.insert(business_key_sequences).values(prefix=prefix, year=now.year, last_value=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=["prefix", "year"],
        set_={"last_value": business_key_sequences.c.last_value + 1},
    ).returning(business_key_sequences.c.last_value)
    value = conn.execute(stmt).scalar_one()
    return f"{prefix}-{now.year}-{value:06d}"
