from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from engine.store import migrate
from engine.store.database import Database
from engine.store.schema import metadata


def test_migrations_create_exactly_the_declared_schema(database_url):
    db = Database(database_url)
    try:
        assert migrate.current_revision(db) == migrate.head_revision()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), metadata)
        assert diff == []
    finally:
        db.dispose()


def test_upgrade_is_idempotent(database_url):
    db = Database(database_url)
    try:
        migrate.upgrade(db)
        migrate.upgrade(db)
        assert migrate.current_revision(db) == migrate.head_revision()
    finally:
        db.dispose()


def test_the_schema_head_constant_names_the_newest_migration():
    assert migrate.head_revision() == migrate.SCHEMA_HEAD
