"""The process overview: counts per version, and where a version's instances wait and how long."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas.fields import Moment
from engine.overview import MAX_DAYS


class PeriodQuery(Schema):
    days = fields.Integer(
        strict=False,
        validate=validate.Range(1, MAX_DAYS),
        metadata={
            "description": "the last N days up to now (default 30); with `until`, the N days before it"
        },
    )
    since = Moment(
        metadata={"description": "start of the period, inclusive (ISO 8601; without an offset, UTC)"}
    )
    until = Moment(metadata={"description": "end of the period, exclusive (default now)"})


class VersionCountsSchema(Schema):
    model_key = fields.String(required=True)
    version = fields.Integer(required=True)
    name = fields.String(required=True, allow_none=True)
    deployed_at = fields.DateTime(required=True)
    running = fields.Integer(required=True, metadata={"description": "instances running now"})
    suspended = fields.Integer(required=True, metadata={"description": "instances suspended now"})
    completed = fields.Integer(required=True, metadata={"description": "instances that ended in the period"})
    cancelled = fields.Integer(required=True, metadata={"description": "instances cancelled in the period"})
    open_tasks = fields.Integer(required=True, metadata={"description": "open user tasks now"})
    overdue_tasks = fields.Integer(
        required=True, metadata={"description": "open user tasks past their due date"}
    )
    incidents = fields.Integer(
        required=True,
        metadata={
            "description": "instances stopped by an error, timers and external tasks out of retries, now"
        },
    )


class OverviewSchema(Schema):
    since = fields.DateTime(required=True)
    until = fields.DateTime(required=True)
    items = fields.List(fields.Nested(VersionCountsSchema), required=True)


class WaitFiguresSchema(Schema):
    count = fields.Integer(required=True)
    median_seconds = fields.Float(required=True, allow_none=True, attribute="median")
    p90_seconds = fields.Float(required=True, allow_none=True, attribute="p90")


class ElementWaitsSchema(Schema):
    element_id = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    kind = fields.String(required=True, metadata={"description": "userTask or externalTask"})
    completed = fields.Nested(
        WaitFiguresSchema,
        required=True,
        metadata={"description": "tasks completed in the period: from created to completed"},
    )
    waiting = fields.Nested(
        WaitFiguresSchema, required=True, metadata={"description": "tasks open now: from created to now"}
    )


class VersionWaitsSchema(Schema):
    model_key = fields.String(required=True)
    version = fields.Integer(required=True)
    since = fields.DateTime(required=True, attribute="period.since")
    until = fields.DateTime(required=True, attribute="period.until")
    now = fields.DateTime(required=True)
    elements = fields.List(
        fields.Nested(ElementWaitsSchema), required=True, metadata={"description": "longest p90 first"}
    )
