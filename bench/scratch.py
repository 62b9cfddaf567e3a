"""A benchmark's throwaway database: a temporary SQLite file, or a scratch schema of a PostgreSQL
database that is created for the run and dropped after it, with the schema migrated either way."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import text
from throwaway_key import use_throwaway_chain_key

from engine import Engine
from engine.config import Settings
from engine.store.database import Database


@contextmanager
def scratch_engine(
    name: str, postgres_url: str | None, clock: Any = None, sqlite_file: Path | None = None
) -> Iterator[Engine]:
    """An engine on a fresh database: SQLite in a temporary directory (or ``sqlite_file``, kept),
    or PostgreSQL's ``postgres_url`` in a schema of its own."""
    with tempfile.TemporaryDirectory() as tmp:
        scratch = None
        if postgres_url is None:
            url = f"sqlite:///{sqlite_file or Path(tmp) / f'{name}.db'}"
        else:
            scratch = f"bench_{name}_{int(time.time())}"
            use_throwaway_chain_key()
            admin = Database(postgres_url)
            with admin.engine.begin() as conn:
                conn.execute(text(f"CREATE SCHEMA {scratch}"))
            admin.dispose()
            separator = "&" if "?" in postgres_url else "?"
            url = f"{postgres_url}{separator}options=-csearch_path%3D{scratch}"
        engine = Engine(Settings.from_env(database_url=url), clock=clock)
        try:
            engine.upgrade_schema()
            yield engine
        finally:
            if scratch is not None:
                with engine.db.engine.begin() as conn:
                    conn.execute(text(f"DROP SCHEMA {scratch} CASCADE"))
            engine.close()


def vacuum_analyze(engine: Engine) -> None:
    """On PostgreSQL, what autovacuum would have done by now after a bulk fill."""
    if engine.db.dialect == "postgresql":
        with engine.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
