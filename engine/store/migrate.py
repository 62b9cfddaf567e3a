"""Schema migrations (Alembic), run programmatically so an installed package can upgrade itself.

Alembic is imported only when migrating: every ``approvals`` command checks the schema revision,
and a plain query does that faster than loading Alembic.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text

from engine.store.database import Database

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# The newest migration (tests/store/test_migrations.py checks it against the migrations directory).
SCHEMA_HEAD = "0013"


def _config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (idempotent)."""
    from alembic import command

    config = _config()
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def downgrade(db: Database, revision: str) -> None:
    """Take the schema back to ``revision`` (each migration's downgrade; data it added is dropped)."""
    from alembic import command

    config = _config()
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def current_revision(db: Database) -> str | None:
    # A read: on SQLite a plain connection would BEGIN IMMEDIATE and wait behind every writer.
    with db.read() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()
