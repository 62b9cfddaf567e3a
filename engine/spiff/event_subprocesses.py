"""Event subprocesses (``<subProcess triggeredByEvent="true">``) with BPMN's semantics.

SpiffWorkflow 3.2 starts a timer event subprocess with its scope but keeps the scope open until it
has run; starts message, signal, error and escalation event subprocesses only at process level and
only when their event arrives (so nothing is subscribed before, and one nested in a subprocess is
never triggered); and ignores ``isInterrupting``. Here, at compile time and on the specs only:

- every event subprocess is *armed* when its scope (the process, or the embedded subprocess around
  it) starts: its subworkflow starts and its start event waits like a boundary event, so timers
  and message or signal subscriptions exist from then on (engine/events/waits.py sees them);
- an armed event subprocess whose start event has not fired does not hold its scope open: the
  scope ends when its other work is done, and the armed ones are cancelled then;
- an interrupting start event cancels the rest of its scope (inbox tasks, timers and subscriptions
  close as cancelled); a non-interrupting message, signal or escalation start arms another copy,
  so the next event starts another run (a timer cycle adds a run per occurrence by itself);
- an error or escalation reaches the event subprocesses of the scope it was thrown in before any
  boundary event of an enclosing activity, and a catcher naming its code before a catch-all one.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.control import _EndJoin
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent, StartEvent
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    CodeEventDefinition,
    ErrorEventDefinition,
    EscalationEventDefinition,
    SignalEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.simple import TerminateEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import ThrowingEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import EventSubprocess
from SpiffWorkflow.bpmn.util.event import EventManager
from SpiffWorkflow.util.task import TaskState

# A non-interrupting start on these fires again; a timer date or duration fires once.
_REPEATABLE = (MessageEventDefinition, SignalEventDefinition, CodeEventDefinition)
_BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_NOT_FINISHED = TaskState.NOT_FINISHED_MASK
_ACTIVE = TaskState.READY | TaskState.STARTED | TaskState.WAITING


class EventSubprocessStartEvent(StartEvent):
    """The start event of an event subprocess: fires once per run of its subprocess."""

    interrupting = True

    def _run_hook(self, my_task: Any) -> bool:
        scope_task = _scope_task(my_task)
        if scope_task is not None:
            if self.interrupting:
                _interrupt(scope_task)
            elif isinstance(self.event_definition, _REPEATABLE):
                _arm_again(scope_task)
        return super()._run_hook(my_task)


class EventScopeEndJoin(_EndJoin):
    """The end of a scope with event subprocesses: armed ones neither hold it open nor outlive it."""

    def _check_threshold_unstructured(self, my_task: Any) -> bool:
        # The plain end join's walk (engine/spiff/tree_walks.end_join_may_fire), with armed event
        # subprocesses (and what is predicted below them) left out.
        tasks = my_task.workflow.tasks
        armed = {t.id for t in tasks.values() if is_armed(t)}
        for task in tasks.values():
            if task is my_task or not task._state & _NOT_FINISHED or task.id in armed:
                continue
            parent = task.parent
            while parent is not None and parent.task_spec.name != self.name and parent.id not in armed:
                parent = parent.parent
            if parent is None:
                return False
        return True

    def _run_hook(self, my_task: Any) -> bool:
        _cancel_deepest_first([t for t in my_task.workflow.tasks.values() if is_armed(t)])
        return super()._run_hook(my_task)


class ScopedEventManager(EventManager):
    """Errors and escalations go up from the scope that threw them, as in Camunda 7: at each level the
    scope's own event subprocesses catch first, else the boundary events of the activity the event
    came out of (not those of its sibling activities, which SpiffWorkflow also offers it to), and a
    catcher naming the event's code is preferred over a catch-all one. Past the process nobody
    catches it (SpiffWorkflow would then offer it to any waiting catcher, in any branch); the end
    event that threw it has ended its path, as an unhandled error does in Camunda 7."""

    def catch(self, event: Any, internal: bool = True) -> int:
        if not isinstance(event.event_definition, CodeEventDefinition) or event.target is None:
            return super().catch(event, internal)
        top = self.workflow
        came_from, target = None, event.target
        while target is not None:
            waiting = [t for t in self.tasks.values() if t.task_spec.event_definition.catches(t, event)]
            tasks = [
                t
                for t in waiting
                if isinstance(t.task_spec, EventSubprocessStartEvent) and t.workflow.parent_workflow is target
            ] or [
                t
                for t in waiting
                if isinstance(t.task_spec, BoundaryEvent)
                and t.workflow is target
                and _guards(top, t, came_from)
            ]
            tasks = _specific_first(tasks)
            if tasks:
                for task in tasks:
                    task.task_spec.catch(task, event)
                    task.task_spec._update(task)
                return len(tasks)
            came_from, target = target, target.parent_workflow
        if internal:
            # As SpiffWorkflow keeps what nothing caught (a call activity's child reports its error so).
            self.workflow.bpmn_events.append(event)
        return 0


def _guards(top: Any, boundary: Any, came_from: Any) -> bool:
    """Is ``boundary`` attached to the activity running the subworkflow ``came_from``?"""
    if came_from is None or boundary.parent is None:
        return False
    main = next((c for c in boundary.parent.children if not isinstance(c.task_spec, BoundaryEvent)), None)
    owner = top.get_task_from_id(came_from.parent_task_id)
    return main is not None and owner is not None and (owner is main or owner.is_descendant_of(main))


def _specific_first(tasks: list[Any]) -> list[Any]:
    """The catchers that name a code, when there are any; else the catch-all ones."""
    specific = [
        t
        for t in tasks
        if isinstance(t.task_spec.event_definition, CodeEventDefinition)
        and t.task_spec.event_definition.code is not None
    ]
    return specific or tasks


def is_armed(task: Any) -> bool:
    """An event subprocess waiting for its start event (or, a timer cycle, for its next occurrence)
    with nothing of a run left to do."""
    if not isinstance(task.task_spec, EventSubprocess) or task._state != TaskState.STARTED:
        return False
    sub = task.workflow.top_workflow.subprocesses.get(task.id)
    if sub is None:
        return False
    for inner in sub.tasks.values():
        if not inner._state & _ACTIVE:
            continue
        if inner._state != TaskState.WAITING or not isinstance(inner.task_spec, StartEvent | _EndJoin):
            return False
    return True


def _scope_task(my_task: Any) -> Any:
    """The event subprocess task (in its scope's workflow) that ``my_task``'s subworkflow runs for."""
    parent_id = my_task.workflow.parent_task_id
    return None if parent_id is None else my_task.workflow.top_workflow.get_task_from_id(parent_id)


def _interrupt(scope_task: Any) -> None:
    """Cancel everything of the scope but this event subprocess (armed siblings included)."""
    workflow = scope_task.workflow
    _cancel_deepest_first(
        [
            task
            for task in workflow.tasks.values()
            if task._state & _NOT_FINISHED
            and task is not scope_task
            and not task.is_descendant_of(scope_task)
            and not scope_task.is_descendant_of(task)
        ]
    )


def _cancel_deepest_first(tasks: list[Any]) -> None:
    """Cancel ``tasks``, those deepest in the tree first: a cancelled task drops its unfinished
    children, and a dropped event subprocess would leave its subworkflow behind uncancelled."""

    def depth(task: Any) -> int:
        found, parent = 0, task.parent
        while parent is not None:
            found, parent = found + 1, parent.parent
        return found

    for task in sorted(tasks, key=depth, reverse=True):
        if task.id in task.workflow.tasks and task._state & _NOT_FINISHED:
            task.cancel()


def _arm_again(scope_task: Any) -> None:
    """A new copy of the event subprocess, waiting for the next event (non-interrupting).

    Like the first, it hangs below the scope's start (engine/spiff/state.py rewrites a finished task
    whose children changed); marked as triggered, as SpiffWorkflow marks the event subprocesses it
    starts, so that nothing syncing the start's children removes it."""
    start = scope_task.parent
    copy = start._add_child(scope_task.task_spec, TaskState.FUTURE)
    copy.triggered = True
    copy.task_spec._update(copy)


