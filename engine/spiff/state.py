"""Saving and restoring a workflow's state, one row per task, writing only what changed.

SpiffWorkflow's serializer writes the whole workflow — spec included — at every save, so
the cost of a step grows with the age of the instance. Here the spec is never stored (it
is rebuilt from the version's files and cached), the workflow-level attributes form a
small envelope, and each task is its own row. A save re-serializes only the tasks that
are not yet settled (see ``_settled``) or settled since the last save; a settled task never
changes again.
Task dictionaries are SpiffWorkflow's own (``TaskConverter``: data stored as a delta
against the parent), so restoring goes through SpiffWorkflow's converters.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.serializer.default.event_definition import (
    MessageEventDefinitionConverter,
    TimerConditionalEventDefinitionConverter,
)
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_STATE_VERSION
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.spiff.events import CorrelatedMessage, CycleTimer, DateTimer, DurationTimer
from engine.spiff.workflow import ApprovalsWorkflow

_FINISHED = TaskState.FINISHED_MASK
_PREDICTED = TaskState.PREDICTED_MASK | TaskState.FUTURE
# Event definitions end up in task data when an event-based gateway records what it saw: the
# engine's own definition classes serialize like SpiffWorkflow's.
_REGISTRY = BpmnWorkflowSerializer.configure(
    {
        **DEFAULT_CONFIG,
        CorrelatedMessage: MessageEventDefinitionConverter,
        DateTimer: TimerConditionalEventDefinitionConverter,
        DurationTimer: TimerConditionalEventDefinitionConverter,
        CycleTimer: TimerConditionalEventDefinitionConverter,
    }
)


@dataclass(frozen=True)
class TaskRow:
    task_id: str
    ord: int
    workflow_key: str
    payload: str


@dataclass
class Fingerprint:
    """What the database holds for a workflow: task id -> (settled when written, creation order,
    marker of an untouched predicted task)."""

    tasks: dict[UUID, tuple[bool, int, Any]] = field(default_factory=dict)
    next_ord: int = 0


def _settled(task: Any) -> bool:
    """A finished task whose stored form can no longer change. Its data is stored as a delta against
    its parent's, so it settles only when the parent has finished too: a multi-instance activity,
    still running, merges each finished child's data into its own."""
    parent = task.parent
    return bool(task._state & _FINISHED) and (parent is None or bool(parent._state & _FINISHED))


def _predicted_marker(task: Any) -> Any:
    """For a predicted or future task (MAYBE, LIKELY, FUTURE) that holds no data yet, everything its
    stored form depends on — including its parent's data keys, since data is stored as a delta against
    the parent; None for any other task, which is always rewritten until it is finished."""
    if task._state & _PREDICTED and not task.data and not task.internal_data:
        parent = task.parent
        parent_keys = tuple(parent.data) if parent is not None else ()
        return (task._state, task.last_state_change, task.triggered, tuple(task._children), parent_keys)
    return None


def _marker(task: Any) -> Any:
    """What decides whether an unchanged-looking task must be written again: a finished task's number
    of children (a non-interrupting event subprocess arms its next copy below its scope's finished
    start, engine/spiff/event_subprocesses.py), or a predicted task's marker."""
    if task._state & _FINISHED:
        return len(task._children)
    return _predicted_marker(task)


@dataclass
class StateChanges:
    envelope: str
    upserts: list[TaskRow]
    deletes: list[str]
    fingerprint: Fingerprint


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _workflow_attributes(wf: Any) -> dict[str, Any]:
    return {
        "data": _REGISTRY.convert(_REGISTRY.clean(wf.data)),
        "correlations": wf.correlations,
        "last_task": str(wf.last_task.id) if wf.last_task is not None else None,
        "success": wf.success,
        "completed": wf.completed,
        "root": str(wf.task_tree.id),
    }


def _all_workflows(workflow: ApprovalsWorkflow) -> list[tuple[str, Any]]:
    return [("", workflow)] + [(str(key), sub) for key, sub in workflow.subprocesses.items()]


