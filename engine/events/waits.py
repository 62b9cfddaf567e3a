"""Keeping the timer and subscription tables in step with what the workflow waits for.

Runs in each command's transaction, like the inbox projection: a timer row is created in the
same transaction as the instance state that armed it, so a timer is never lost or doubled.
Every timer or message the workflow stops waiting for is closed — as fired/delivered when its
task went on, as cancelled when its task was cancelled (an interrupting event elsewhere, the
instance cancelled) — and the audit trail says which.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from engine.errors import WorkflowError
from engine.events.correlation import key_from_data
from engine.history.recorder import HistoryRecorder
from engine.repository.compiler import CompiledModel
from engine.scripting.expressions import evaluate
from engine.spiff.steps import Waiting, wait_was_met, waiting_events
from engine.statuses import CANCELLED, DELIVERED, FIRED, PENDING, WAITING
from engine.store.fastpath import fast_writer
from engine.store.schema import event_subscriptions, timers

_PENDING_TIMERS = select(timers.c.id, timers.c.spiff_task_id, timers.c.element_id, timers.c.due_at).where(
    (timers.c.instance_id == bindparam("instance_id")) & (timers.c.status == PENDING)
)
_INSERT_TIMER = insert(timers).values(
    {
        c: bindparam(c)
        for c in (
            "instance_id",
            "version_id",
            "model_key",
            "element_id",
            "spiff_task_id",
            "kind",
            "expression",
            "due_at",
            "occurrence",
            "status",
            "attempts",
            "created_at",
        )
    }
)
_RESCHEDULE = (
    update(timers)
    .where(timers.c.id == bindparam("timer_id"))
    .values(
        due_at=bindparam("v_due"),
        occurrence=timers.c.occurrence + 1,
        attempts=0,
        next_attempt_at=None,
        last_error=None,
    )
)
_CLOSE_TIMER = (
    update(timers)
    .where(timers.c.id == bindparam("timer_id"))
    .values(status=bindparam("v_status"), fired_at=bindparam("v_at"))
)
_WAITING_SUBSCRIPTIONS = select(
    event_subscriptions.c.id,
    event_subscriptions.c.spiff_task_id,
    event_subscriptions.c.element_id,
    event_subscriptions.c.kind,
    event_subscriptions.c.event_name,
).where(
    (event_subscriptions.c.instance_id == bindparam("instance_id"))
    & (event_subscriptions.c.status == WAITING)
)
_INSERT_SUBSCRIPTION = insert(event_subscriptions).values(
    {
        c: bindparam(c)
        for c in (
            "instance_id",
            "version_id",
            "model_key",
            "element_id",
            "spiff_task_id",
            "kind",
            "event_name",
            "correlation_key",
            "status",
            "created_at",
        )
    }
)
_CLOSE_SUBSCRIPTION = (
    update(event_subscriptions)
    .where(event_subscriptions.c.id == bindparam("subscription_id"))
    .values(status=bindparam("v_status"), delivered_at=bindparam("v_at"))
)


def correlation_key(model: CompiledModel, waiting: Waiting, business_key: str | None) -> str | None:
    """The key a message must carry to reach this waiting event: the instance's business key,
    unless the model names a correlation expression or BPMN correlation properties for the message
    (engine/events/correlation.py)."""
    trigger = model.document.triggers.get(waiting.element_id)
    if trigger is None or not trigger.correlation:
        return business_key
    expressions = trigger.correlation_properties
    try:
        if expressions:
            return key_from_data(expressions, waiting.data)
        value = evaluate(trigger.correlation, waiting.data)
    except Exception as exc:
        shown = ", ".join(expressions) if expressions else trigger.correlation
        raise WorkflowError(f"message event '{waiting.element_id}': correlation key {shown!r} failed: {exc}")
    return None if value is None else str(value)


def sync_waits(
    conn: Connection,
    *,
    instance: Any,
    workflow: Any,
    model: CompiledModel,
    history: HistoryRecorder,
    now: datetime,
    actor: str | None,
) -> None:
    if not model.document.triggers:
        return  # nothing in this model ever waits for a timer, message or signal
    waiting = waiting_events(workflow)
    writer = fast_writer(conn)
    timers_now = {w.spiff_task_id: w for w in waiting if w.kind == "timer"}
    for row in conn.execute(_PENDING_TIMERS, {"instance_id": instance.id}).all():
        current = timers_now.pop(row.spiff_task_id, None)
        if current is None:
            fired = wait_was_met(workflow, row.spiff_task_id, row.element_id)
            writer.execute(
                conn,
                _CLOSE_TIMER,
                {"timer_id": row.id, "v_status": FIRED if fired else CANCELLED, "v_at": now},
            )
            history.add(
                "timer_fired" if fired else "timer_cancelled",
                actor,
                now,
                element_id=row.element_id,
                due_at=row.due_at,
            )
        elif current.due_at != row.due_at:
            # A cycle fired and is armed for its next occurrence.
            writer.execute(conn, _RESCHEDULE, {"timer_id": row.id, "v_due": current.due_at})
            history.add(
                "timer_fired",
                actor,
                now,
                element_id=row.element_id,
                due_at=row.due_at,
                next_due_at=current.due_at,
            )
    for waiting_timer in timers_now.values():
        trigger = model.document.triggers.get(waiting_timer.element_id)
        writer.execute(
            conn,
            _INSERT_TIMER,
            {
                "instance_id": instance.id,
                "version_id": instance.version_id,
                "model_key": instance.model_key,
                "element_id": waiting_timer.element_id,
                "spiff_task_id": waiting_timer.spiff_task_id,
                "kind": "boundary" if trigger is not None and trigger.attached_to else "catch",
                "expression": trigger.expression if trigger is not None else None,
                "due_at": waiting_timer.due_at,
                "occurrence": 0,
                "status": PENDING,
                "attempts": 0,
                "created_at": now,
            },
        )
        history.add(
            "timer_scheduled", actor, now, element_id=waiting_timer.element_id, due_at=waiting_timer.due_at
        )

    # One catch event may wait for a message and a signal at once: a wait is its task, element, kind
    # and name.
    events_now = {
        (w.spiff_task_id, w.element_id, w.kind, w.name): w for w in waiting if w.kind in ("message", "signal")
    }
    for row in conn.execute(_WAITING_SUBSCRIPTIONS, {"instance_id": instance.id}).all():
        if events_now.pop((row.spiff_task_id, row.element_id, row.kind, row.event_name), None) is None:
            delivered = wait_was_met(workflow, row.spiff_task_id, row.element_id, row.event_name)
            writer.execute(
                conn,
                _CLOSE_SUBSCRIPTION,
                {"subscription_id": row.id, "v_status": DELIVERED if delivered else CANCELLED, "v_at": now},
            )
            if not delivered:
                history.add(
                    f"{row.kind}_wait_cancelled", actor, now, element_id=row.element_id, name=row.event_name
                )
    for event in events_now.values():
        key = correlation_key(model, event, instance.business_key) if event.kind == "message" else None
        writer.execute(
            conn,
            _INSERT_SUBSCRIPTION,
            {
                "instance_id": instance.id,
                "version_id": instance.version_id,
                "model_key": instance.model_key,
                "element_id": event.element_id,
                "spiff_task_id": event.spiff_task_id,
                "kind": event.kind,
                "event_name": event.name,
                "correlation_key": key,
                "status": WAITING,
                "created_at": now,
            },
        )
        history.add(
            f"{event.kind}_awaited",
            actor,
            now,
            element_id=event.element_id,
            name=event.name,
            correlation_key=key,
        )
