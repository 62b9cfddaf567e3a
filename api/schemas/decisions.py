"""Evaluating a deployed model's decision tables."""

from __future__ import annotations

from marshmallow import Schema, fields

from api.schemas.fields import Id, JsonObject, Text


class EvaluateBody(Schema):
    decision = Text(
        allow_none=True,
        length=(1, 300),
        metadata={"description": "decision id or name; default: the one no other decision requires"},
    )
    version = Id(allow_none=True, metadata={"description": "default: the latest version"})
    input = JsonObject(required=True, metadata={"example": {"amount": 500000}})


class DecisionTraceSchema(Schema):
    decision_id = fields.String(required=True)
    decision_name = fields.String(required=True)
    inputs = JsonObject(required=True)
    matched_rules = fields.List(fields.String(), required=True)
    outputs = fields.Raw(required=True, allow_none=True)


class EvaluationSchema(Schema):
    results = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(allow_none=True),
        required=True,
        metadata={"description": "decision name -> result, for the decision and every one it requires"},
    )
    trace = fields.List(fields.Nested(DecisionTraceSchema), required=True)
