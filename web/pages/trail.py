"""An instance's trail as a person reads it: who did what, when, and what they decided."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.tasks import TaskQuery
from web.blueprint import actor, engine

# Events a requester and an approver care about; the auditors' page (issue 13) shows every kind.
SHOWN = {
    "instance_started",
    "task_created",
    "task_claimed",
    "task_unclaimed",
    "task_assigned",
    "task_completed",
    "task_reminder",
    "task_passed",
    "task_cancelled",
    "task_escalated",
    "instance_completed",
    "instance_cancelled",
    "instance_suspended",
    "instance_resumed",
    "error",
}


@dataclass(frozen=True)
class TrailEntry:
    kind: str
    actor: str | None
    at: datetime
    step: str | None  # the task's name, where the event is about a task
    decision: Any = None
    comment: str | None = None


def trail_of(instance_id: int) -> list[TrailEntry]:
    me = actor()
    steps = {
        t.element_id: t.name
        for t in engine().tasks.list(me, TaskQuery(status=None, instance_id=instance_id, limit=500))
    }
    entries = []
    for event in engine().history.events(instance_id, me):
        if event.type not in SHOWN:
            continue
        data = event.data if isinstance(event.data, dict) else {}
        entries.append(
            TrailEntry(
                kind=event.type,
                actor=event.actor,
                at=event.occurred_at,
                step=steps.get(event.element_id or "", event.element_id),
                decision=data.get("decision") if event.type == "task_completed" else None,
                comment=data.get("comment") if event.type == "task_completed" else None,
            )
        )
    return entries
