"""Where incidents live: four tables, read as one list.

An incident is something an operator has to look at because the engine will not move on by itself:

- a timer that failed ``APPROVALS_TIMER_MAX_ATTEMPTS`` times (``timers.status = 'incident'``);
- an external task whose worker reported a failure with no retries left (``external_tasks``);
- a call activity that could not start its child, or whose child an admin cancelled
  (``instance_calls``);
- a running instance that waits for nothing (``process_instances.error``, engine/runtime/stalls.py).

A command that failed (a script or decision raised) is not one: it rolled back, the instance is as it
was, and the ``error`` event in its trail says what happened to the person who tried.

When each began is the newest ``incident`` event of the instance at the element (the tables keep no
such column); a start timer, which has no instance, shows when it was due.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String, cast, func, literal_column, null, select, union_all

from engine.statuses import INCIDENT, RUNNING, SUSPENDED
from engine.store.schema import (
    external_tasks,
    history_events,
    instance_calls,
    model_versions,
    process_instances,
    timers,
)

TIMER = "timer"
EXTERNAL_TASK = "external_task"
CALL_ACTIVITY = "call_activity"
STALLED = "stalled"
KINDS = (TIMER, EXTERNAL_TASK, CALL_ACTIVITY, STALLED)

# What a retry does, by kind (None: it cannot be retried; the instance is cancelled instead).
RETRY_MEANS: dict[str, str | None] = {
    TIMER: "the timer is due again now and fires on the poller's next round",
    EXTERNAL_TASK: "the task gets one retry: a worker may fetch and lock it again",
    CALL_ACTIVITY: "the call activity starts its child instance again",
    STALLED: None,
}


def _since(instance_id: Any, element_id: Any = None) -> Any:
    """The newest ``incident`` event of the instance (at the element)."""
    query = select(func.max(history_events.c.occurred_at)).where(
        (history_events.c.instance_id == instance_id) & (history_events.c.type == "incident")
    )
    if element_id is not None:
        query = query.where(history_events.c.element_id == element_id)
    return query.scalar_subquery()


def _kind(kind: str) -> Any:
    return literal_column(f"'{kind}'", String)  # a constant of ours, never input


COLUMNS = (
    "kind",
    "ref",
    "instance_id",
    "business_key",
    "model_key",
    "model_version",
    "element_id",
    "cause",
    "since",
    "attempts",
)


def _row(*columns: Any) -> Any:
    """A select of one source, its columns named as every source names them."""
    return select(*(c.label(name) for c, name in zip(columns, COLUMNS, strict=True)))


def _timers() -> Any:
    return (
        _row(
            _kind(TIMER),
            cast(timers.c.id, String),
            timers.c.instance_id,
            process_instances.c.business_key,
            timers.c.model_key,
            model_versions.c.version,
            timers.c.element_id,
            timers.c.last_error,
            func.coalesce(_since(timers.c.instance_id, timers.c.element_id), timers.c.due_at),
            timers.c.attempts,
        )
        .select_from(
            timers.join(model_versions, model_versions.c.id == timers.c.version_id).outerjoin(
                process_instances, process_instances.c.id == timers.c.instance_id
            )
        )
        .where(timers.c.status == INCIDENT)
    )


def _external_tasks() -> Any:
    return (
        _row(
            _kind(EXTERNAL_TASK),
            external_tasks.c.id,
            external_tasks.c.instance_id,
            external_tasks.c.business_key,
            external_tasks.c.model_key,
            model_versions.c.version,
            external_tasks.c.element_id,
            external_tasks.c.error_message,
            func.coalesce(
                _since(external_tasks.c.instance_id, external_tasks.c.element_id), external_tasks.c.created_at
            ),
            cast(null(), Integer),
        )
        .select_from(external_tasks.join(model_versions, model_versions.c.id == external_tasks.c.version_id))
        .where(external_tasks.c.status == INCIDENT)
    )


def _calls() -> Any:
    parent = process_instances
    return (
        _row(
            _kind(CALL_ACTIVITY),
            cast(instance_calls.c.id, String),
            instance_calls.c.parent_instance_id,
            parent.c.business_key,
            parent.c.model_key,
            model_versions.c.version,
            instance_calls.c.parent_element_id,
            instance_calls.c.error,
            func.coalesce(
                _since(instance_calls.c.parent_instance_id, instance_calls.c.parent_element_id),
                instance_calls.c.created_at,
            ),
            cast(null(), Integer),
        )
        .select_from(
            instance_calls.join(parent, parent.c.id == instance_calls.c.parent_instance_id).join(
                model_versions, model_versions.c.id == parent.c.version_id
            )
        )
        .where(instance_calls.c.status == INCIDENT)
    )


def _stalls() -> Any:
    return (
        _row(
            _kind(STALLED),
            cast(process_instances.c.id, String),
            process_instances.c.id,
            process_instances.c.business_key,
            process_instances.c.model_key,
            model_versions.c.version,
            cast(null(), String),
            process_instances.c.error,
            func.coalesce(_since(process_instances.c.id), process_instances.c.updated_at),
            cast(null(), Integer),
        )
        .select_from(
            process_instances.join(model_versions, model_versions.c.id == process_instances.c.version_id)
        )
        # Found off the partial index ix_process_instances_stalled; `status || ''` keeps the planners
        # from walking the status index through every running instance instead.
        .where(
            process_instances.c.error.is_not(None)
            & process_instances.c.status.concat("").in_((RUNNING, SUSPENDED))
        )
    )


_SOURCES = {TIMER: _timers, EXTERNAL_TASK: _external_tasks, CALL_ACTIVITY: _calls, STALLED: _stalls}
_MODEL_KEY = {
    TIMER: timers.c.model_key,
    EXTERNAL_TASK: external_tasks.c.model_key,
    CALL_ACTIVITY: process_instances.c.model_key,
    STALLED: process_instances.c.model_key,
}


def open_incidents(kind: str | None, model_key: str | None) -> Any:
    """Every open incident (of ``kind``, of ``model_key``) as one subquery with the columns kind,
    ref, instance_id, business_key, model_key, model_version, element_id, cause, since, attempts."""
    selects = []
    for name in (kind,) if kind else KINDS:
        query = _SOURCES[name]()
        if model_key:
            query = query.where(_MODEL_KEY[name] == model_key)
        selects.append(query)
    if len(selects) == 1:
        return selects[0].subquery("incidents")
    return union_all(*selects).subquery("incidents")
