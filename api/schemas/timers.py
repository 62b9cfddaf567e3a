"""Timers waiting to fire, fired, or stuck as incidents."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas.common import PageQuery, PageSchema
from api.schemas.fields import Id
from engine.statuses import PENDING, TIMER_STATUSES

ALL = "all"


class TimerListQuery(PageQuery):
    status = fields.String(load_default=PENDING, validate=validate.OneOf([*TIMER_STATUSES, ALL]))
    due = fields.Boolean(
        metadata={
            "description": "true: only timers already due (`due_at` at or before now); false or "
            "left out: due or not"
        }
    )
    instance = Id(strict=False, metadata={"description": "only the timers of this instance"})


class TimerSchema(Schema):
    id = fields.Integer(required=True)
    instance_id = fields.Integer(
        required=True, allow_none=True, metadata={"description": "null for a start timer"}
    )
    model_key = fields.String(required=True)
    element_id = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "start, catch or boundary"})
    expression = fields.String(required=True, allow_none=True, metadata={"example": "P3D"})
    due_at = fields.DateTime(required=True)
    status = fields.String(required=True, metadata={"description": "pending, fired, cancelled, incident"})
    attempts = fields.Integer(
        required=True, metadata={"description": "failed firings since the last success"}
    )
    next_attempt_at = fields.DateTime(
        required=True, allow_none=True, metadata={"description": "after a failure: the retry, backing off"}
    )
    last_error = fields.String(required=True, allow_none=True)
    fired_at = fields.DateTime(required=True, allow_none=True)


class TimerPageSchema(PageSchema):
    items = fields.List(fields.Nested(TimerSchema), required=True)
