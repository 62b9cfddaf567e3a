"""Alembic environment: runs against the connection handed over by engine.store.migrate."""

from alembic import context

from engine.store.schema import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `approvals db upgrade` (engine.store.migrate)")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
