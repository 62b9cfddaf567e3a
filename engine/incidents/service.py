"""The operators' list of incidents across their four sources, and one way to retry each.

Reading: people who read every instance (``access.see_incidents``). Retrying: admins
(``access.retry_incidents``); each kind is retried by the service that owns its table, as one
command under the instance's lock, recorded in the instance's trail — so of two admins retrying the
same incident at once, one retries it and the other is told it is no longer there (``Conflict``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from engine import access
from engine.actor import Actor
from engine.errors import Conflict, InvalidInput, NotFound
from engine.external.service import ExternalTaskService
from engine.incidents.sources import (
    CALL_ACTIVITY,
    EXTERNAL_TASK,
    KINDS,
    RETRY_MEANS,
    STALLED,
    TIMER,
    open_incidents,
)
from engine.runtime.service import RuntimeService
from engine.statuses import INCIDENT
from engine.store.database import Database
from engine.store.schema import instance_calls
from engine.timers.service import TimerService

MAX_LIMIT = 500


@dataclass(frozen=True)
class Incident:
    kind: str  # timer, external_task, call_activity, stalled
    id: str  # its row in its source: timer id, external task id, call id, instance id (stalled)
    instance_id: int | None  # None: a start timer, which has no instance yet
    business_key: str | None
    model_key: str
    model_version: int
    element_id: str | None
    cause: str
    since: datetime
    attempts: int | None  # timers only: how many times it failed
    retry: str | None  # what a retry does; None: it cannot be retried (cancel the instance)
    may_retry: bool = False  # for the person asking: admins, on a kind that can be retried


@dataclass(frozen=True)
class IncidentQuery:
    kind: str | None = None
    model_key: str | None = None
    limit: int = 50
    offset: int = 0


def _check_kind(kind: str | None) -> None:
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")


def _number(ref: str, what: str) -> int:
    if not ref.isdigit() or len(ref) > 18:
        raise InvalidInput(f"{what} must be a whole number, not {ref!r}")
    return int(ref)


class IncidentService:
    def __init__(
        self, db: Database, runtime: RuntimeService, timers: TimerService, external: ExternalTaskService
    ) -> None:
        self.db = db
        self.runtime = runtime
        self.timers = timers
        self.external = external

    def list(self, actor: Actor, q: IncidentQuery | None = None) -> list[Incident]:
        """Open incidents, newest first, one page of them."""
        access.see_incidents(actor).require()
        q = q or IncidentQuery()
        _check_kind(q.kind)
        found = open_incidents(q.kind, q.model_key)
        query = (
            select(found)
            .order_by(found.c.since.desc(), found.c.kind, found.c.ref.desc())
            .limit(max(1, min(q.limit, MAX_LIMIT)))
            .offset(max(0, q.offset))
        )
        may_retry = access.retry_incidents(actor).allowed
        with self.db.read() as conn:
            return [
                Incident(
                    kind=r.kind,
                    id=r.ref,
                    instance_id=r.instance_id,
                    business_key=r.business_key,
                    model_key=r.model_key,
                    model_version=r.model_version,
                    element_id=r.element_id,
                    cause=r.cause or "",
                    since=r.since,
                    attempts=r.attempts,
                    retry=RETRY_MEANS[r.kind],
                    may_retry=may_retry and RETRY_MEANS[r.kind] is not None,
                )
                for r in conn.execute(query)
            ]

    def counts(self, actor: Actor, model_key: str | None = None) -> dict[str, int]:
        """How many open incidents of each kind (every kind named, 0 included)."""
        access.see_incidents(actor).require()
        found = open_incidents(None, model_key)
        query = select(found.c.kind, func.count()).group_by(found.c.kind)
        with self.db.read() as conn:
            counted = {kind: n for kind, n in conn.execute(query)}
        return {kind: counted.get(kind, 0) for kind in KINDS}

    def retry(self, kind: str, incident_id: str, actor: Actor) -> int | None:
        """Retry one incident from the list; returns its instance (None: a start timer). A stalled
        instance cannot be retried: its model led it where nothing can move it (Conflict)."""
        access.retry_incidents(actor).require()
        _check_kind(kind)
        if kind == TIMER:
            return self.timers.retry(_number(incident_id, "a timer id"), actor).instance_id
        if kind == EXTERNAL_TASK:
            return self.external.set_retries(incident_id, actor, 1, only_incident=True).instance_id
        if kind == CALL_ACTIVITY:
            call_id = _number(incident_id, "a call id")
            with self.db.read() as conn:
                call = conn.execute(
                    select(instance_calls.c.parent_instance_id, instance_calls.c.status).where(
                        instance_calls.c.id == call_id
                    )
                ).first()
            if call is None:
                raise NotFound(f"no call activity incident {call_id}")
            if call.status != INCIDENT:
                raise Conflict(f"call {call_id} is no longer an incident ({call.status}): someone retried it")
            self.runtime.retry_calls(call.parent_instance_id, actor, call_id)
            return int(call.parent_instance_id)
        assert kind == STALLED
        raise Conflict(
            f"instance {incident_id} waits for nothing: a retry would change nothing. Cancel it "
            "(with a reason), and have its model fixed"
        )
