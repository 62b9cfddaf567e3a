"""Health."""

from __future__ import annotations

from marshmallow import Schema, fields


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"example": "ok"})
    database = fields.String(required=True, metadata={"description": "sqlite or postgresql"})
    schema_revision = fields.String(required=True, metadata={"description": "the Alembic revision"})
