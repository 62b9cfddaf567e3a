"""SQL conditions on the inbox table: whose tasks are whose. Shared by task and instance queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, or_

from engine.identity.actor import Actor
from engine.store.schema import user_task_candidates, user_tasks


def candidate_of(actor: Actor) -> Any:
    """The task (a ``user_tasks`` row) names the actor, or one of their groups, as a candidate."""
    return exists().where(
        (user_task_candidates.c.task_id == user_tasks.c.id)
        & or_(
            (user_task_candidates.c.kind == "group") & user_task_candidates.c.name.in_(sorted(actor.groups)),
            (user_task_candidates.c.kind == "user") & (user_task_candidates.c.name == actor.name),
        )
    )


def claimable_by(actor: Actor) -> Any:
    """Unassigned, and the actor is a candidate (or the task names no candidates at all)."""
    addressed_to_nobody = ~exists().where(user_task_candidates.c.task_id == user_tasks.c.id)
    return user_tasks.c.assignee.is_(None) & or_(candidate_of(actor), addressed_to_nobody)


def workable_by(actor: Actor) -> Any:
    """Assigned to the actor, or claimable by them: the actor's inbox."""
    return or_(user_tasks.c.assignee == actor.name, claimable_by(actor))
