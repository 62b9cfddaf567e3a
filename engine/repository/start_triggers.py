"""Start triggers of deployed versions: timer rows for timer start events, subscriptions for message
and signal start events. Only the latest version of a model starts instances on its own; deploying
a new version moves the triggers to it, in the deploy transaction."""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlalchemy import Connection, insert, update

from engine.errors import ModelValidationError, Problem
from engine.repository.bpmn_document import EventTrigger
from engine.repository.compiler import CompiledModel
from engine.statuses import CANCELLED, PENDING, WAITING
from engine.store.schema import event_subscriptions, timers
from engine.timeexpr import add_duration, parse_cycle, parse_datetime, parse_duration


def first_start(trigger: EventTrigger, now: datetime, tz: tzinfo) -> tuple[datetime, int] | None:
    """When a timer start event first fires after ``now`` (and which occurrence that is)."""
    text = trigger.expression or ""
    if trigger.timer_type == "timeDate":
        return parse_datetime(text, tz), 0
    if trigger.timer_type == "timeDuration":
        return add_duration(now, parse_duration(text)), 0
    return _swap(parse_cycle(text, now, tz).next_after(now))


def next_start(
    trigger: EventTrigger, anchor: datetime, occurrence: int, now: datetime, tz: tzinfo
) -> tuple[datetime, int] | None:
    """After a start timer fired: its next occurrence after ``now`` (None for one-shot timers)."""
    if trigger.timer_type != "timeCycle":
        return None
    cycle = parse_cycle(trigger.expression or "", anchor, tz)
    return _swap(cycle.next_after(now, occurrence + 1))


def _swap(found: tuple[int, datetime] | None) -> tuple[datetime, int] | None:
    return None if found is None else (found[1], found[0])


def register_start_triggers(
    conn: Connection, version_id: int, model: CompiledModel, now: datetime, tz: tzinfo
) -> None:
    """Make ``version_id`` the version whose start triggers are armed (others of the model key disarmed)."""
    key = model.model_key
    conn.execute(
        update(timers)
        .where((timers.c.model_key == key) & timers.c.instance_id.is_(None) & (timers.c.status == PENDING))
        .values(status=CANCELLED)
    )
    conn.execute(
        update(event_subscriptions)
        .where(
            (event_subscriptions.c.model_key == key)
            & event_subscriptions.c.instance_id.is_(None)
            & (event_subscriptions.c.status == WAITING)
        )
        .values(status=CANCELLED)
    )
    for trigger in model.document.start_triggers:
        if trigger.kind == "timer":
            try:
                first = first_start(trigger, now, tz)
            except ValueError as exc:
                # The compiler refuses what cannot be scheduled; should anything slip through, the
                # deploy still fails as a model problem, not as a server error.
                raise ModelValidationError(
                    f"{model.document.file_name}: the timer start event cannot be scheduled",
                    [
                        Problem(
                            f"invalid {trigger.timer_type}: {exc}",
                            file=model.document.file_name,
                            line=trigger.line,
                            element_id=trigger.element_id,
                        )
                    ],
                ) from exc
            if first is None:
                continue
            conn.execute(
                insert(timers).values(
                    instance_id=None,
                    version_id=version_id,
                    model_key=key,
                    element_id=trigger.element_id,
                    spiff_task_id=None,
                    kind="start",
                    expression=trigger.expression,
                    due_at=first[0],
                    occurrence=first[1],
                    status=PENDING,
                    attempts=0,
                    created_at=now,
                )
            )
        else:
            conn.execute(
                insert(event_subscriptions).values(
                    instance_id=None,
                    version_id=version_id,
                    model_key=key,
                    element_id=trigger.element_id,
                    spiff_task_id=None,
                    kind=trigger.kind,
                    event_name=trigger.name,
                    correlation_key=None,
                    status=WAITING,
                    created_at=now,
                )
            )
