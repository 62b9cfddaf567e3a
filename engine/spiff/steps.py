"""Running the automatic part of a workflow and reporting what each element did.

The report feeds the audit trail: which way a gateway went, which data a script or
decision set, which events were caught, where the process ended.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.util.task import TaskState

from engine.errors import CommandLimitExceeded, Conflict, Problem
from engine.spiff.context import WorkLimit
from engine.spiff.errors import translate
from engine.spiff.event_subprocesses import thrown_by
from engine.spiff.events import CycleTimer, DateTimer, DurationTimer, timer_due
from engine.spiff.workflow import ApprovalsWorkflow

_GATEWAYS = {"ExclusiveGateway", "InclusiveGateway", "EventBasedGateway"}
_DATA_SETTERS = {"ScriptTask", "BusinessRuleTask", "ServiceTask"}
_DEFINITE = TaskState.DEFINITE_MASK | TaskState.FINISHED_MASK


@dataclass
class Step:
    element_id: str
    kind: str  # the SpiffWorkflow spec class: ExclusiveGateway, ScriptTask, BoundaryEvent, ...
    targets: list[str] = field(default_factory=list)
    changed: dict[str, Any] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)  # the element's data when it completed
    # A loop or multi-instance element completes under one id once per instance and once more as the
    # whole, whose data holds only the merged outputs; filing a record per completion must skip the latter.
    wraps_instances: bool = False
    # An end or throw event's error, escalation or terminate: what it threw, for the history.
    thrown: dict[str, Any] | None = None


def _element_id(spec: Any) -> str | None:
    bpmn_id = getattr(spec, "bpmn_id", None)
    if bpmn_id:
        return bpmn_id
    name = getattr(spec, "name", "")
    return name[: -len(".BoundaryEventSplit")] if name.endswith(".BoundaryEventSplit") else None


def _observe(task: Any) -> Step | None:
    spec = task.task_spec
    kind = type(spec).__name__
    element_id = _element_id(spec)
    if element_id is None:
        return None
    if isinstance(spec, LoopTask):
        return Step(element_id, kind, data=task.data, wraps_instances=True)
    if kind in _GATEWAYS:
        targets = [t for t in (_element_id(c.task_spec) for c in task.children if c.state & _DEFINITE) if t]
        return Step(element_id, kind, targets=targets, data=task.data)
    if kind in _DATA_SETTERS:
        before = task.parent.data if task.parent is not None else {}
        changed = {k: v for k, v in task.data.items() if k not in before or before[k] != v}
        removed = [k for k in before if k not in task.data]
        return Step(element_id, kind, changed=changed, removed=removed, data=task.data)
    return Step(element_id, kind, data=task.data, thrown=thrown_by(spec))


def advance(workflow: ApprovalsWorkflow) -> list[Step]:
    """Run every ready automatic element until only people, timers or messages can move the process on."""
    steps: list[Step] = []
    context = getattr(workflow, "context", None)
    limit = context.work_limit if context is not None else WorkLimit()
    deadline = time.monotonic() + limit.timeout_ms / 1000
    ran = 0

    def did_complete(task: Any) -> None:
        nonlocal ran
        ran += 1
        if ran > limit.max_elements or time.monotonic() > deadline:
            raise _too_much_work(task, ran, limit)
        step = _observe(task)
        if step is not None:
            steps.append(step)

    try:
        workflow.do_engine_steps(did_complete_task=did_complete)
    except Exception as exc:
        raise translate(exc) from exc
    return steps


def _too_much_work(task: Any, ran: int, limit: WorkLimit) -> CommandLimitExceeded:
    element_id = _element_id(task.task_spec) or task.task_spec.name
    what = (
        f"more than {limit.max_elements} elements (APPROVALS_COMMAND_MAX_ELEMENTS)"
        if ran > limit.max_elements
        else f"for more than {limit.timeout_ms} ms (APPROVALS_COMMAND_TIMEOUT_MS)"
    )
    message = (
        f"the process ran {what} in one command without waiting for a person, a timer or a message; "
        f"it stopped at element '{element_id}'. Is there a loop of automatic elements that never waits?"
    )
    return CommandLimitExceeded(message, [Problem(message, element_id=element_id)])


def complete_user_task(workflow: ApprovalsWorkflow, task: Any, data: dict[str, Any]) -> list[Step]:
    """Put the submitted data on a READY user task, complete it and advance the workflow."""
    task.data.update(data)
    try:
        task.run()
    except Exception as exc:
        raise translate(exc) from exc
    return [
        Step(
            _element_id(task.task_spec) or task.task_spec.name, type(task.task_spec).__name__, data=task.data
        ),
        *advance(workflow),
    ]


def initial_data(workflow: ApprovalsWorkflow, data: dict[str, Any]) -> None:
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)


def cancel(workflow: ApprovalsWorkflow) -> None:
    workflow.cancel()


def instance_data(workflow: ApprovalsWorkflow) -> dict[str, Any]:
    """The data to show for the instance: the final data once complete, else the latest task's.

    Work inside a subprocess completes tasks of the subworkflow, whose ``last_task`` is its own: the
    latest of all the workflows' is the one that reflects what was done last."""
    if workflow.is_completed():
        return dict(workflow.data)
    finished = [w.last_task for w in (workflow, *workflow.subprocesses.values()) if w.last_task is not None]
    if not finished:
        return {}
    return dict(max(finished, key=lambda t: t.last_state_change).data)


