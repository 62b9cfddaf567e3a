"""Is a workflow rebuilt from the database the same as the live one it was saved from?

A command keeps its workflow in memory for the next one (runtime/cache.py); a restart, another
server process or a full cache rebuilds it from the task rows with a freshly compiled model. The two
must be indistinguishable, or the same instance behaves differently depending on where its next
command runs. ``differences`` compares what can be compared cheaply: every task's stored form
(spec, state, data, internal data), the workflow attributes, the READY and WAITING tasks, the waits
the engine turns into timer and subscription rows, the instance data — and, for behaviour that
lives outside the instance, the run-time bookkeeping SpiffWorkflow keeps on the parsed *spec*
(signal connections such as a loop's merge of its children, see loops.py): a warm spec that
gained a connection while running behaves differently from a fresh one that lacks it.
"""

from __future__ import annotations

import json
from typing import Any

from SpiffWorkflow.util.event import Event
from SpiffWorkflow.util.task import TaskState

from engine.spiff import state as spiff_state
from engine.spiff.steps import advance, instance_data, waiting_events
from engine.spiff.workflow import ApprovalsWorkflow

# In-memory attributes that are not state: a per-command counter that loops.py resets before use.
_TRANSIENT = frozenset({"_approvals_children_created"})


def _attribute_names(obj: Any) -> tuple[str, ...]:
    return tuple(sorted(k for k in vars(obj) if k not in _TRANSIENT))


def _tasks(workflow: ApprovalsWorkflow, state: TaskState) -> list[tuple[str, str]]:
    return [(str(t.id), t.task_spec.name) for t in workflow.get_tasks(state=state)]


def snapshot(workflow: ApprovalsWorkflow) -> dict[str, Any]:
    """Everything compared, in comparable (JSON-like) form."""
    workflows = spiff_state._all_workflows(workflow)
    return {
        "tasks": spiff_state.full_rows(workflow),
        # What save_changes writes on the instance row, without serializing every task a second time.
        "envelope": json.loads(
            json.dumps(
                {
                    "workflows": {key: spiff_state._workflow_attributes(wf) for key, wf in workflows},
                    "specs": {key: wf.spec.name for key, wf in workflows},
                    "bpmn_events": spiff_state._REGISTRY.convert(workflow.bpmn_events),
                },
                default=str,
            )
        ),
        "ready": _tasks(workflow, TaskState.READY),
        "waiting": _tasks(workflow, TaskState.WAITING),
        "waits": sorted(
            (w.spiff_task_id, w.element_id, w.kind, str(w.due_at), w.name or "")
            for w in waiting_events(workflow)
        ),
        "data": json.dumps(instance_data(workflow), sort_keys=True, default=str),
        "completed": workflow.is_completed(),
        # In-memory state the serializer does not carry would be lost on a rebuild: the attribute
        # names of the workflows and of their tasks (their values are compared above).
        "attributes": sorted(
            (key, _attribute_names(wf), tuple(sorted({_attribute_names(t) for t in wf.tasks.values()})))
            for key, wf in spiff_state._all_workflows(workflow)
        ),
    }


def _same_values(left: tuple[str, str] | None, right: tuple[str, str] | None) -> bool:
    """Equal but for the order of dict keys. A task's data is stored as a delta against its parent's,
    so a rebuilt multi-instance child lists the keys its parent gained since the child was created
    first; nothing reads process data in key order (scripts see names, the API sends objects)."""
    if left is None or right is None or left[0] != right[0]:
        return False
    return json.loads(left[1]) == json.loads(right[1])


def _task_difference(task_id: str, left: tuple[str, str] | None, right: tuple[str, str] | None) -> str:
    if left is None or right is None:
        which = "the rebuilt" if left is not None else "the live"
        return f"task {task_id}: missing from {which} workflow"
    a, b = json.loads(left[1]), json.loads(right[1])
    keys = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    spec = a.get("task_spec", "?")
    detail = ", ".join(f"{k}: {a.get(k)!r} != {b.get(k)!r}" for k in keys[:4])
    return f"task {task_id} ({spec}): {detail}"


