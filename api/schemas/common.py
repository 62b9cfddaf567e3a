"""Shapes shared by every resource: the problem document, paging."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, pre_dump, validate

from api.paging import MAX_LIMIT
from api.schemas.fields import Text
from engine.errors import Problem


class ProblemItemSchema(Schema):
    """One thing wrong with the input, and where (engine ``Problem.as_dict()``)."""

    @pre_dump
    def _as_dict(self, value: Any, **kwargs: Any) -> Any:
        # Absent rather than null: a problem only names the places that apply to it.
        return value.as_dict() if isinstance(value, Problem) else value

    message = fields.String(required=True)
    field = fields.String(metadata={"description": "field path, e.g. `amount` or `items/0/qty`"})
    element_id = fields.String(metadata={"description": "BPMN/DMN element id"})
    line = fields.Integer()
    file = fields.String()
    decision_id = fields.String()
    rule = fields.Integer()
    column = fields.String()


class ProblemSchema(Schema):
    """RFC 7807 problem details, with the list of individual problems."""

    type = fields.String(required=True, metadata={"example": "urn:approvals:problem:not-found"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String(metadata={"description": "the request path"})
    problems = fields.List(fields.Nested(ProblemItemSchema), required=True)
    reference = fields.String(metadata={"description": "500 only: the log reference of the failure"})
    message = fields.String(
        metadata={"description": "/engine-rest only: `detail` again, where Camunda's clients read it"}
    )


class PageQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, MAX_LIMIT))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, 10**9))


class PageSchema(Schema):
    limit = fields.Integer(required=True)
    offset = fields.Integer(required=True)
    next_offset = fields.Integer(
        required=True, allow_none=True, metadata={"description": "offset of the next page; null on the last"}
    )


class ReasonBody(Schema):
    # Required by the engine, not by this schema: the engine judges it after the rules that say
    # whether the command could run at all (404, 403, 409 first), the same for the API, CLI and UI.
    reason = Text(
        length=(0, 2000),
        allow_none=True,
        metadata={
            "description": "required: why (recorded in the instance's trail); missing or blank: "
            "422 naming the field `reason`. At most 2000 characters."
        },
    )
