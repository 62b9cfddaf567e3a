"""Incidents for the people who run the installation: /incidents, one list across timers, external
tasks, call activities and stalled instances, and one way to retry each."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from api.operation import operation
from api.paging import fetch_limit, page
from api.schemas.incidents import IncidentListQuery, IncidentPageSchema, RetriedSchema
from engine import Engine
from engine.actor import Actor
from engine.incidents import IncidentQuery

bp = Blueprint("incidents", __name__)


@bp.get("/incidents")
@operation(
    "List open incidents, newest first (process owners, auditors, admins)",
    description="Failed timers, external tasks with no retries left, call activities that could not "
    "start their child, and running instances that wait for nothing. Employees: 403.",
    query=IncidentListQuery,
    response=IncidentPageSchema,
    errors=(400,),
)
def list_incidents(engine: Engine, actor: Actor, query: dict[str, Any]) -> dict[str, Any]:
    found = engine.incidents.list(
        actor,
        IncidentQuery(
            kind=query.get("kind"),
            model_key=query.get("model"),
            limit=fetch_limit(query),
            offset=query["offset"],
        ),
    )
    return page(found, query)


@bp.post("/incidents/<kind>/<incident_id>/retry")
@operation(
    "Retry an incident (admins), recorded in its instance's trail",
    description="A timer is due again now; an external task gets one retry; a call activity starts its "
    "child again. A stalled instance cannot be retried (409): cancel it. 409 also when someone retried "
    "it first.",
    response=RetriedSchema,
    errors=(400, 404, 409),
)
def retry_incident(engine: Engine, actor: Actor, kind: str, incident_id: str) -> dict[str, Any]:
    instance_id = engine.incidents.retry(kind, incident_id, actor)
    return {"kind": kind, "id": incident_id, "instance_id": instance_id}