def differences(live: ApprovalsWorkflow, rebuilt: ApprovalsWorkflow) -> list[str]:
    """What differs between ``live`` and ``rebuilt`` (empty when they are the same)."""
    a, b = snapshot(live), snapshot(rebuilt)
    found = []
    for task_id in sorted(a["tasks"].keys() | b["tasks"].keys()):
        left, right = a["tasks"].get(task_id), b["tasks"].get(task_id)
        if left != right and not _same_values(left, right):
            found.append(_task_difference(task_id, left, right))
    for key in ("envelope", "ready", "waiting", "waits", "data", "completed", "attributes"):
        if a[key] != b[key]:
            found.append(f"{key}: live {a[key]!r} != rebuilt {b[key]!r}"[:1000])
    return found


# Attributes an engine patch computes on first use from the spec alone (a memo, not a behaviour).
_MEMOS = frozenset({"_engine_acyclic"})


def next_step_differences(warm: ApprovalsWorkflow, fresh: ApprovalsWorkflow) -> list[str]:
    """Run the automatic part of two copies of the same stored state — one on the spec the live
    workflow runs on, one on a freshly compiled spec (each with a context lent by the caller) — and
    say how they differ: what a cached and a rebuilt workflow would do first on the next command. (A
    live workflow has run all it could, yet its next update may still move: an exhausted timer cycle
    marks itself on its next update, so the copies are compared with each other, not with it.)
    Both copies are changed."""
    ran = [[f"{s.element_id} ({s.kind})" for s in advance(w)] for w in (warm, fresh)]
    if ran[0] != ran[1]:
        return [f"next step: the cached workflow runs {ran[0]}, the rebuilt one {ran[1]}"]
    # The copies ran a few microseconds apart: when a task changed state is wall-clock time, not state.
    changed_at = {
        t.id: t.last_state_change for _, wf in spiff_state._all_workflows(warm) for t in wf.tasks.values()
    }
    for _, wf in spiff_state._all_workflows(fresh):
        for task in wf.tasks.values():
            task.last_state_change = changed_at.get(task.id, task.last_state_change)
    return [f"after the next step: {d}" for d in differences(warm, fresh)]


# Attributes an engine patch computes on first use from the spec alone (a memo, not a behaviour).
_MEMOS = frozenset({"_engine_acyclic"})


def moves_on_by_itself(rebuilt: ApprovalsWorkflow) -> list[str]:
    """Run the automatic part of a rebuilt workflow (its context lent by the caller): after a command
    the live workflow has run every element it could, so a rebuilt one that still runs one would
    behave differently from here on. Returns what it ran ("element (kind)"); the workflow is changed.
    (A waiting task may still change state here without running anything — an exhausted timer cycle
    marks itself on its next update — and the live workflow does the same on its next command.)"""
    return [f"{step.element_id} ({step.kind})" for step in advance(rebuilt)]


def spec_bookkeeping(spec: Any, subprocess_specs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per task spec: its attribute names (a memo aside) and the receivers of each of its signals."""
    found: dict[str, dict[str, Any]] = {}
    for process in [spec, *subprocess_specs.values()]:
        for name, task_spec in process.task_specs.items():
            attributes = vars(task_spec)
            found[f"{process.name}/{name}"] = {
                k: v.n_subscribers() if isinstance(v, Event) else None
                for k, v in attributes.items()
                if k not in _MEMOS
            }
    return found


def spec_differences(warm: tuple[Any, dict[str, Any]], fresh: tuple[Any, dict[str, Any]]) -> list[str]:
    """How a spec that has run (``warm``) differs from one just compiled (``fresh``)."""
    a, b = spec_bookkeeping(*warm), spec_bookkeeping(*fresh)
    found = []
    for name in sorted(a.keys() | b.keys()):
        left, right = a.get(name), b.get(name)
        if left == right:
            continue
        if left is None or right is None:
            found.append(f"spec {name}: only in the {'warm' if right is None else 'fresh'} spec")
            continue
        details = [
            f"{k}: warm {_shown(left, k)} != fresh {_shown(right, k)}"
            for k in sorted(left.keys() | right.keys())
            if left.get(k, "absent") != right.get(k, "absent")
        ]
        found.append(f"spec {name}: " + "; ".join(details))
    return found


def _shown(attributes: dict[str, Any], key: str) -> str:
    if key not in attributes:
        return "absent"
    value = attributes[key]
    return f"{value} receivers" if value is not None else "set"
