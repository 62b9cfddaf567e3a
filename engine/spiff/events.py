"""Timer and message event definitions for SpiffWorkflow, on the engine's terms.

Timers read the command's clock (so tests move time instead of sleeping) and accept what
modelling tools write: plain ISO 8601 text (``PT2H``, ``2026-12-31T18:00:00+08:00``,
``R/2026-01-31T18:00:00+08:00/P1M``), ``${expression}`` (JUEL) or ``=expression`` (FEEL) over
the process data, or — as SpiffWorkflow models do — a Python expression. Calendar units are
calendar units and the n-th occurrence of a cycle is computed from its start (engine/timeexpr.py).

Messages are correlated by the engine before they reach a task, so catching one here only
stores its payload, which is merged into the task data when the task runs.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
)

from engine.cron import CronCycle, looks_like_cron
from engine.errors import WorkflowError
from engine.scripting.expressions import evaluate, is_expression
from engine.timeexpr import Cycle, add_duration, parse_cycle, parse_datetime, parse_duration

_ISO = re.compile(r"^(R\d*/|P|-?\d{4}-\d{2}-\d{2})", re.I)


def _context(task: Any) -> Any:
    return task.workflow.top_workflow.context


def _now(task: Any) -> datetime:
    return _context(task).clock.now()


def _is_due(task: Any, moment: datetime) -> bool:
    until = _context(task).fire_until
    return until is not None and moment <= until


def timer_value(task: Any, expression: str) -> Any:
    """The timer's definition for this task: ISO text as written, or the value of its expression."""
    text = (expression or "").strip()
    try:
        functions = task.workflow.top_workflow.functions
        if is_expression(text):  # ${…} JUEL, =… FEEL (engine/scripting/expressions.py)
            return evaluate(text, task.data, functions)
        if _ISO.match(text) or looks_like_cron(text):
            return text
        return evaluate(text, task.data, functions)
    except Exception as exc:
        raise WorkflowError(f"timer '{task.task_spec.bpmn_id}': its definition {text!r} failed: {exc}")


def _as_datetime(task: Any, value: Any) -> datetime:
    tz = _context(task).timezone
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=tz)
    try:
        return parse_datetime(str(value), tz)
    except ValueError:
        raise WorkflowError(f"timer '{task.task_spec.bpmn_id}': {value!r} is not an ISO 8601 date-time")


class DateTimer(TimeDateEventDefinition):
    def has_fired(self, my_task: Any) -> bool:
        due = my_task._get_internal_data("event_value")
        if due is None:
            due = _as_datetime(my_task, timer_value(my_task, self.expression)).isoformat()
            my_task._set_internal_data(event_value=due)
        if _is_due(my_task, datetime.fromisoformat(due)):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class DurationTimer(DurationTimerEventDefinition):
    def has_fired(self, my_task: Any) -> bool:
        due = my_task._get_internal_data("event_value")
        if due is None:
            value = timer_value(my_task, self.expression)
            start = _now(my_task)
            try:
                moment = (
                    start + value
                    if isinstance(value, timedelta)
                    else add_duration(start, parse_duration(str(value)))
                )
            except ValueError as exc:
                raise WorkflowError(f"timer '{my_task.task_spec.bpmn_id}': {exc}")
            due = moment.isoformat()
            my_task._set_internal_data(event_value=due)
        if _is_due(my_task, datetime.fromisoformat(due)):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class CycleTimer(CycleTimerEventDefinition):
    """Fires at every occurrence of an ISO repeating interval; done after its last repetition."""

    def _cycle(self, my_task: Any, state: dict[str, Any]) -> Cycle | CronCycle:
        return parse_cycle(
            state["cycle"], datetime.fromisoformat(state["anchor"]), _context(my_task).timezone
        )

    def cycle_complete(self, my_task: Any) -> bool:
        state = my_task._get_internal_data("event_value")
        if state is None:
            text = str(timer_value(my_task, self.expression))
            anchor = _now(my_task)
            try:
                first = parse_cycle(text, anchor, _context(my_task).timezone).next_after(
                    anchor - timedelta(microseconds=1)
                )
            except ValueError as exc:
                raise WorkflowError(f"timer '{my_task.task_spec.bpmn_id}': {exc}")
            state = {
                "cycle": text,
                "anchor": anchor.isoformat(),
                "n": first[0] if first else 0,
                "next": first[1].isoformat() if first else None,
            }
        fired = False
        if state["next"] is not None and _is_due(my_task, datetime.fromisoformat(state["next"])):
            following = self._cycle(my_task, state).next_after(_now(my_task), state["n"] + 1)
            state = {
                **state,
                "n": following[0] if following else state["n"] + 1,
                "next": following[1].isoformat() if following else None,
            }
            fired = True
        if state["next"] is None and not fired:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
            return False
        my_task._set_internal_data(event_value=state)
        return fired


def timer_due(task: Any, definition: Any) -> datetime | None:
    """When a waiting timer (``definition``, of ``task``) fires next, as it computed on arming."""
    value = task.internal_data.get("event_value")
    if isinstance(definition, CycleTimer):
        return datetime.fromisoformat(value["next"]) if value and value.get("next") else None
    if isinstance(definition, DateTimer | DurationTimer) and value:
        return datetime.fromisoformat(value)
    return None


class CorrelatedMessage(MessageEventDefinition):
    """A message the engine has already correlated: catching keeps the payload, nothing more."""

    def catch(self, my_task: Any, event: Any = None) -> None:
        if event is not None:
            my_task.internal_data[self.name] = event.payload
        my_task._set_internal_data(event_fired=True)