@dataclass(frozen=True)
class ReadyUserTask:
    """A user or manual task waiting for a person, as plain values (for the inbox)."""

    spiff_task_id: str
    element_id: str
    name: str | None
    lane: str | None
    data: dict[str, Any]


def ready_user_tasks(workflow: ApprovalsWorkflow) -> list[ReadyUserTask]:
    return [
        ReadyUserTask(str(t.id), t.task_spec.bpmn_id, t.task_spec.bpmn_name, t.task_spec.lane, t.data)
        for t in workflow.ready_user_tasks()
    ]


def ready_task_data(workflow: ApprovalsWorkflow, spiff_task_id: str) -> dict[str, Any] | None:
    """The data of a READY task, or None when it is not READY (any more)."""
    task = workflow.find_task(UUID(spiff_task_id))
    return task.data if task is not None and task.state == TaskState.READY else None


def complete_ready_task(workflow: ApprovalsWorkflow, spiff_task_id: str, data: dict[str, Any]) -> list[Step]:
    """``complete_user_task`` for the READY task of that id (see ``ready_task_data``)."""
    return complete_user_task(workflow, workflow.find_task(UUID(spiff_task_id)), data)


@dataclass(frozen=True)
class Waiting:
    """A catching event waiting in the workflow."""

    spiff_task_id: str
    element_id: str
    kind: str  # timer | message | signal
    due_at: Any  # datetime for timers
    name: str | None  # message or signal name
    data: dict[str, Any]


def _waits_of(task: Any) -> list[tuple[str, Any]]:
    """(element id, event definition) pairs a waiting task waits for. An event-based gateway waits,
    in SpiffWorkflow, for the definitions of the events after it: one pair per such event."""
    definition = task.task_spec.event_definition
    if (
        isinstance(definition, MultipleEventDefinition)
        and type(task.task_spec).__name__ != "EventBasedGateway"
    ):
        # One catch event with several definitions (message and signal, say): any one of them, or
        # with parallelMultiple all of them — those not yet caught.
        own = _element_id(task.task_spec) or task.task_spec.name
        seen = [event.event_definition for event in task.internal_data.get("seen_events", [])]
        return [(own, d) for d in definition.event_definitions if d not in seen]
    if isinstance(definition, MultipleEventDefinition):
        outputs = task.task_spec.outputs
        return [
            (_element_id(outputs[i]) or outputs[i].name if i < len(outputs) else task.task_spec.name, d)
            for i, d in enumerate(definition.event_definitions)
        ]
    return [(_element_id(task.task_spec) or task.task_spec.name, definition)]


