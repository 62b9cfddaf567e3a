"""Timers and their incidents, for the people who run the installation: /timers."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from api.operation import Link, operation
from api.paging import fetch_limit, page
from api.schemas.timers import ALL, TimerListQuery, TimerPageSchema, TimerSchema
from engine import Engine
from engine.actor import Actor
from engine.timers import TimerInfo

bp = Blueprint("timers", __name__)

# Timers are the installation's machinery (expressions, failures with their errors), not anyone's
# work: employees see the effects in their inbox and an instance's history instead.


@bp.get("/timers")
@operation(
    "List timers, earliest due first (process owners, auditors, admins)",
    description="`status`: `pending` (default), `fired`, `cancelled`, `incident` (failed "
    "`APPROVALS_TIMER_MAX_ATTEMPTS` times: waits for an admin's retry) or `all`. Employees: 403.",
    query=TimerListQuery,
    response=TimerPageSchema,
    links={"RetryFirstTimer": Link("timers.retry", {"timer_id": "$response.body#/items/0/id"})},
)
def list_timers(engine: Engine, actor: Actor, query: dict[str, Any]) -> dict[str, Any]:
    found = engine.timers.list(
        actor,
        status=None if query["status"] == ALL else query["status"],
        due_only=query.get("due", False),
        instance_id=query.get("instance"),
        limit=fetch_limit(query),
        offset=query["offset"],
    )
    return page(found, query)


@bp.post("/timers/<id:timer_id>/retry")
@operation(
    "Retry an incident (admins): the timer is pending again, due now, and fires on the next poll",
    description="Also for a pending timer backing off after failures: it is due now, attempts reset. "
    "409: the timer already fired or was cancelled.",
    response=TimerSchema,
    errors=(404, 409),
)
def retry(engine: Engine, actor: Actor, timer_id: int) -> TimerInfo:
    return engine.timers.retry(timer_id, actor)
