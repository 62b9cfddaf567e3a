"""Deployed models, their versions and files."""

from __future__ import annotations

from marshmallow import Schema, fields

from api.schemas.common import ProblemItemSchema
from api.schemas.fields import JsonObject


class FileSchema(Schema):
    name = fields.String(required=True, metadata={"example": "forms/approve.json"})
    kind = fields.String(required=True, metadata={"description": "bpmn, dmn, form or meta"})
    size = fields.Integer(required=True)
    sha256 = fields.String(required=True)


class VersionSchema(Schema):
    id = fields.Integer(required=True)
    model_key = fields.String(required=True)
    version = fields.Integer(required=True)
    name = fields.String(required=True, allow_none=True)
    content_hash = fields.String(required=True)
    deployed_by = fields.String(required=True)
    deployed_at = fields.DateTime(required=True)
    note = fields.String(required=True, allow_none=True)
    info = JsonObject(required=True, metadata={"description": "model.toml values and deploy warnings"})
    files = fields.List(fields.Nested(FileSchema), required=True)


class VersionListSchema(Schema):
    items = fields.List(fields.Nested(VersionSchema), required=True)


class ModelSummarySchema(Schema):
    model_key = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    latest_version = fields.Integer(required=True)
    versions = fields.Integer(required=True)
    deployed_at = fields.DateTime(required=True, metadata={"description": "of the latest version"})


class ModelListSchema(Schema):
    items = fields.List(fields.Nested(ModelSummarySchema), required=True)


class DeployResultSchema(Schema):
    created = fields.Boolean(
        required=True, metadata={"description": "false: identical to the latest version, which is returned"}
    )
    version = fields.Nested(VersionSchema, required=True)
    warnings = fields.List(fields.Nested(ProblemItemSchema), required=True)


class ValidationReportSchema(Schema):
    model_key = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    warnings = fields.List(fields.Nested(ProblemItemSchema), required=True)
