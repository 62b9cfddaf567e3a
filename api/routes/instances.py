"""Starting, reading and controlling process instances: /instances."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from flask import Blueprint, Response, request, url_for

from api.operation import Reply, operation
from api.routes.links import instance_links
from api.schemas.common import ReasonBody
from api.schemas.instances import (
    HistorySchema,
    InstanceListQuery,
    InstancePageSchema,
    InstanceSchema,
    InstanceSearchQuery,
    PathSchema,
    StartBody,
    VerificationSchema,
)
from engine import Engine
from engine.actor import Actor
from engine.errors import InvalidInput, Problem
from engine.history import ChainVerification
from engine.runtime import EXPORT_COLUMNS, EXPORT_MAX_ROWS, InstanceInfo, InstanceSearch, csv_lines

bp = Blueprint("instances", __name__)

CSV = {"text/csv": {"schema": {"type": "string"}}}
LOCATION = {"Location": {"schema": {"type": "string"}, "description": "the new instance"}}


@bp.post("/instances")
@operation(
    "Start a process instance",
    description="Runs the latest (or the given) version to its first wait state. `data` is checked "
    "against the model's start form (422 lists the invalid fields).",
    body=StartBody,
    response=InstanceSchema,
    status=201,
    response_headers=LOCATION,
    errors=(404, 409, 422),
    links=instance_links("$response.body#/id"),
)
def start(engine: Engine, actor: Actor, body: dict[str, Any]) -> Reply:
    info = engine.runtime.start(
        body["model"], actor, body["data"], business_key=body.get("business_key"), version=body.get("version")
    )
    return Reply(info, headers={"Location": url_for("instances.get_instance", instance_id=info.id)})


@bp.get("/instances")
@operation(
    "Search the instances I may read",
    description="Employees see the instances they started, worked on, or may work on; process owners, "
    "auditors and admins see all. Newest first unless `sort` and `order` say otherwise. Page on with "
    "`after` = the previous page's `next_cursor` (a deep page costs what the first does); `offset` "
    "still works but reads every row it skips.",
    query=InstanceListQuery,
    response=InstancePageSchema,
    links=instance_links("$response.body#/items/0/id"),
)
def list_instances(engine: Engine, actor: Actor, query: dict[str, Any]) -> dict[str, Any]:
    search = replace(
        search_of(query),
        limit=query["limit"],
        offset=query["offset"],
        after=query.get("after"),
        count=query["count"],
    )
    found = engine.runtime.search(actor, search)
    by_offset = found.has_more and search.after is None
    return {
        "items": found.items,
        "limit": search.limit,
        "offset": search.offset,
        "next_offset": search.offset + search.limit if by_offset else None,
        "next_cursor": found.next_cursor,
        "total": found.total,
        "total_capped": found.total_capped,
    }


@bp.get("/instances.csv")
@operation(
    "Export the search's result list as CSV",
    description=f"The same filters and order as `GET /instances`, every match (at most {EXPORT_MAX_ROWS:,} "
    "rows: past that a last line says the export stopped; `X-Export-Limit` states the limit). Columns: "
    + ", ".join(EXPORT_COLUMNS)
    + ". A cell beginning with = + - @ is written with a leading ' so that a spreadsheet shows it as "
    "text instead of running it.",
    query=InstanceSearchQuery,
    response_content=CSV,
    response_headers={
        "X-Export-Limit": {"schema": {"type": "integer"}, "description": "the most rows an export holds"}
    },
)
def export_instances(engine: Engine, actor: Actor, query: dict[str, Any]) -> Response:
    rows = engine.runtime.export(actor, search_of(query), EXPORT_MAX_ROWS + 1)
    names = {m.model_key: m.name or m.model_key for m in engine.repository.list_models()}
    response = Response(csv_lines(rows, lambda key: names.get(key, key)), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="instances.csv"'
    response.headers["X-Export-Limit"] = str(EXPORT_MAX_ROWS)
    return response


def search_of(query: dict[str, Any]) -> InstanceSearch:
    """The search a query string asks for (``data`` may be repeated: read off the request)."""
    return InstanceSearch(
        model_key=query.get("model"),
        version=query.get("version"),
        business_key=query.get("business_key"),
        status=query.get("status"),
        initiator=query.get("initiator"),
        participant=query.get("participant"),
        started_from=query.get("started_from"),
        started_to=query.get("started_to"),
        ended_from=query.get("ended_from"),
        ended_to=query.get("ended_to"),
        data=tuple(data_condition(raw) for raw in request.args.getlist("data")),
        sort=query["sort"],
        descending=query["order"] == "desc",
    )


def data_condition(raw: str) -> tuple[str, str]:
    name, colon, value = raw.partition(":")
    if not colon:
        message = f"{raw[:100]!r} is not field:value (customer:ACME)"
        raise InvalidInput(f"data: {message}", [Problem(message, field="data")])
    return name, value


@bp.get("/instances/<id:instance_id>")
@operation(
    "Read an instance and its current data",
    response=InstanceSchema,
    errors=(404,),
    links=instance_links("$response.body#/id"),
)
def get_instance(engine: Engine, actor: Actor, instance_id: int) -> InstanceInfo:
    return engine.runtime.get(instance_id, actor)


@bp.post("/instances/<id:instance_id>/cancel")
@operation(
    "Cancel an instance (its initiator, a process owner or an admin), saying why",
    description="`reason` is required (422 naming `reason` when missing or blank) and recorded in the "
    "trail's `instance_cancelled` event; a requester withdrawing his own request gives one too.",
    body=ReasonBody,
    response=InstanceSchema,
    errors=(404, 409, 422),
    links=instance_links("$response.body#/id"),
)
def cancel(engine: Engine, actor: Actor, instance_id: int, body: dict[str, Any]) -> InstanceInfo:
    return engine.runtime.cancel(instance_id, actor, body.get("reason"))


@bp.post("/instances/<id:instance_id>/calls/retry")
@operation(
    "Retry the call activities of an instance that are incidents (admins)",
    description="A call activity whose child could not start (its model was not deployed, say) or whose "
    "child an admin cancelled: each starts a new child now. 409: the instance has no such incident.",
    response=InstanceSchema,
    errors=(404, 409),
    links=instance_links("$response.body#/id"),
)
def retry_calls(engine: Engine, actor: Actor, instance_id: int) -> InstanceInfo:
    engine.runtime.retry_calls(instance_id, actor)
    return engine.runtime.get(instance_id, actor)


@bp.post("/instances/<id:instance_id>/suspend")
@operation(
    "Suspend an instance: its open tasks leave the inboxes (process owners, admins), saying why",
    description="`reason` is required (422 naming `reason`) and recorded in `instance_suspended`.",
    body=ReasonBody,
    response=InstanceSchema,
    errors=(404, 409, 422),
    links=instance_links("$response.body#/id"),
)
def suspend(engine: Engine, actor: Actor, instance_id: int, body: dict[str, Any]) -> InstanceInfo:
    return engine.runtime.suspend(instance_id, actor, body.get("reason"))


@bp.post("/instances/<id:instance_id>/resume")
@operation(
    "Resume a suspended instance (process owners, admins), saying why",
    description="`reason` is required (422 naming `reason`) and recorded in `instance_resumed`.",
    body=ReasonBody,
    response=InstanceSchema,
    errors=(404, 409, 422),
    links=instance_links("$response.body#/id"),
)
def resume(engine: Engine, actor: Actor, instance_id: int, body: dict[str, Any]) -> InstanceInfo:
    return engine.runtime.resume(instance_id, actor, body.get("reason"))


@bp.get("/instances/<id:instance_id>/history")
@operation(
    "The audit trail of an instance: who did what, when, under which version and rule",
    response=HistorySchema,
    errors=(404,),
)
def history(engine: Engine, actor: Actor, instance_id: int) -> dict[str, Any]:
    return {"instance_id": instance_id, "events": engine.history.events(instance_id, actor)}


@bp.get("/instances/<id:instance_id>/verify")
@operation(
    "Verify the keyed hash chain of an instance's audit trail",
    description="200 whatever the outcome: `ok` false names the first broken event; `segments` say which "
    "MAC key generation signed which events. 503 when the server's chain key is unavailable.",
    response=VerificationSchema,
    errors=(404, 503),
)
def verify(engine: Engine, actor: Actor, instance_id: int) -> ChainVerification:
    return engine.history.verify(instance_id, actor)


@bp.get("/instances/<id:instance_id>/path")
@operation(
    "The path an instance took on its version's diagram",
    description="Read back from its audit trail: the elements passed and how often, the sequence flows "
    "taken, the activities passed more than once, where it waits now and where it is stuck "
    "(docs/auditors.md).",
    response=PathSchema,
    errors=(404,),
)
def path(engine: Engine, actor: Actor, instance_id: int) -> dict[str, Any]:
    taken = engine.audit.instance(instance_id, actor).path
    return {"instance_id": instance_id, **asdict(taken)}
