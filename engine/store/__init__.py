"""Persistence: schema, connections/transactions and migrations."""

from engine.store.migrate import SCHEMA_HEAD, current_revision, head_revision, upgrade

__all__ = ["SCHEMA_HEAD", "current_revision", "head_revision", "upgrade"]
