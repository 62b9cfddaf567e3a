"""The inbox: tasks, their forms, and completing them."""

from __future__ import annotations

from dataclasses import fields as dataclass_fields
from typing import Any

from marshmallow import Schema, fields, pre_dump, validate

from api.schemas.common import PageQuery, PageSchema
from api.schemas.fields import Id, JsonObject, Moment, Text, UserName
from engine.statuses import OPEN, TASK_STATUSES
from engine.tasks import DUE_WINDOWS, TaskDetail, TaskInfo

ME = "me"


class TaskListQuery(PageQuery):
    assignee = UserName(metadata={"description": "`me` or a user name: tasks they hold"})
    candidate = fields.String(
        validate=validate.OneOf([ME]), metadata={"description": "`me`: unassigned tasks I may claim"}
    )
    status = fields.String(load_default=OPEN, validate=validate.OneOf([*TASK_STATUSES, "all"]))
    model = Text(length=(1, 200))
    instance = Id(strict=False)
    overdue = fields.Boolean(
        metadata={"description": "true: only overdue tasks; false: only tasks not overdue"}
    )
    inbox = fields.String(
        validate=validate.OneOf([ME]),
        metadata={"description": "`me`: my inbox, the tasks I hold and those I may claim"},
    )
    business_key = Text(
        length=(1, 101),
        metadata={"description": "exact, or a prefix when it ends with `*` (`MKT-2026-*`)"},
    )
    text = Text(
        length=(1, 300),
        metadata={
            "description": "case-insensitive part of the task's name or business key (`%`, `_` are plain)"
        },
    )
    due = fields.String(
        validate=validate.OneOf(DUE_WINDOWS),
        metadata={
            "description": "`overdue`; `today`, `week` (today and the 6 days after, on the calendar "
            "of `tz`); `none`: no deadline"
        },
    )
    tz = Text(
        length=(1, 64),
        metadata={
            "description": "IANA time zone of `today` and `week` (default UTC)",
            "example": "Asia/Shanghai",
        },
    )
    due_after = Moment(metadata={"description": "due at or after (ISO 8601; without an offset, UTC)"})
    due_before = Moment(metadata={"description": "due before"})
    min_priority = fields.Integer(validate=validate.Range(0, 10**6))
    include_suspended = fields.Boolean(load_default=False)
    after = Text(
        length=(1, 500),
        metadata={
            "description": "`next_cursor` of the previous page: the page after it, as fast deep in the "
            "list as on top (not with `offset`; keep `sort` and `order`)"
        },
    )
    sort = fields.String(load_default="due", validate=validate.OneOf(["due", "priority", "created"]))
    order = fields.String(
        load_default="asc",
        validate=validate.OneOf(["asc", "desc"]),
        metadata={"description": "asc: earliest due/created first, or most urgent priority first"},
    )


class TaskSchema(Schema):
    id = fields.Integer(required=True)
    instance_id = fields.Integer(required=True)
    model_key = fields.String(required=True)
    business_key = fields.String(required=True, allow_none=True)
    element_id = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, metadata={"description": "open, completed, cancelled"})
    assignee = fields.String(required=True, allow_none=True)
    candidate_groups = fields.List(fields.String(), required=True)
    candidate_users = fields.List(fields.String(), required=True)
    created_at = fields.DateTime(required=True)
    claimed_at = fields.DateTime(required=True, allow_none=True)
    completed_at = fields.DateTime(required=True, allow_none=True)
    completed_by = fields.String(required=True, allow_none=True)
    due_at = fields.DateTime(required=True, allow_none=True)
    priority = fields.Integer(required=True)
    form_key = fields.String(required=True, allow_none=True)
    is_approval = fields.Boolean(required=True)
    suspended = fields.Boolean(required=True)
    overdue = fields.Boolean(required=True)


class TaskPageSchema(PageSchema):
    items = fields.List(fields.Nested(TaskSchema), required=True)
    next_cursor = fields.String(
        required=True, allow_none=True, metadata={"description": "`after` of the next page; null on the last"}
    )


class TaskRightsSchema(Schema):
    claim = fields.Boolean(required=True)
    unclaim = fields.Boolean(required=True)
    complete = fields.Boolean(required=True)


class TaskDetailSchema(TaskSchema):
    form = JsonObject(required=True, allow_none=True, metadata={"description": "the form's JSON Schema"})
    data = JsonObject(required=True, metadata={"description": "the instance's current data"})
    initiator = fields.String(required=True, metadata={"description": "who started the request"})
    may = fields.Nested(
        TaskRightsSchema,
        required=True,
        metadata={"description": "what the caller may do with the task now (the commands check again)"},
    )

    @pre_dump
    def _flatten(self, detail: Any, **kwargs: Any) -> Any:
        if not isinstance(detail, TaskDetail):
            return detail
        values = {f.name: getattr(detail.task, f.name) for f in dataclass_fields(TaskInfo)}
        return {
            **values,
            "form": detail.form,
            "data": detail.data,
            "initiator": detail.initiator,
            "may": vars(detail.may),
        }


class AssignBody(Schema):
    user = UserName(required=True)


class CompleteBody(Schema):
    data = JsonObject(load_default=dict, metadata={"description": "the task form's fields"})


class CompletionSchema(Schema):
    task = fields.Nested(TaskSchema, required=True)
    instance_status = fields.String(required=True)
    next_tasks = fields.List(
        fields.Nested(TaskSchema), required=True, metadata={"description": "tasks this completion created"}
    )


class InboxCountsSchema(Schema):
    total = fields.Integer(required=True, metadata={"description": "tasks I hold or may claim"})
    assigned_to_me = fields.Integer(required=True)
    claimable = fields.Integer(required=True)
    overdue = fields.Integer(required=True, metadata={"description": "of the total"})
