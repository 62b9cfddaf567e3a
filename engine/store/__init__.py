"""Persistence: schema, connections/transactions and migrations."""
