"""Test fixtures: a real database per test (SQLite by default, PostgreSQL when
APPROVALS_TEST_DATABASE_URL is set, as `make test-postgres` does), a real engine, a movable clock."""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from engine import Engine
from engine.clock import ManualClock
from engine.config import Settings
from engine.history.keys import create_key_file
from engine.store import migrate
from engine.store.database import Database
from engine.store.schema import metadata

PG_URL = os.environ.get("APPROVALS_TEST_DATABASE_URL", "")
ON_POSTGRES = PG_URL.startswith("postgres")
FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent
BENCH_MODELS = REPO / "bench" / "models"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if ON_POSTGRES or os.environ.get("APPROVALS_COLD_COMMANDS") == "1":
        # The PostgreSQL pass is for what a database does, the cold pass for rebuilding instances
        # from it: a test that opens no database (the FEEL and JUEL tables, the sandbox's escapes,
        # SpiffWorkflow's own runs) answers the same in the first pass, so it runs there only.
        uses_database = [
            item
            for item in items
            if any("database" in name for name in getattr(item, "fixturenames", ()))
            or "postgres" in item.keywords
        ]
        if len(uses_database) < len(items):
            kept = set(uses_database)
            config.hook.pytest_deselected(items=[item for item in items if item not in kept])
            items[:] = uses_database
    # The long tests first (those that start processes or walk long scenarios): run last, one of them
    # keeps a worker busy while the other has nothing left to do (xdist hands out tests in this order).
    items.sort(key=lambda item: "slow" not in item.keywords)
    if ON_POSTGRES:
        return
    skip = pytest.mark.skip(reason="needs APPROVALS_TEST_DATABASE_URL=postgresql://… (make test-postgres)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def _schema_url(schema: str) -> str:
    separator = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{separator}options=-csearch_path%3D{schema}"


# Per PostgreSQL test schema: one connection pool, and the one statement that empties the schema.
_PG_RESET: dict[str, tuple[Database, str]] = {}


def _empty_schema_statement(db: Database) -> str:
    """DELETE from every table (children first) and restart every sequence, as one round trip.

    Not TRUNCATE … RESTART IDENTITY: TRUNCATE gives each table and index a new file, ~20 times the
    cost of deleting the few rows a test leaves (measured: 650 against 30 ms a test, docs/engineering.md
    "Test suite time"); the ids start at 1 again either way.
    """
    with db.engine.begin() as conn:
        sequences = conn.execute(
            text(
                "SELECT sequence_name FROM information_schema.sequences "
                "WHERE sequence_schema = current_schema() ORDER BY sequence_name"
            )
        ).scalars()
        restarts = [f"ALTER SEQUENCE {name} RESTART" for name in sequences]
    deletes = [f"DELETE FROM {table.name}" for table in reversed(metadata.sorted_tables)]
    return "; ".join(deletes + restarts)


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A schema migrated once per test session (per xdist worker): a template file, or a PG schema."""
    if ON_POSTGRES:
        # The pid keeps two test runs on one server (a session and its CI, say) out of each other's way.
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        schema = f"approvals_test_{worker}_{os.getpid()}"
        admin = Database(PG_URL)
        with admin.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        url = _schema_url(schema)
        db = Database(url)
        migrate.upgrade(db)
        _PG_RESET[url] = (db, _empty_schema_statement(db))
        yield url
        del _PG_RESET[url]
        db.dispose()
        with admin.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()
    else:
        template = tmp_path_factory.mktemp("template") / "approvals.db"
        db = Database(f"sqlite:///{template}")
        migrate.upgrade(db)
        db.dispose()
        yield str(template)


@pytest.fixture
def database_url(migrated_database: str, tmp_path: Path) -> str:
    """An empty, migrated database for this test."""
    if ON_POSTGRES:
        db, empty_schema = _PG_RESET[migrated_database]
        with db.engine.begin() as conn:
            conn.exec_driver_sql(empty_schema)
        return migrated_database
    target = tmp_path / "approvals.db"
    shutil.copyfile(migrated_database, target)
    return f"sqlite:///{target}"


@pytest.fixture(autouse=True)
def _verify_reload(request: pytest.FixtureRequest) -> None:
    """APPROVALS_VERIFY_RELOAD=1: every command of every test checks that the instance rebuilt from
    the database equals the live workflow (tests/reload_check.py; always on in tests/process_models)."""
    if os.environ.get("APPROVALS_VERIFY_RELOAD") == "1":
        from tests.reload_check import install

        install(request.getfixturevalue("monkeypatch"))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))


@functools.cache
def pg_chain_key_file() -> Path:
    """A server database signs with a configured key only (engine/history/keys.py): one per test
    process, shared by its engines and the server and worker processes its tests start."""
    path = Path(tempfile.mkdtemp(prefix="approvals-keys-")) / "chain-keys"
    create_key_file(path, unkeyed_through=0)
    return path


def process_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of an `approvals` process a test starts on ``database_url``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPROVALS_")}
    env["APPROVALS_DATABASE_URL"] = database_url
    if ON_POSTGRES:
        env["APPROVALS_CHAIN_KEY_FILE"] = str(pg_chain_key_file())
    return {**env, **extra}


@pytest.fixture
def make_engine(database_url: str, clock: ManualClock) -> Iterator[Callable[..., Engine]]:
    """Engines on the test database; each one is what a separate server process would hold."""
    engines: list[Engine] = []

    def make(**overrides: object) -> Engine:
        # Argon2 at the lowest cost the configuration allows (8 ms a hash instead of 46): tests add
        # people with passwords by the hundred. The tests of the hashing itself set their own cost.
        overrides.setdefault("password_memory_kib", 8192)
        overrides.setdefault("password_time_cost", 1)
        if ON_POSTGRES and not (overrides.get("chain_keys") or overrides.get("chain_key_file")):
            overrides["chain_key_file"] = str(pg_chain_key_file())
        settings = Settings.from_env(database_url=database_url, verify_state=True, **overrides)
        engine = Engine(settings, clock=clock)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()


@pytest.fixture
def engine(make_engine: Callable[..., Engine]) -> Engine:
    return make_engine()
