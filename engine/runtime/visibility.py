"""Who may read which process instance."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, exists, or_, select

from engine.errors import NotFound, PermissionDenied
from engine.identity.actor import PROCESS_OWNER, Actor
from engine.statuses import OPEN
from engine.store.schema import history_events, model_versions, process_instances, user_tasks
from engine.tasks.conditions import workable_by

INSTANCE_COLUMNS = (*process_instances.c, model_versions.c.version.label("model_version"))


def visible_to(actor: Actor) -> Any:
    """SQL condition: the instances ``actor`` may read (all of them for admins, auditors, process owners)."""
    if actor.reads_everything or actor.in_any(PROCESS_OWNER):
        return None
    works_on = exists().where(
        (user_tasks.c.instance_id == process_instances.c.id)
        & (user_tasks.c.status == OPEN)
        & workable_by(actor)
    )
    participant = exists().where(
        (history_events.c.instance_id == process_instances.c.id) & (history_events.c.actor == actor.name)
    )
    return or_(process_instances.c.initiator == actor.name, participant, works_on)


def require_visible(conn: Connection, instance_id: int, actor: Actor) -> Any:
    """The instance row (with its model version number), if ``actor`` may read it."""
    query = (
        select(*INSTANCE_COLUMNS)
        .join(model_versions, model_versions.c.id == process_instances.c.version_id)
        .where(process_instances.c.id == instance_id)
    )
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"no process instance {instance_id}")
    condition = visible_to(actor)
    if (
        condition is not None
        and conn.scalar(
            select(process_instances.c.id).where((process_instances.c.id == instance_id) & condition)
        )
        is None
    ):
        raise PermissionDenied(f"{actor.name} takes no part in instance {instance_id}")
    return row
