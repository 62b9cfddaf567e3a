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


class ModelPageSchema(Schema):
    model_key = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    latest = fields.Nested(VersionSchema, required=True)
    start_form = JsonObject(
        required=True, allow_none=True, metadata={"description": "the start form's JSON Schema, or null"}
    )
    starter_groups = fields.List(
        fields.String(), required=True, metadata={"description": "empty: anyone may start it"}
    )
    may_start = fields.Boolean(required=True, metadata={"description": "whether the caller may start it"})


class ModelListSchema(Schema):
    items = fields.List(fields.Nested(ModelSummarySchema), required=True)


class DeployResultSchema(Schema):
    created = fields.Boolean(
        required=True, metadata={"description": "false: identical to the latest version, which is returned"}
    )
    version = fields.Nested(VersionSchema, required=True)
    warnings = fields.List(fields.Nested(ProblemItemSchema), required=True)
    deployed = fields.List(
        fields.Nested("DeployedModelSchema"),
        required=True,
        metadata={
            "description": "every model deployed: one per executable process of the BPMN file "
            "(`version` above is the first)"
        },
    )


class DeployedModelSchema(Schema):
    model_key = fields.String(required=True)
    version = fields.Integer(required=True)
    created = fields.Boolean(required=True)


class ValidatedModelSchema(Schema):
    model_key = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    warnings = fields.List(fields.Nested(ProblemItemSchema), required=True)


class ValidationReportSchema(ValidatedModelSchema):
    """The file's first executable process at the top (as before several were allowed), and each."""

    models = fields.List(
        fields.Nested(ValidatedModelSchema),
        required=True,
        metadata={"description": "every executable process of the file: each deploys as a model"},
    )
