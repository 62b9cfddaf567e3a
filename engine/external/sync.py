"""Keeping the external-task table in step with the workflow, inside each command's transaction.

Like the inbox and the timer rows (tasks/projection.py, events/waits.py): a row is created in the
same transaction as the state that started its task, so a worker never sees a task the database
does not hold, nor misses one. Every active row (open, or an incident) whose task is no longer
waiting is closed: as completed when its task completed, else as cancelled (the instance was
cancelled, an interrupting boundary event fired). Closed rows stay, for the audit.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from engine.history.recorder import HistoryRecorder
from engine.repository.compiler import CompiledModel
from engine.runtime import stalls
from engine.spiff.external import external_task_state, started_external_tasks
from engine.statuses import CANCELLED, COMPLETED, INCIDENT, OPEN
from engine.store.schema import external_tasks

ACTIVE = (OPEN, INCIDENT)

_ACTIVE_ROWS = select(
    external_tasks.c.id, external_tasks.c.spiff_task_id, external_tasks.c.element_id, external_tasks.c.topic
).where((external_tasks.c.instance_id == bindparam("instance_id")) & external_tasks.c.status.in_(ACTIVE))
_WAITING = (
    select(external_tasks.c.element_id, external_tasks.c.topic, external_tasks.c.status)
    .where((external_tasks.c.instance_id == bindparam("instance_id")) & external_tasks.c.status.in_(ACTIVE))
    .order_by(external_tasks.c.created_at, external_tasks.c.id)
)
_CLOSE = (
    update(external_tasks)
    .where(external_tasks.c.id == bindparam("task_id"))
    .values(status=bindparam("v_status"), closed_at=bindparam("v_at"), lock_expires_at=None)
)


def sync_external(
    conn: Connection,
    *,
    instance: Any,
    workflow: Any,
    model: CompiledModel,
    history: HistoryRecorder,
    now: datetime,
    actor: str | None,
) -> None:
    definitions = model.document.external_tasks
    if not definitions:
        return  # nothing in this model is done by a worker
    started = {t.spiff_task_id: t for t in started_external_tasks(workflow)}
    for row in conn.execute(_ACTIVE_ROWS, {"instance_id": instance.id}).all():
        if started.pop(row.spiff_task_id, None) is not None:
            continue
        state = external_task_state(workflow, row.spiff_task_id)
        status = COMPLETED if state == "completed" else CANCELLED
        conn.execute(_CLOSE, {"task_id": row.id, "v_status": status, "v_at": now})
        if status == CANCELLED:
            history.add(
                "external_task_cancelled",
                actor,
                now,
                element_id=row.element_id,
                external_task_id=row.id,
                topic=row.topic,
            )
    for task in started.values():
        definition = definitions.get(task.element_id)
        if definition is None:
            continue  # not an external task of this model (cannot happen for a compiled model)
        task_id = uuid.uuid4().hex
        conn.execute(
            insert(external_tasks).values(
                id=task_id,
                instance_id=instance.id,
                version_id=instance.version_id,
                model_key=instance.model_key,
                element_id=task.element_id,
                spiff_task_id=task.spiff_task_id,
                topic=definition.topic,
                priority=definition.priority,
                business_key=instance.business_key,
                status=OPEN,
                created_at=now,
            )
        )
        history.add(
            "external_task_created",
            actor,
            now,
            element_id=task.element_id,
            external_task_id=task_id,
            topic=definition.topic,
            priority=definition.priority,
        )


def _waiting_external(conn: Connection, instance_id: int) -> list[str]:
    """What the instance waits for from workers (a probe of engine/runtime/stalls.py)."""
    return [
        f"external task {r.element_id} (topic {r.topic!r})"
        if r.status == OPEN
        else f"incident: external task {r.element_id} has no retries left (an admin may set retries)"
        for r in conn.execute(_WAITING, {"instance_id": instance_id})
    ]


# A running instance whose only token sits at an external task waits for a worker, not for nothing.
if _waiting_external not in stalls.PROBES:
    stalls.PROBES.insert(len(stalls.PROBES) - 1, _waiting_external)
