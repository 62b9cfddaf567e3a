"""What a running instance waits for — and an incident when it waits for nothing.

A running instance moves on only when something outside it acts: a person completes a task, a
timer falls due, a message or signal arrives (and, as they are added, an external worker completes
its task or a child instance ends). Each of those is a row a command keeps in step with the workflow,
so "what does it wait for" is a question to those tables: one *probe* per kind of wait. An instance
whose tokens sit where no probe finds anything would wait for ever without anyone noticing; the
command that left it so records an ``incident`` (the instance stays running, so it can still be
cancelled, and the incident is shown in its ``waiting_for``) naming the elements where the tokens sit.

To teach the engine a new kind of wait, add a probe to ``PROBES``: a function ``(conn, instance_id)``
returning one line per thing the instance waits for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from engine.runtime.unit_of_work import LoadedInstance, Projection
from engine.spiff.tokens import token_positions
from engine.statuses import INCIDENT, OPEN, PENDING, RUNNING, WAITING
from engine.store.schema import event_subscriptions, process_instances, timers, user_tasks

Probe = Callable[[Connection, int], list[str]]
STALLED = "stalled"  # the ``reason`` of the incident history event

_ID = bindparam("instance_id")
_OPEN_TASKS = (
    select(user_tasks.c.element_id, user_tasks.c.name, user_tasks.c.assignee)
    .where((user_tasks.c.instance_id == _ID) & (user_tasks.c.status == OPEN))
    .order_by(user_tasks.c.id)
)
_TIMERS = (
    select(timers.c.element_id, timers.c.due_at, timers.c.status)
    .where((timers.c.instance_id == _ID) & timers.c.status.in_((PENDING, INCIDENT)))
    .order_by(timers.c.due_at, timers.c.id)
)
_SUBSCRIPTIONS = (
    select(event_subscriptions.c.element_id, event_subscriptions.c.kind, event_subscriptions.c.event_name)
    .where((event_subscriptions.c.instance_id == _ID) & (event_subscriptions.c.status == WAITING))
    .order_by(event_subscriptions.c.id)
)
_ERROR = select(process_instances.c.error).where(process_instances.c.id == _ID)


def _user_tasks(conn: Connection, instance_id: int) -> list[str]:
    return [
        f"user task {r.element_id}" + (f" (assigned to {r.assignee})" if r.assignee else "")
        for r in conn.execute(_OPEN_TASKS, {"instance_id": instance_id})
    ]


def _timers(conn: Connection, instance_id: int) -> list[str]:
    return [
        f"timer {r.element_id} due {r.due_at.isoformat()}"
        if r.status == PENDING
        else f"incident: timer {r.element_id} failed (an admin may retry it)"
        for r in conn.execute(_TIMERS, {"instance_id": instance_id})
    ]


def _subscriptions(conn: Connection, instance_id: int) -> list[str]:
    return [
        f"{r.kind} {r.event_name!r} at {r.element_id}"
        for r in conn.execute(_SUBSCRIPTIONS, {"instance_id": instance_id})
    ]


def _incident(conn: Connection, instance_id: int) -> list[str]:
    error = conn.execute(_ERROR, {"instance_id": instance_id}).scalar()
    return [f"incident: {error}"] if error else []


PROBES: list[Probe] = [_user_tasks, _timers, _subscriptions, _incident]


def why_waiting(conn: Connection, instance_id: int) -> list[str]:
    """What the instance waits for, one line each (empty: nothing will ever move it on)."""
    found: list[str] = []
    for probe in PROBES:
        found += probe(conn, instance_id)
    return found


def _waits_for_something(conn: Connection, instance_id: int) -> bool:
    # The stall's own incident does not count; the first probe that finds anything settles it, so
    # the usual case (an open user task) costs one indexed query.
    return any(probe(conn, instance_id) for probe in PROBES if probe is not _incident)


def stall_message(positions: list[str]) -> str:
    where = ", ".join(positions) if positions else "no element"
    return f"{_STALL_PREFIX}{where}"


_STALL_PREFIX = "the process waits for nothing: its tokens stopped at "


def check_stalled(
    conn: Connection,
    instance: Any,
    positions: Callable[[], list[str]],
    record: Callable[[str, list[str]], None],
) -> None:
    """After a command's writes: a running instance that waits for nothing gets an incident.

    ``instance`` is its row as read under lock, ``positions()`` the elements where its tokens sit
    (asked only for an incident: it walks the workflow);
    ``record(message, positions)`` appends the history event. Recorded once: the incident stays on
    the instance (``process_instances.error``, shown by ``why_waiting``) while it lasts.
    """
    error = instance.error or ""
    if not _waits_for_something(conn, instance.id):
        if not error:
            where = positions()
            message = stall_message(where)
            conn.execute(
                update(process_instances).where(process_instances.c.id == instance.id).values(error=message)
            )
            record(message, where)
    elif error.startswith(_STALL_PREFIX):
        conn.execute(
            update(process_instances).where(process_instances.c.id == instance.id).values(error=None)
        )


class StallCheck(Projection):
    """The last projection: it reads the wait tables the others have just written."""

    def project(self, instance: LoadedInstance) -> None:
        if instance.status != RUNNING:
            return

        def record(message: str, positions: list[str]) -> None:
            instance.history.add(
                "incident",
                instance.actor.name,
                instance.now,
                element_id=positions[0] if positions else None,
                reason=STALLED,
                elements=positions,
                error=message,
            )

        check_stalled(instance.conn, instance.row, lambda: token_positions(instance.workflow), record)
