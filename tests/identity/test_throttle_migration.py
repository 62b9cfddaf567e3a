"""Migration 0006 adds the login_throttle table and takes it away again, leaving users alone."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from engine.store import migrate
from engine.store.database import Database
from tests.conftest import ON_POSTGRES, PG_URL, _schema_url


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[Database]:
    """A database with no schema at all (its own PostgreSQL schema, not the session's)."""
    if not ON_POSTGRES:
        db = Database(f"sqlite:///{tmp_path / 'empty.db'}")
        yield db
        db.dispose()
        return
    schema = f"approvals_test_migration_0006_{os.getpid()}"
    admin = Database(PG_URL)
    with admin.engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    db = Database(_schema_url(schema))
    yield db
    db.dispose()
    with admin.engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


def tables(db: Database) -> set[str]:
    with db.engine.connect() as conn:
        return set(inspect(conn).get_table_names())


def test_0006_up_down_up(empty_database: Database) -> None:
    db = empty_database
    migrate.upgrade(db, "0005")
    assert "login_throttle" not in tables(db)
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (name, active, created_at, password_hash) "
                "VALUES ('fay', true, '2026-01-01 00:00:00', 'scrypt$00$00')"
            )
        )
    migrate.upgrade(db, "0006")
    assert "login_throttle" in tables(db)
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO login_throttle (scope, subject, failures, updated_at) "
                "VALUES ('user', 'fay', 3, '2026-01-01 00:00:00')"
            )
        )
    migrate.downgrade(db, "0005")
    assert "login_throttle" not in tables(db)
    with db.engine.connect() as conn:
        assert conn.scalar(text("SELECT password_hash FROM users WHERE name = 'fay'")) == "scrypt$00$00"
    migrate.upgrade(db)
    assert "login_throttle" in tables(db)
