"""The process overview, for the people who run the processes: /overview and a version's /waits."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from api.operation import operation
from api.schemas.overview import OverviewSchema, PeriodQuery, VersionWaitsSchema
from engine import Engine
from engine.actor import Actor
from engine.overview import Period, VersionWaits

bp = Blueprint("overview", __name__)


def _period(engine: Engine, query: dict[str, Any]) -> Period:
    return Period.chosen(engine.clock.now(), query.get("days"), query.get("since"), query.get("until"))


@bp.get("/overview")
@operation(
    "Per model and version: instances running, suspended, completed and cancelled, open and overdue "
    "tasks, incidents (process owners, auditors, admins)",
    description="Running, suspended, open tasks and incidents are counted now; completed and cancelled "
    "instances in the period (`days`, or `since`/`until`; the last 30 days by default). Employees: 403.",
    query=PeriodQuery,
    response=OverviewSchema,
)
def overview(engine: Engine, actor: Actor, query: dict[str, Any]) -> dict[str, Any]:
    period = _period(engine, query)
    return {"since": period.since, "until": period.until, "items": engine.overview.processes(actor, period)}


@bp.get("/models/<key>/versions/<id:version>/waits")
@operation(
    "Where a version's instances wait and how long: per task element, count, median and p90 "
    "(process owners, auditors, admins)",
    description="`completed`: user and external tasks completed in the period, from creation to "
    "completion; `waiting`: those open now, from creation to now. Seconds; null when there are none.",
    query=PeriodQuery,
    response=VersionWaitsSchema,
    errors=(404,),
)
def waits(engine: Engine, actor: Actor, key: str, version: int, query: dict[str, Any]) -> VersionWaits:
    return engine.overview.waits(key, version, actor, _period(engine, query))
