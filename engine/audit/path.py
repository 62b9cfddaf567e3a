"""The path an instance took, read back from its trail: which elements it passed and how often,
which sequence flows it took, where it stands now and where it is stuck.

The trail records what decides or changes something (a task, a gateway's choice, a script's data, a
caught event); a merging gateway, a parallel fork, a start event or a subprocess's boundary passes
silently. Those are filled in from the diagram: a silent element was passed when it sits on the
only way between two recorded ones. Deciding gateways name the flows they took; any other element's
outgoing flow was taken when its target was reached.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

# A token passed the element: each pass leaves at most one event of each of these types there.
_PASSING = {
    "task_passed",
    "gateway_decision",
    "data_set",
    "decision_evaluated",
    "end_event",
    "event_thrown",
    "event_caught",
    "message_received",
    "signal_received",
    "timer_fired",
    "call_activity_completed",
    "external_task_completed",
    "external_task_bpmn_error",
}
# A token arrived at an activity and waits there (a user task by its task id, other waits by element)
# until one of the ending events.
_ARRIVALS = {"task_created", "external_task_created", "call_activity_started"}
# Waits that are not yet a pass: the token sits before a catch event (after an event-based gateway,
# several at once) until one of them is caught. On a boundary event or an event subprocess's start
# they are no position at all: the token is on the activity or nowhere.
_ARMED = {"message_awaited", "signal_awaited", "timer_scheduled"}
_WAITING_EVENTS = ("intermediateCatchEvent", "receiveTask")
_TASK_ENDS = {"task_completed", "task_cancelled"}
_WAIT_ENDS = {
    "external_task_completed",
    "external_task_cancelled",
    "external_task_bpmn_error",
    "call_activity_completed",
    "call_activity_error",
    "event_caught",
    "message_received",
    "signal_received",
    "message_wait_cancelled",
    "signal_wait_cancelled",
    "timer_fired",
    "timer_cancelled",
}
_TROUBLE = {"incident", "error", "timer_failed", "external_task_failed"}
_RESOLVING = {"incident_retried", "timer_retried", "external_task_retries_set"}
_DECIDING = ("exclusiveGateway", "inclusiveGateway", "eventBasedGateway")
_SILENT_KINDS = {
    "startEvent",
    "exclusiveGateway",
    "inclusiveGateway",
    "parallelGateway",
    "eventBasedGateway",
    "complexGateway",
    "subProcess",
    "transaction",
    "endEvent",
    "intermediateThrowEvent",
    "scriptTask",  # a script that changed nothing leaves no event
}


class TrailEvent(Protocol):
    seq: int
    type: str
    occurred_at: Any
    element_id: str | None
    task_id: int | None
    data: dict[str, Any]


class Diagram(Protocol):
    """What the path needs of a BPMN document (engine.repository's BpmnDocument)."""

    elements: dict[str, Any]
    flows: dict[str, Any]
    process_starts: list[str]


@dataclass(frozen=True)
class PathTaken:
    visits: dict[str, int]  # element id -> how many times a token passed it (0: never)
    flows: dict[str, int]  # sequence flow id -> how many times it was taken (at least 1 when taken)
    current: list[str] = field(default_factory=list)  # where tokens wait now
    incidents: list[str] = field(default_factory=list)  # where the instance is stuck on an error
    # The activities passed more than once (a rework loop, a repeated round); the gateways and
    # events on the loop's way are counted in ``visits`` but not repeated here.
    loops: dict[str, int] = field(default_factory=dict)


def trace_path(events: Sequence[TrailEvent], diagram: Diagram, ended: bool) -> PathTaken:
    # element -> event type -> how many times; one pass of an element leaves at most one event of
    # each type (a business rule task: a decision_evaluated and a data_set), except the tasks of a
    # multi-instance activity, which arrive together: consecutive task_created events are one pass.
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    flows: Counter[str] = Counter()
    open_tasks: dict[int, str] = {}
    open_waits: Counter[str] = Counter()
    trouble: dict[str, int] = {}  # element -> seq of its latest unresolved problem
    previous: tuple[str, str | None] | None = None
    for event in events:
        element = event.element_id
        same_batch = previous == ("task_created", element)
        previous = (event.type, element)
        if element is None or element not in diagram.elements:
            continue
        arrival = event.type in _ARRIVALS
        armed = event.type in _ARMED and diagram.elements[element].kind in _WAITING_EVENTS
        if (event.type in _PASSING or arrival) and not same_batch:
            counts[element][event.type] += 1
        if event.type in _PASSING or arrival:
            trouble.pop(element, None)
        if event.type == "gateway_decision":
            for taken in event.data.get("taken", ()):
                if taken.get("flow"):
                    flows[taken["flow"]] += 1
        if arrival or armed:
            if event.task_id is not None:
                open_tasks[event.task_id] = element
            else:
                open_waits[element] += 1
        elif event.type in _TASK_ENDS and event.task_id is not None:
            open_tasks.pop(event.task_id, None)
        if event.type in _WAIT_ENDS and open_waits[element] > 0:
            open_waits[element] -= 1
        if event.type in _TROUBLE:
            for where in [element, *event.data.get("elements", ())]:
                if where in diagram.elements:
                    trouble[where] = event.seq
        elif event.type in _RESOLVING:
            trouble.pop(element, None)

    waiting = set(open_tasks.values()) | {e for e, n in open_waits.items() if n > 0}
    visits = {e: max(counts[e].values(), default=0) if e in counts else 0 for e in diagram.elements}
    # A waiting element's outgoing flow is taken when the wait ended, not when it began.
    left = {e: max(0, visits[e] - (1 if e in waiting else 0)) for e in visits}
    _fill_silent(visits, left, flows, diagram, waiting)
    loops = {e: n for e, n in visits.items() if n > 1 and _is_activity(diagram.elements[e].kind)}
    if ended:
        return PathTaken(visits, dict(flows), loops=loops)
    return PathTaken(visits, dict(flows), sorted(waiting), sorted(trouble), loops)


def _is_activity(kind: str) -> bool:
    return kind.endswith("Task") or kind in ("task", "subProcess", "callActivity", "transaction")


def _fill_silent(
    visits: dict[str, int], left: dict[str, int], flows: Counter[str], diagram: Diagram, waiting: set[str]
) -> None:
    """Mark the silent elements on the way between recorded ones, until nothing changes, then the
    flows taken: a silent element was passed when tokens arrived along its incoming flows and, unless
    it ends a path, went on to an element that was passed."""
    incoming: dict[str, list[Any]] = defaultdict(list)
    outgoing: dict[str, list[Any]] = defaultdict(list)
    for flow in diagram.flows.values():
        outgoing[flow.source].append(flow)
        incoming[flow.target].append(flow)
    children: dict[str, list[str]] = defaultdict(list)
    for element in diagram.elements.values():
        if element.within:
            children[element.within].append(element.id)
    recorded = dict(flows)  # the deciding gateways' own choices
    # gateways that choose among their outgoing flows (a merging one passes its one flow on)
    deciding = {e.id for e in diagram.elements.values() if e.kind in _DECIDING and len(outgoing[e.id]) > 1}

    def arriving(flow: Any) -> int:
        return recorded.get(flow.id, 0) if flow.source in deciding else left.get(flow.source, 0)

    silent = [e.id for e in diagram.elements.values() if e.kind in _SILENT_KINDS and not visits.get(e.id)]
    changed = True
    while changed:
        changed = False
        for element_id in silent:
            if visits.get(element_id):
                continue
            element = diagram.elements[element_id]
            if element.kind in ("subProcess", "transaction"):
                count = max((visits.get(c, 0) for c in children[element_id]), default=0)
            elif element.kind == "startEvent" and not incoming[element_id]:
                # a subprocess's start as often as the subprocess was entered; the process's own,
                # once, where the path goes on from it
                if element.within is not None:
                    count = visits.get(element.within, 0)
                else:
                    count = min(1, max((visits.get(f.target, 0) for f in outgoing[element_id]), default=0))
            else:
                arrived = sum(arriving(f) for f in incoming[element_id])
                # on to an element passed, or to one the token waits at (an event-based gateway's events)
                onward = max(
                    (max(visits.get(f.target, 0), f.target in waiting) for f in outgoing[element_id]),
                    default=arrived,
                )
                count = min(arrived, onward)
            if count > 0:
                visits[element_id] = left[element_id] = count
                changed = True
    for flow in diagram.flows.values():
        if flow.id not in flows and flow.source not in deciding:
            count = min(left.get(flow.source, 0), visits.get(flow.target, 0))
            if count:
                flows[flow.id] = count
