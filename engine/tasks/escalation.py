"""What a boundary event on a user task (or an embedded subprocess: its open user tasks) does to
their inbox rows, as the model says.

A (typically non-interrupting) boundary timer carries camunda extension properties:

- ``escalate``: groups to add as candidates (comma-separated, or ``${expression}``);
- ``reassign``: ``true`` also takes the task back from its assignee, so the new groups can claim it;
- ``remind``: ``true`` sends a reminder to the assignee (or the candidates) through the outbox.

Each is recorded in the instance history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from engine.access import ANYONE
from engine.errors import WorkflowError
from engine.history.recorder import HistoryRecorder
from engine.repository.bpmn_document import EventTrigger
from engine.runtime.outbox import post
from engine.runtime.unit_of_work import LoadedInstance, Projection
from engine.scripting.expressions import evaluate, is_expression
from engine.spiff.steps import Step
from engine.statuses import OPEN
from engine.store.schema import user_task_candidates, user_tasks
from engine.tasks.views import task_infos

_TRUE = {"true", "yes", "1"}

_OPEN_TASKS_OF_ELEMENTS = select(user_tasks).where(
    (user_tasks.c.instance_id == bindparam("instance_id"))
    & user_tasks.c.element_id.in_(bindparam("element_ids", expanding=True))
    & (user_tasks.c.status == OPEN)
)


def _groups(raw: str, data: dict[str, Any], element_id: str) -> list[str]:
    if is_expression(raw):
        try:
            value = evaluate(raw.strip(), data)
        except Exception as exc:
            raise WorkflowError(f"boundary event '{element_id}': escalate expression {raw!r} failed: {exc}")
        items = value if isinstance(value, list | tuple | set) else str(value or "").split(",")
    else:
        items = raw.split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def apply_boundary_effects(
    conn: Connection,
    *,
    instance_id: int,
    trigger: EventTrigger,
    watched: set[str],
    data: dict[str, Any],
    history: HistoryRecorder,
    now: datetime,
    actor: str | None,
) -> None:
    props = trigger.properties
    escalate = props.get("escalate", "").strip()
    remind = props.get("remind", "").strip().lower() in _TRUE
    if not (escalate or remind) or trigger.attached_to is None:
        return
    rows = conn.execute(
        _OPEN_TASKS_OF_ELEMENTS, {"instance_id": instance_id, "element_ids": sorted(watched)}
    ).all()
    for task in task_infos(conn, rows, now):
        if escalate:
            added = [g for g in _groups(escalate, data, trigger.element_id) if g not in task.candidate_groups]
            if added:
                # A task open to anyone becomes one for the escalation groups.
                conn.execute(
                    delete(user_task_candidates).where(
                        (user_task_candidates.c.task_id == task.id) & (user_task_candidates.c.kind == ANYONE)
                    )
                )
                conn.execute(
                    insert(user_task_candidates),
                    [{"task_id": task.id, "kind": "group", "name": g} for g in added],
                )
            reassign = props.get("reassign", "").strip().lower() in _TRUE and task.assignee is not None
            if reassign:
                conn.execute(
                    update(user_tasks)
                    .where(user_tasks.c.id == task.id)
                    .values(assignee=None, claimed_at=None)
                )
            history.add(
                "task_escalated",
                actor,
                now,
                element_id=task.element_id,
                task_id=task.id,
                by_event=trigger.element_id,
                added_groups=added,
                released_from=task.assignee if reassign else None,
            )
            _notify(conn, instance_id, "escalation", now, task=task.id, name=task.name, groups=added)
        if remind:
            recipients = [task.assignee] if task.assignee else task.candidate_groups + task.candidate_users
            history.add(
                "task_reminder",
                actor,
                now,
                element_id=task.element_id,
                task_id=task.id,
                by_event=trigger.element_id,
                to=recipients,
            )
            _notify(
                conn,
                instance_id,
                "reminder",
                now,
                task=task.id,
                name=task.name,
                to=recipients,
                due_at=task.due_at,
            )


def _notify(conn: Connection, instance_id: int, kind: str, now: datetime, **payload: Any) -> None:
    """A notification for the outside world: written to the outbox in the same transaction."""
    post(conn, instance_id, kind, payload, now)


class BoundaryEscalation(Projection):
    """A timer boundary event marked ``escalate`` or ``remind`` (camunda:properties) acts on the
    open tasks it watches when it fires."""

    def step(self, instance: LoadedInstance, step: Step) -> None:
        trigger = instance.model.document.triggers.get(step.element_id)
        if step.kind != "BoundaryEvent" or trigger is None:
            return
        apply_boundary_effects(
            instance.conn,
            instance_id=instance.id,
            trigger=trigger,
            watched=instance.model.document.covered_by(trigger.attached_to or step.element_id),
            data=step.data,
            history=instance.history,
            now=instance.now,
            actor=instance.actor.name,
        )
