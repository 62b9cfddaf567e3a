"""Camunda 7's external-task API under /engine-rest: workers fetch, lock and complete service tasks.

The paths, bodies and answers follow Camunda's REST reference, so Camunda's own worker clients
(e.g. camunda-external-task-client-python3) work unchanged, with a bearer token of a member of
``external_worker``. Errors keep this API's problem document and add Camunda's ``message`` (server/errors.py).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response
from werkzeug.routing import BaseConverter

from api.operation import operation
from api.schemas.external import (
    BpmnErrorBody,
    ExtendLockBody,
    ExternalCompleteBody,
    ExternalFailureBody,
    ExternalRetriesBody,
    ExternalTaskCount,
    ExternalTaskCountBody,
    ExternalTaskFilter,
    ExternalTaskList,
    ExternalTaskListQuery,
    ExternalTaskSchema,
    FetchAndLockBody,
    LockedExternalTaskList,
    camunda_time,
    from_typed,
    to_typed,
)
from engine import Engine
from engine.actor import Actor
from engine.external import ExternalTaskInfo, ExternalTaskQuery, TopicRequest

PREFIX = "/engine-rest"
bp = Blueprint("external", __name__)


class TaskIdConverter(BaseConverter):
    """An external task's id (32 hex digits): never a word like ``fetchAndLock`` or ``count``,
    so those paths do not also answer to GET /external-task/{id}."""

    regex = "[0-9a-f]{32}"


bp.record_once(lambda state: state.app.url_map.converters.setdefault("task_id", TaskIdConverter))

TEXT = {"text/plain": {"schema": {"type": "string"}}}


def _camunda(task: ExternalTaskInfo, locked: bool = False) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "id": task.id,
        "topicName": task.topic,
        "workerId": task.worker_id,
        "lockExpirationTime": camunda_time(task.lock_expires_at),
        "processInstanceId": str(task.instance_id),
        "executionId": f"{task.instance_id}:{task.element_id}",
        "activityId": task.element_id,
        "activityInstanceId": f"{task.element_id}:{task.id}",
        "processDefinitionId": f"{task.model_key}:{task.version_id}",
        "processDefinitionKey": task.model_key,
        "processDefinitionVersionTag": None,
        "tenantId": None,
        "retries": task.retries,
        "suspended": task.suspended,
        "errorMessage": task.error_message,
        "priority": task.priority,
        "businessKey": task.business_key,
        "createTime": camunda_time(task.created_at),
        "status": task.status,
    }
    if locked:
        shown.update(variables=to_typed(task.variables or {}), errorDetails=None, extensionProperties={})
    return shown


def _no_content() -> Response:
    return Response(status=204)


def _query(values: dict[str, Any]) -> ExternalTaskQuery | None:
    """None: a filter no task can match (a process instance id that is not a number)."""
    instance = values.get("processInstanceId")
    if instance is not None and not (instance.isdigit() and int(instance) < 2**63):
        return None
    return ExternalTaskQuery(
        topic_name=values.get("topicName"),
        worker_id=values.get("workerId"),
        locked=values.get("locked", False),
        not_locked=values.get("notLocked", False),
        with_retries_left=values.get("withRetriesLeft", False),
        no_retries_left=values.get("noRetriesLeft", False),
        instance_id=int(instance) if instance is not None else None,
        activity_id=values.get("activityId"),
        external_task_id=values.get("externalTaskId"),
        limit=values.get("maxResults", 100),
        offset=values.get("firstResult", 0),
    )


@bp.post("/external-task/fetchAndLock")
@operation(
    "Fetch and lock external tasks of the given topics (workers, admins)",
    description="Camunda's fetchAndLock. `asyncResponseTimeout` (ms, at most 60,000) waits for a task "
    "to appear (long polling). Variables are Camunda typed values.",
    body=FetchAndLockBody,
    response=LockedExternalTaskList,
)
def fetch_and_lock(engine: Engine, actor: Actor, body: dict[str, Any]) -> list[dict[str, Any]]:
    topics = [
        TopicRequest(
            name=t["topicName"],
            lock_duration_ms=t["lockDuration"],
            variables=t.get("variables"),
            business_key=t.get("businessKey"),
            process_definition_key=t.get("processDefinitionKey"),
            process_variables=dict(t.get("processVariables") or {}),
        )
        for t in body["topics"]
    ]
    locked = engine.external.fetch_and_lock(
        actor,
        body["workerId"],
        body["maxTasks"],
        topics,
        use_priority=body["usePriority"],
        wait_ms=body["asyncResponseTimeout"],
    )
    return [_camunda(t, locked=True) for t in locked]


@bp.post("/external-task/<task_id:task_id>/complete")
@operation(
    "Complete an external task: its variables go into the process data (the locking worker)",
    body=ExternalCompleteBody,
    status=204,
    errors=(404, 409, 422),
)
def complete(engine: Engine, actor: Actor, body: dict[str, Any], task_id: str) -> Response:
    engine.external.complete(
        task_id,
        actor,
        body["workerId"],
        from_typed(body.get("variables")),
        from_typed(body.get("localVariables")),
    )
    return _no_content()


@bp.post("/external-task/<task_id:task_id>/failure")
@operation(
    "Report a failure: retried after retryTimeout while retries are left, else an incident",
    body=ExternalFailureBody,
    status=204,
    errors=(404, 409),
)
def failure(engine: Engine, actor: Actor, body: dict[str, Any], task_id: str) -> Response:
    engine.external.failure(
        task_id,
        actor,
        body["workerId"],
        body.get("errorMessage"),
        body.get("errorDetails"),
        retries=body["retries"],
        retry_timeout_ms=body["retryTimeout"],
    )
    return _no_content()


@bp.post("/external-task/<task_id:task_id>/bpmnError")
@operation(
    "Report a BPMN error: an error boundary event on the task with its code catches it",
    description="Without one, the task's path ends (Camunda 7's default for an unhandled BPMN error).",
    body=BpmnErrorBody,
    status=204,
    errors=(404, 409, 422),
)
def bpmn_error(engine: Engine, actor: Actor, body: dict[str, Any], task_id: str) -> Response:
    engine.external.bpmn_error(
        task_id,
        actor,
        body["workerId"],
        body["errorCode"],
        body.get("errorMessage"),
        from_typed(body.get("variables")),
    )
    return _no_content()


@bp.post("/external-task/<task_id:task_id>/extendLock")
@operation(
    "Extend the lock of the worker that holds it by newDuration ms from now",
    body=ExtendLockBody,
    status=204,
    errors=(404, 409),
)
def extend_lock(engine: Engine, actor: Actor, body: dict[str, Any], task_id: str) -> Response:
    engine.external.extend_lock(task_id, actor, body["workerId"], body["newDuration"])
    return _no_content()


@bp.post("/external-task/<task_id:task_id>/unlock")
@operation(
    "Release the lock: any worker may fetch the task again",
    status=204,
    errors=(404, 409),
)
def unlock(engine: Engine, actor: Actor, task_id: str) -> Response:
    engine.external.unlock(task_id, actor)
    return _no_content()


@bp.put("/external-task/<task_id:task_id>/retries")
@operation(
    "Set the retries (admins): an incident with retries > 0 can be fetched again at once",
    body=ExternalRetriesBody,
    status=204,
    errors=(404, 409),
)
def set_retries(engine: Engine, actor: Actor, body: dict[str, Any], task_id: str) -> Response:
    engine.external.set_retries(task_id, actor, body["retries"])
    return _no_content()


@bp.get("/external-task")
@operation(
    "List the active external tasks (workers, auditors, admins)",
    query=ExternalTaskListQuery,
    response=ExternalTaskList,
)
def list_tasks(engine: Engine, actor: Actor, query: dict[str, Any]) -> list[dict[str, Any]]:
    q = _query(query)
    return [] if q is None else [_camunda(t) for t in engine.external.list(actor, q)]


@bp.get("/external-task/count")
@operation(
    "Count the active external tasks matching the filters",
    query=ExternalTaskFilter,
    response=ExternalTaskCount,
)
def count(engine: Engine, actor: Actor, query: dict[str, Any]) -> dict[str, int]:
    q = _query(query)
    return {"count": 0 if q is None else engine.external.count(actor, q)}


@bp.post("/external-task/count")
@operation(
    "Count the active external tasks matching the filters (in the body)",
    body=ExternalTaskCountBody,
    response=ExternalTaskCount,
)
def count_by_body(engine: Engine, actor: Actor, body: dict[str, Any]) -> dict[str, int]:
    q = _query(body)
    return {"count": 0 if q is None else engine.external.count(actor, q)}


@bp.get("/external-task/<task_id:task_id>")
@operation(
    "One external task, whatever its status",
    response=ExternalTaskSchema,
    errors=(404,),
)
def get(engine: Engine, actor: Actor, task_id: str) -> dict[str, Any]:
    return _camunda(engine.external.get(task_id, actor))


@bp.get("/external-task/<task_id:task_id>/errorDetails")
@operation(
    "The error details of the task's last failure, as text",
    response_content=TEXT,
    errors=(404,),
)
def error_details(engine: Engine, actor: Actor, task_id: str) -> Response:
    details = engine.external.error_details(task_id, actor)
    return Response(details or "", status=200, mimetype="text/plain")
