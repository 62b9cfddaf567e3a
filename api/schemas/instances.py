"""Process instances, their history and its verification."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas.common import PageQuery, PageSchema
from api.schemas.fields import BusinessKey, Id, JsonObject, Moment, Text, UserName
from engine.runtime import COUNT_CAP, SORTS
from engine.statuses import INSTANCE_STATUSES


class StartBody(Schema):
    model = Text(required=True, length=(1, 200), metadata={"example": "countersign"})
    version = Id(allow_none=True, metadata={"description": "default: the latest version"})
    business_key = BusinessKey(allow_none=True)
    data = JsonObject(load_default=dict, metadata={"description": "start data (the start form's fields)"})


BUSINESS_KEY_OR_PREFIX = validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}\*?$",
    error="letters, digits and _ . : / - (at most 100, starting with a letter or digit); "
    "a final * finds every key that begins so",
)


class InstanceSearchQuery(Schema):
    """The filters and the order of a search, shared by the list and its CSV export."""

    model = Text(length=(1, 200))
    version = fields.Integer(
        validate=validate.Range(1, 10**9),
        metadata={"description": "the process's version number (needs `model`)"},
    )
    status = fields.String(validate=validate.OneOf(INSTANCE_STATUSES))
    initiator = UserName()
    participant = UserName(
        metadata={
            "description": "started the instance, or acted on it in its trail (claimed, completed or "
            "was assigned a task, cancelled it …)"
        }
    )
    business_key = Text(
        pattern=BUSINESS_KEY_OR_PREFIX,
        metadata={"description": "exact, or a prefix ending in `*` (`MKT-2026-*`)", "example": "MKT-2026-*"},
    )
    started_from = Moment(metadata={"description": "started at or after (ISO 8601; UTC if no offset)"})
    started_to = Moment(metadata={"description": "started before (ISO 8601; UTC if no offset)"})
    ended_from = Moment(metadata={"description": "ended at or after (ISO 8601; UTC if no offset)"})
    ended_to = Moment(metadata={"description": "ended before (ISO 8601; UTC if no offset)"})
    data = Text(
        length=(1, 310),
        metadata={
            "description": "`field:value`: a top-level field of the instance's data equals the value "
            "(text as typed; `5000` finds the number 5000 and 5000.0, `true` the boolean). Repeat the "
            "parameter for several fields (at most 5), all of which must hold.",
            "example": "customer:ACME",
        },
    )
    sort = fields.String(
        load_default="started",
        validate=validate.OneOf(SORTS),
        metadata={"description": "the order, always followed by the id"},
    )
    order = fields.String(load_default="desc", validate=validate.OneOf(("asc", "desc")))


class InstanceListQuery(InstanceSearchQuery, PageQuery):
    after = Text(
        length=(1, 1000),
        metadata={"description": "the `next_cursor` of the previous page (instead of `offset`)"},
    )
    count = fields.Boolean(
        load_default=False,
        metadata={"description": f"also count the matches, up to {COUNT_CAP:,} (`total`, `total_capped`)"},
    )


class InstanceSchema(Schema):
    id = fields.Integer(required=True)
    model_key = fields.String(required=True)
    model_version = fields.Integer(required=True)
    business_key = fields.String(required=True, allow_none=True)
    status = fields.String(
        required=True, metadata={"description": "running, suspended, completed, cancelled"}
    )
    initiator = fields.String(required=True)
    started_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    ended_at = fields.DateTime(required=True, allow_none=True)
    data = JsonObject(required=True)
    parent = fields.Nested(
        "ParentLinkSchema",
        required=True,
        allow_none=True,
        metadata={"description": "the instance whose call activity started this one (null: none did)"},
    )
    children = fields.List(
        fields.Nested("ChildLinkSchema"),
        required=True,
        metadata={"description": "what this instance's call activities started, oldest first"},
    )
    waiting_for = fields.List(
        fields.String(),
        required=True,
        allow_none=True,
        metadata={
            "description": "what a running or suspended instance waits for: open user tasks, timers, "
            "messages and signals, external tasks, child instances, incidents (an `incident: …` line "
            "names what stopped it); empty once it ended; null in lists (read one instance for it)",
            "example": ["user task manager_approval", "timer remind due 2026-03-02T09:00:00+00:00"],
        },
    )


class ParentLinkSchema(Schema):
    instance_id = fields.Integer(required=True)
    element_id = fields.String(required=True, metadata={"description": "the parent's call activity"})


class ChildLinkSchema(Schema):
    instance_id = fields.Integer(
        required=True, allow_none=True, metadata={"description": "null: the child could not start"}
    )
    element_id = fields.String(required=True, metadata={"description": "the call activity"})
    model_key = fields.String(required=True, metadata={"description": "the called model"})
    status = fields.String(
        required=True,
        metadata={
            "description": "running, completed, cancelled, incident (the child could not start or was "
            "cancelled: `error` says why), resolved (an incident retried or left behind)"
        },
    )
    error = fields.String(required=True, allow_none=True)


class InstancePageSchema(PageSchema):
    items = fields.List(fields.Nested(InstanceSchema), required=True)
    next_cursor = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "pass as `after` for the next page (null on the last)"},
    )
    total = fields.Integer(
        required=True, allow_none=True, metadata={"description": "with `count=true`: the matches, capped"}
    )
    total_capped = fields.Boolean(
        required=True, metadata={"description": f"true: there are more than `total` ({COUNT_CAP:,})"}
    )


class HistoryEventSchema(Schema):
    seq = fields.Integer(required=True)
    type = fields.String(required=True, metadata={"example": "task_completed"})
    actor = fields.String(required=True, allow_none=True)
    occurred_at = fields.DateTime(required=True)
    model_key = fields.String(required=True)
    model_version = fields.Integer(required=True)
    element_id = fields.String(required=True, allow_none=True)
    task_id = fields.Integer(required=True, allow_none=True)
    data = JsonObject(required=True)
    hash = fields.String(
        required=True, metadata={"description": "SHA-256 over this event and the previous hash"}
    )


class HistorySchema(Schema):
    instance_id = fields.Integer(required=True)
    events = fields.List(fields.Nested(HistoryEventSchema), required=True)


class KeySegmentSchema(Schema):
    generation = fields.Integer(
        required=True,
        allow_none=True,
        metadata={
            "description": "the MAC key generation that signed these events; null: unkeyed (plain SHA-256)"
        },
    )
    first_seq = fields.Integer(required=True)
    last_seq = fields.Integer(required=True)


class VerificationSchema(Schema):
    instance_id = fields.Integer(required=True)
    ok = fields.Boolean(required=True)
    events = fields.Integer(required=True)
    first_broken_seq = fields.Integer(required=True, allow_none=True)
    reason = fields.String(required=True, allow_none=True)
    segments = fields.List(
        fields.Nested(KeySegmentSchema),
        required=True,
        metadata={"description": "which key generation signed which events (up to the first broken one)"},
    )
    unkeyed_events = fields.Integer(
        required=True, metadata={"description": "events from before the chain was keyed (weaker evidence)"}
    )
    description = fields.Function(lambda v: v.describe(), required=True, metadata={"type": "string"})


class PathSchema(Schema):
    instance_id = fields.Integer(required=True)
    visits = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": "element id -> how many times a token passed it (0: never)"},
    )
    flows = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": "sequence flow id -> how many times it was taken (only those taken)"},
    )
    loops = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": "activities passed more than once (a rework loop, a second round)"},
    )
    current = fields.List(fields.String(), required=True, metadata={"description": "where tokens wait now"})
    incidents = fields.List(fields.String(), required=True, metadata={"description": "where it is stuck"})
