"""Starting, reading and controlling process instances: /instances."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, url_for

from api.operation import Reply, operation
from api.paging import fetch_limit, page
from api.routes.links import instance_links
from api.schemas.common import ReasonBody
from api.schemas.instances import (
    HistorySchema,
    InstanceListQuery,
    InstancePageSchema,
    InstanceSchema,
    PathSchema,
    StartBody,
    VerificationSchema,
)
from engine import Engine
from engine.actor import Actor
from engine.history import ChainVerification
from engine.runtime import InstanceFilter, InstanceInfo

bp = Blueprint("instances", __name__)

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
    "List the instances I may read, newest first",
    description="Employees see the instances they started, worked on, or may work on; process owners, "
    "auditors and admins see all.",
    query=InstanceListQuery,
    response=InstancePageSchema,
    links=instance_links("$response.body#/items/0/id"),
)
def list_instances(engine: Engine, actor: Actor, query: dict[str, Any]) -> dict[str, Any]:
    found = engine.runtime.list(
        actor,
        InstanceFilter(
            model_key=query.get("model"),
            status=query.get("status"),
            initiator=query.get("initiator"),
            business_key=query.get("business_key"),
            started_from=query.get("started_from"),
            started_to=query.get("started_to"),
            limit=fetch_limit(query),
            offset=query["offset"],
        ),
    )
    return page(found, query)


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