def save_changes(workflow: ApprovalsWorkflow, previous: Fingerprint | None) -> StateChanges:
    """The rows to write so that the database matches ``workflow``, given what it held before."""
    before = previous.tasks if previous is not None else {}
    next_ord = previous.next_ord if previous is not None else 0
    now: dict[UUID, tuple[bool, int, Any]] = {}
    upserts: list[TaskRow] = []
    subprocesses = {}
    for key, wf in _all_workflows(workflow):
        if key:
            attributes = _workflow_attributes(wf)
            attributes["spec"] = wf.spec.name
            attributes["parent_task_id"] = key
            subprocesses[key] = attributes
        for task_id, task in wf.tasks.items():
            settled = _settled(task)
            marker = _marker(task)
            known = before.get(task_id)
            if known is None:
                order = next_ord
                next_ord += 1
            elif (settled and known[0] and marker == known[2]) or (
                not task._state & _FINISHED and marker is not None and marker == known[2]
            ):
                now[task_id] = known
                continue
            else:
                order = known[1]
            now[task_id] = (settled, order, marker)
            upserts.append(TaskRow(str(task_id), order, key, _dumps(_REGISTRY.convert(task))))
    deletes = [str(task_id) for task_id in before.keys() - now.keys()]
    envelope = {
        "spiff_state_version": SPIFF_STATE_VERSION,
        "workflow": _workflow_attributes(workflow),
        "bpmn_events": _REGISTRY.convert(workflow.bpmn_events),
        "subprocesses": subprocesses,
    }
    return StateChanges(_dumps(envelope), upserts, deletes, Fingerprint(now, next_ord))


def restore(
    spec: Any, subprocess_specs: dict[str, Any], envelope_json: str, rows: list[tuple[str, int, str, str]]
) -> tuple[ApprovalsWorkflow, Fingerprint]:
    """Rebuild a workflow from its envelope and task rows ``(task_id, ord, workflow_key, payload)``."""
    envelope = json.loads(envelope_json)
    rows = sorted(rows, key=lambda r: r[1])
    by_workflow: dict[str, list[tuple[str, int, str, str]]] = {}
    for row in rows:
        by_workflow.setdefault(row[2], []).append(row)

    workflow = ApprovalsWorkflow(spec, subprocess_specs, deserializing=True)
    _restore_tasks(workflow, by_workflow.get("", []))
    _set_attributes(workflow, envelope["workflow"])
    for key, attributes in envelope["subprocesses"].items():
        parent_id = UUID(key)
        sub = BpmnSubWorkflow(subprocess_specs[attributes["spec"]], parent_id, workflow, deserializing=True)
        _restore_tasks(sub, by_workflow.get(key, []))
        _set_attributes(sub, attributes)
        workflow.subprocesses[parent_id] = sub
        parent = workflow.get_task_from_id(parent_id)
        sub.completed_event.connect(parent.task_spec._on_subworkflow_completed, parent)
    workflow.bpmn_events = _REGISTRY.restore(envelope.get("bpmn_events", []))

    order = {UUID(row[0]): row[1] for row in rows}
    known = {}
    for _, wf in _all_workflows(workflow):
        for task_id, task in wf.tasks.items():
            known[task_id] = (_settled(task), order[task_id], _marker(task))
    next_ord = rows[-1][1] + 1 if rows else 0
    return workflow, Fingerprint(known, next_ord)


def _restore_tasks(wf: Any, rows: list[tuple[str, int, str, str]]) -> None:
    # Creation order matters: a task's data is a delta against its parent's.
    for _, _, _, payload in rows:
        _REGISTRY.restore(json.loads(payload), workflow=wf)


def _set_attributes(wf: Any, attributes: dict[str, Any]) -> None:
    wf.task_tree = wf.tasks[UUID(attributes["root"])]
    wf.success = attributes["success"]
    wf.completed = attributes.get("completed", False)
    wf.correlations = attributes.get("correlations", {})
    last = attributes.get("last_task")
    wf.last_task = wf.tasks.get(UUID(last)) if last else None
    wf.data = _REGISTRY.restore(attributes.get("data", {}))


def full_rows(workflow: ApprovalsWorkflow) -> dict[str, tuple[str, str]]:
    """Every task as it would be written from scratch: task id -> (workflow key, payload). For checks."""
    return {
        str(task_id): (key, _dumps(_REGISTRY.convert(task)))
        for key, wf in _all_workflows(workflow)
        for task_id, task in wf.tasks.items()
    }