def prepare(parser: Any, spec: Any, subprocess_specs: dict[str, Any]) -> None:
    """Arm every event subprocess with its scope, and give the starts and scope ends their rules."""
    for scope in (spec, *subprocess_specs.values()):
        start = scope.start
        for name in list(getattr(start, "trigger_specs", ())):
            task_spec = scope.task_specs[name]
            if task_spec not in start.outputs:
                start.connect(task_spec)
                task_spec.connect(scope.end)
        if hasattr(start, "trigger_specs"):
            start.trigger_specs = []
        event_subprocesses = [t for t in scope.task_specs.values() if isinstance(t, EventSubprocess)]
        if not event_subprocesses:
            continue
        if type(scope.end) is _EndJoin:
            scope.end.__class__ = EventScopeEndJoin
        for task_spec in event_subprocesses:
            inner = subprocess_specs[task_spec.spec]
            node = parser.process_parsers[task_spec.spec].node
            for start_event in inner.bpmn_start_events:
                xml = node.xpath(
                    "./bpmn:startEvent[@id=$id]", id=start_event.bpmn_id, namespaces={"bpmn": _BPMN}
                )
                interrupting = not (xml and xml[0].get("isInterrupting", "true").lower() == "false")
                if type(start_event) is StartEvent:
                    start_event.__class__ = EventSubprocessStartEvent
                start_event.interrupting = interrupting


def thrown_by(spec: Any) -> dict[str, Any] | None:
    """What an end or intermediate throw event throws beyond ending its path (for the history):
    an error or escalation with its code, or a terminate; None for anything else."""
    if not isinstance(spec, ThrowingEvent):
        return None
    definition = spec.event_definition
    if isinstance(definition, ErrorEventDefinition | EscalationEventDefinition):
        kind = "error" if isinstance(definition, ErrorEventDefinition) else "escalation"
        return {"throws": kind, "code": definition.code}
    if isinstance(definition, TerminateEventDefinition):
        return {"throws": "terminate"}
    return None
