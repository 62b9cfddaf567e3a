"""Incidents across their sources: failed timers, external tasks without retries, call activities
that could not start, stalled instances."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas.common import PageQuery, PageSchema
from api.schemas.fields import Text
from engine.incidents import KINDS


class IncidentListQuery(PageQuery):
    kind = fields.String(validate=validate.OneOf(KINDS), metadata={"description": "only this kind"})
    model = Text(length=(1, 200), metadata={"description": "only the incidents of this model key"})


class IncidentSchema(Schema):
    kind = fields.String(required=True, metadata={"description": ", ".join(KINDS)})
    id = fields.String(
        required=True,
        metadata={
            "description": "the incident in its source: a timer id, an external task id, a call id, or "
            "(stalled) the instance id; with `kind`, what `POST /incidents/{kind}/{id}/retry` names"
        },
    )
    instance_id = fields.Integer(
        required=True, allow_none=True, metadata={"description": "null: a start timer"}
    )
    business_key = fields.String(required=True, allow_none=True)
    model_key = fields.String(required=True)
    model_version = fields.Integer(required=True)
    element_id = fields.String(required=True, allow_none=True)
    cause = fields.String(required=True, metadata={"description": "the error, as recorded"})
    since = fields.DateTime(required=True, metadata={"description": "when it became an incident"})
    attempts = fields.Integer(
        required=True, allow_none=True, metadata={"description": "timers: failed firings"}
    )
    retry = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "what a retry does; null: it cannot be retried"},
    )
    may_retry = fields.Boolean(required=True, metadata={"description": "whether the caller may retry it"})


class IncidentPageSchema(PageSchema):
    items = fields.List(fields.Nested(IncidentSchema), required=True)


class RetriedSchema(Schema):
    kind = fields.String(required=True)
    id = fields.String(required=True)
    instance_id = fields.Integer(required=True, allow_none=True)
