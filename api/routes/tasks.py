"""The inbox: /tasks."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from api.operation import Link, operation
from api.routes.links import instance_links, task_links
from api.schemas.tasks import (
    ME,
    AssignBody,
    CompleteBody,
    CompletionSchema,
    InboxCountsSchema,
    TaskDetailSchema,
    TaskListQuery,
    TaskPageSchema,
    TaskSchema,
)
from engine import Engine
from engine.actor import Actor
from engine.tasks import CompletionResult, InboxCounts, TaskDetail, TaskInfo, TaskQuery

bp = Blueprint("tasks", __name__)


@bp.get("/tasks")
@operation(
    "List tasks: my inbox, what I may claim, or (process owners, auditors, admins) any task",
    description="`assignee=me`: tasks I hold; `candidate=me`: unassigned tasks I may claim; `inbox=me`: "
    "both; all left out: everything I may see (for employees: tasks I hold, may claim, or completed). "
    "Page on with `after=<next_cursor>` (or `offset`).",
    query=TaskListQuery,
    response=TaskPageSchema,
    links={
        **task_links("$response.body#/items/0/id", "First"),
        "GetInstanceOfFirstTask": Link(
            "instances.get_instance", {"instance_id": "$response.body#/items/0/instance_id"}
        ),
    },
)
def list_tasks(engine: Engine, actor: Actor, query: dict[str, Any]) -> dict[str, Any]:
    found = engine.tasks.page(actor, _task_query(actor, query))
    limit, offset = query["limit"], query["offset"]
    by_offset = found.next_cursor is not None and "after" not in query  # a cursor page has no offset
    return {
        "items": found.items,
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if by_offset else None,
        "next_cursor": found.next_cursor,
    }


@bp.get("/tasks/counts")
@operation(
    "Count my inbox: the tasks I hold or may claim, with the list's filters",
    description="Cheap enough for every inbox page. `assignee`, `candidate`, `inbox` and paging are ignored.",
    query=TaskListQuery,
    response=InboxCountsSchema,
)
def count_tasks(engine: Engine, actor: Actor, query: dict[str, Any]) -> InboxCounts:
    return engine.tasks.inbox_counts(actor, _task_query(actor, query))


def _task_query(actor: Actor, query: dict[str, Any]) -> TaskQuery:
    assignee = query.get("assignee")
    return TaskQuery(
        status=None if query["status"] == "all" else query["status"],
        assigned_to=actor.name if assignee == ME else assignee,
        claimable_by=actor if query.get("candidate") == ME else None,
        mine=actor if query.get("inbox") == ME else None,
        model_key=query.get("model"),
        instance_id=query.get("instance"),
        overdue=query.get("overdue"),
        business_key=query.get("business_key"),
        text=query.get("text"),
        due=query.get("due"),
        tz=query.get("tz"),
        due_after=query.get("due_after"),
        due_before=query.get("due_before"),
        min_priority=query.get("min_priority"),
        include_suspended=query["include_suspended"],
        sort=query["sort"],
        descending=query["order"] == "desc",
        limit=query["limit"],
        offset=query["offset"],
        after=query.get("after"),
    )


@bp.get("/tasks/<id:task_id>")
@operation(
    "Read a task with its form (JSON Schema) and the instance's data",
    response=TaskDetailSchema,
    errors=(404,),
    links={
        **task_links("$response.body#/id"),
        "GetItsInstance": Link("instances.get_instance", {"instance_id": "$response.body#/instance_id"}),
    },
)
def get_task(engine: Engine, actor: Actor, task_id: int) -> TaskDetail:
    return engine.tasks.get(task_id, actor)


@bp.post("/tasks/<id:task_id>/claim")
@operation(
    "Claim a task (a candidate; never the requester of an approval)",
    response=TaskSchema,
    errors=(404, 409),
    links=task_links("$response.body#/id"),
)
def claim(engine: Engine, actor: Actor, task_id: int) -> TaskInfo:
    return engine.tasks.claim(task_id, actor)


@bp.post("/tasks/<id:task_id>/unclaim")
@operation(
    "Release a claimed task (its assignee or an admin)",
    response=TaskSchema,
    errors=(404, 409),
    links=task_links("$response.body#/id"),
)
def unclaim(engine: Engine, actor: Actor, task_id: int) -> TaskInfo:
    return engine.tasks.unclaim(task_id, actor)


@bp.post("/tasks/<id:task_id>/assign")
@operation(
    "Assign a task to a user (an admin, its assignee, or while unclaimed one of its candidates)",
    body=AssignBody,
    response=TaskSchema,
    errors=(404, 409),
    links=task_links("$response.body#/id"),
)
def assign(engine: Engine, actor: Actor, task_id: int, body: dict[str, Any]) -> TaskInfo:
    return engine.tasks.assign(task_id, actor, body["user"])


@bp.post("/tasks/<id:task_id>/complete")
@operation(
    "Complete a task with its form data; the process runs on to its next wait state",
    description="An unclaimed task is claimed by its completer (if a candidate) in the same step. "
    "Data failing the task's form: 422 listing each invalid field.",
    body=CompleteBody,
    response=CompletionSchema,
    errors=(404, 409, 422),
    links={
        **instance_links("$response.body#/task/instance_id"),
        **task_links("$response.body#/next_tasks/0/id", "Next"),
    },
)
def complete(engine: Engine, actor: Actor, task_id: int, body: dict[str, Any]) -> CompletionResult:
    return engine.tasks.complete(task_id, actor, body["data"])
