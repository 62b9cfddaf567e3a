"""Keeping the inbox table in step with the workflow, inside each command's transaction.

The inbox is a plain indexed table, so listing tasks never touches serialized workflows.
After every command: each READY user task without a row gets one (with its candidates,
assignee, due date and priority), and each open row whose task is no longer READY — an
interrupting timer fired, the instance was cancelled — is closed as cancelled.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from engine.access import candidate_rows
from engine.history.recorder import HistoryRecorder
from engine.repository.bpmn_document import UserTaskDefinition
from engine.repository.compiler import CompiledModel
from engine.runtime.unit_of_work import LoadedInstance, Projection
from engine.spiff.steps import ReadyUserTask, ready_user_tasks
from engine.statuses import CANCELLED, OPEN, RUNNING, SUSPENDED
from engine.store.fastpath import fast_writer
from engine.store.schema import user_task_candidates, user_tasks
from engine.tasks.assignment import assign
from engine.tasks.views import TaskInfo, task_info

_OPEN_ROWS = select(user_tasks.c.id, user_tasks.c.spiff_task_id, user_tasks.c.element_id).where(
    (user_tasks.c.instance_id == bindparam("instance_id")) & (user_tasks.c.status == OPEN)
)
_CLOSE = (
    update(user_tasks)
    .where(user_tasks.c.id == bindparam("task_id"))
    .values(status=CANCELLED, completed_at=bindparam("at"))
)
_INSERT_TASK = (
    insert(user_tasks)
    .values({c.name: bindparam(c.name) for c in user_tasks.c if c.name != "id"})
    .returning(user_tasks.c.id)
)
_INSERT_CANDIDATES = insert(user_task_candidates).values(
    {c: bindparam(c) for c in ("task_id", "kind", "name")}
)


def definition_for(model: CompiledModel, task: ReadyUserTask) -> UserTaskDefinition:
    definition = model.document.user_tasks.get(task.element_id)
    if definition is None:
        # Manual tasks wait for a person too; they have no assignment attributes of their own.
        lane = task.lane
        definition = UserTaskDefinition(
            task.element_id,
            task.name,
            lane,
            (lane,) if lane else (),
            (),
            None,
            None,
            None,
            None,
            None,
            {},
            None,
        )
    return definition


def sync_inbox(
    conn: Connection,
    *,
    instance: Any,
    workflow: Any,
    model: CompiledModel,
    history: HistoryRecorder,
    now: datetime,
    actor: str | None,
    suspended: bool = False,
) -> list[TaskInfo]:
    """Bring the instance's inbox rows in line with its READY user tasks; return the rows created."""
    ready = {t.spiff_task_id: t for t in ready_user_tasks(workflow)}
    known = set()
    for row in conn.execute(_OPEN_ROWS, {"instance_id": instance.id}):
        known.add(row.spiff_task_id)
        if row.spiff_task_id not in ready:
            fast_writer(conn).execute(conn, _CLOSE, {"task_id": row.id, "at": now})
            history.add("task_cancelled", actor, now, element_id=row.element_id, task_id=row.id)
    created = []
    for spiff_id, task in ready.items():
        if spiff_id not in known:
            created.append(_create(conn, instance, spiff_id, task, model, history, now, actor, suspended))
    return created


def _create(
    conn: Connection,
    instance: Any,
    spiff_id: str,
    task: ReadyUserTask,
    model: CompiledModel,
    history: HistoryRecorder,
    now: datetime,
    actor: str | None,
    suspended: bool,
) -> TaskInfo:
    definition = definition_for(model, task)
    assignment = assign(definition, task.data, now)
    form = model.forms.get(definition.form_key) if definition.form_key else None
    is_approval = definition.approval if definition.approval is not None else bool(form and form.is_approval)
    values = {
        "instance_id": instance.id,
        "spiff_task_id": spiff_id,
        "element_id": definition.id,
        "name": definition.name or task.name,
        "model_key": instance.model_key,
        "version_id": instance.version_id,
        "business_key": instance.business_key,
        "lane": definition.lane,
        "status": OPEN,
        "assignee": assignment.assignee,
        "created_at": now,
        "claimed_at": now if assignment.assignee else None,
        "completed_at": None,
        "completed_by": None,
        "due_at": assignment.due_at,
        "priority": assignment.priority,
        "form_key": definition.form_key,
        "is_approval": is_approval,
        "suspended": suspended,
    }
    task_id = fast_writer(conn).returning(conn, _INSERT_TASK, values)[0]
    candidates = [
        {"task_id": task_id, "kind": kind, "name": name}
        for kind, name in candidate_rows(assignment.candidate_groups, assignment.candidate_users)
    ]
    fast_writer(conn).executemany(conn, _INSERT_CANDIDATES, candidates)
    history.add(
        "task_created",
        actor,
        now,
        element_id=definition.id,
        task_id=task_id,
        name=definition.name,
        candidate_groups=assignment.candidate_groups,
        candidate_users=assignment.candidate_users,
        assignee=assignment.assignee,
        due_at=assignment.due_at,
        priority=assignment.priority,
        form_key=definition.form_key,
    )
    row = SimpleNamespace(id=task_id, **values)
    return task_info(row, sorted(assignment.candidate_groups), sorted(assignment.candidate_users), now)


_SET_SUSPENDED = (
    update(user_tasks)
    .where((user_tasks.c.instance_id == bindparam("b_instance_id")) & (user_tasks.c.status == OPEN))
    .values(suspended=bindparam("b_suspended"))
)


class Inbox(Projection):
    """The inbox rows of the instance: created and closed with its user tasks, hidden from lists
    while the instance is suspended."""

    with_workflow_only = False  # suspending and resuming leave the workflow alone

    def project(self, instance: LoadedInstance) -> None:
        suspended = instance.status == SUSPENDED
        if {instance.status, instance.row.status} == {RUNNING, SUSPENDED}:  # suspended or resumed
            instance.conn.execute(_SET_SUSPENDED, {"b_instance_id": instance.id, "b_suspended": suspended})
        if instance.workflow is not None:
            instance.created_tasks = sync_inbox(
                instance.conn,
                instance=instance.row,
                workflow=instance.workflow,
                model=instance.model,
                history=instance.history,
                now=instance.now,
                actor=instance.actor.name,
                suspended=suspended,
            )