def waiting_events(workflow: ApprovalsWorkflow) -> list[Waiting]:
    found = []
    for task in list(workflow.event_manager.tasks.values()):
        if task.state != TaskState.WAITING:
            continue
        for element_id, definition in _waits_of(task):
            if isinstance(definition, CycleTimer | DateTimer | DurationTimer):
                due = timer_due(task, definition)
                if due is not None:
                    found.append(Waiting(str(task.id), element_id, "timer", due, None, task.data))
            elif isinstance(definition, MessageEventDefinition):
                found.append(Waiting(str(task.id), element_id, "message", None, definition.name, task.data))
            elif isinstance(definition, SignalEventDefinition):
                found.append(Waiting(str(task.id), element_id, "signal", None, definition.name, task.data))
    return found


def fire_timers(workflow: ApprovalsWorkflow) -> list[Step]:
    """Let every timer whose moment has come (by the command's clock) fire, and advance."""
    try:
        workflow.refresh_timers()
    except Exception as exc:
        raise translate(exc) from exc
    return advance(workflow)


def deliver(
    workflow: ApprovalsWorkflow,
    spiff_task_id: str,
    element_id: str,
    payload: dict[str, Any],
    name: str | None = None,
) -> list[Step]:
    """Hand a correlated message or a signal (``name``), with its payload, to the waiting event
    ``element_id`` (of task ``spiff_task_id``), and advance."""
    task = workflow.find_task(UUID(spiff_task_id))
    if task is None or task.state != TaskState.WAITING:
        raise Conflict("the event is no longer awaited: the process moved on")
    candidates = [d for e, d in _waits_of(task) if e == element_id]
    # A catch event with several definitions takes the one the delivery is for.
    named = [d for d in candidates if name is not None and getattr(d, "name", None) == name]
    definition = (named or candidates or [None])[0]
    if definition is None:
        raise Conflict(f"event '{element_id}' is not awaited here")
    try:
        task.task_spec.catch(task, BpmnEvent(definition, payload=dict(payload)))
        task.task_spec._update(task)
    except Exception as exc:
        raise translate(exc) from exc
    return advance(workflow)


def wait_was_met(
    workflow: ApprovalsWorkflow, spiff_task_id: str, element_id: str, name: str | None = None
) -> bool:
    """Did the event ``element_id`` (message or signal ``name``) that task ``spiff_task_id`` waited
    for happen — rather than the task being cancelled, or (an event-based gateway, a catch event with
    several definitions) another of its events happening first?"""
    task = workflow.find_task(UUID(spiff_task_id))
    if task is None or task.state & (TaskState.CANCELLED | TaskState.ERROR):
        return False
    definition = task.task_spec.event_definition
    if (
        isinstance(definition, MultipleEventDefinition)
        and type(task.task_spec).__name__ != "EventBasedGateway"
    ):
        seen = [event.event_definition for event in task.internal_data.get("seen_events", [])]
        if name is None:  # a timer of the event
            return any(isinstance(d, CycleTimer | DateTimer | DurationTimer) for d in seen)
        return any(getattr(d, "name", None) == name for d in seen)
    if isinstance(definition, MultipleEventDefinition):
        return element_id in {_element_id(child.task_spec) for child in task.children}
    return True


def thrown_events(workflow: ApprovalsWorkflow) -> list[tuple[str, str, Any]]:
    """Messages and signals the workflow threw that nothing inside it caught: (kind, name, payload)."""
    found = []
    for event in workflow.get_events():
        definition = event.event_definition
        if isinstance(definition, MessageEventDefinition | SignalEventDefinition):
            kind = "message" if isinstance(definition, MessageEventDefinition) else "signal"
            found.append((kind, definition.name, event.payload))
    return found
