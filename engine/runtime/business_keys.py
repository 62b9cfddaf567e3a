"""Central numbering of requests: PREFIX-YEAR-NNNNNN, unique under concurrency."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from engine.store.schema import business_key_sequences
from engine.store.upsert import dialect_insert


def next_business_key(conn: Connection, prefix: str, now: datetime) -> str:
    # One atomic upsert: concurrent starts each get their own number (row lock on PostgreSQL,
    # the single writer on SQLite).
    stmt = dialect_insert(conn.dialect.name, business_key_sequences).values(
        prefix=prefix, year=now.year, last_value=1
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["prefix", "year"],
        set_={"last_value": business_key_sequences.c.last_value + 1},
    ).returning(business_key_sequences.c.last_value)
    value = conn.execute(stmt).scalar_one()
    return f"{prefix}-{now.year}-{value:06d}"
