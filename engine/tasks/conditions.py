"""SQL conditions on the inbox table: whose tasks are whose. Shared by task and instance queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, or_

from engine.identity.actor import Actor
from engine.store.schema import user_task_candidates, user_tasks

ANYONE = "anyone"  # the candidate row kind of a task that names no candidates (name "*")


def candidate_rows(groups: list[str], users: list[str]) -> list[tuple[str, str]]:
    """(kind, name) candidate rows of a task: its groups and users, or the one 'anyone' row."""
    rows = [("group", g) for g in groups] + [("user", u) for u in users]
    return rows or [(ANYONE, "*")]


def candidate_of(actor: Actor) -> Any:
    """The task (a ``user_tasks`` row) names the actor, one of their groups, or nobody in particular."""
    return exists().where(
        (user_task_candidates.c.task_id == user_tasks.c.id)
        & or_(
            (user_task_candidates.c.kind == "group") & user_task_candidates.c.name.in_(sorted(actor.groups)),
            (user_task_candidates.c.kind == "user") & (user_task_candidates.c.name == actor.name),
            user_task_candidates.c.kind == ANYONE,
        )
    )


def claimable_by(actor: Actor) -> Any:
    """Unassigned, and the actor is a candidate (or the task names no candidates at all)."""
    return user_tasks.c.assignee.is_(None) & candidate_of(actor)


def workable_by(actor: Actor) -> Any:
    """Assigned to the actor, or claimable by them: the actor's inbox."""
    return or_(user_tasks.c.assignee == actor.name, claimable_by(actor))
