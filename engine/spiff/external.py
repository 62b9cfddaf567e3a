"""External service tasks in SpiffWorkflow: a task that waits, STARTED, until a worker reports back.

SpiffWorkflow runs every READY task that is not ``manual`` inside ``do_engine_steps``. An external
task's run hook returns None, which SpiffWorkflow records as STARTED: the workflow goes on with
everything else and leaves the task alone, across saves and restores (the state is in the task
row), until the engine completes it (``complete_external``), lets an error boundary event catch a
BPMN error the worker reported (``throw_bpmn_error``), or cancels it with the instance or an
interrupting boundary event. It is not ``manual``, so it never reaches the inbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.util.task import TaskState

from engine.errors import Conflict
from engine.spiff.errors import translate
from engine.spiff.event_parsers import EngineSendTaskParser
from engine.spiff.steps import Step, advance
from engine.spiff.workflow import ApprovalsWorkflow

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"


class ExternalServiceTask(ServiceTask):
    """A service or send task done by an external worker (camunda:type="external")."""

    def _run_hook(self, my_task: Any) -> None:
        return None  # STARTED: the worker's report completes it


class ExternalServiceTaskParser(TaskParser):
    pass


def _is_external(node: Any) -> bool:
    return (node.get(f"{{{CAMUNDA_NS}}}type") or "").strip() == "external"


class ExternalAwareSendTaskParser(EngineSendTaskParser):
    """A send task with camunda:type="external" is done by a worker; any other throws its message."""

    def create_task(self) -> Any:
        if _is_external(self.node):
            return ExternalServiceTask(self.spec, self.bpmn_id, **self.bpmn_attributes)
        return super().create_task()


@dataclass(frozen=True)
class StartedExternal:
    spiff_task_id: str
    element_id: str


def _all_tasks(workflow: ApprovalsWorkflow) -> list[Any]:
    found = list(workflow.tasks.values())
    for sub in workflow.subprocesses.values():
        found.extend(sub.tasks.values())
    return found


def started_external_tasks(workflow: ApprovalsWorkflow) -> list[StartedExternal]:
    """The external tasks waiting for a worker now."""
    return [
        StartedExternal(str(t.id), t.task_spec.bpmn_id)
        for t in _all_tasks(workflow)
        if t._state == TaskState.STARTED and isinstance(t.task_spec, ExternalServiceTask)
    ]


def external_task_state(workflow: ApprovalsWorkflow, spiff_task_id: str) -> str:
    """started | completed | cancelled (also: the task is gone)."""
    task = workflow.find_task(UUID(spiff_task_id))
    if task is None:
        return "cancelled"
    if task.state == TaskState.STARTED:
        return "started"
    return "completed" if task.state == TaskState.COMPLETED else "cancelled"


def _started(workflow: ApprovalsWorkflow, spiff_task_id: str) -> Any:
    task = workflow.find_task(UUID(spiff_task_id))
    if task is None or task.state != TaskState.STARTED:
        raise Conflict("the external task is no longer active: its process moved on")
    return task


def external_data(workflow: ApprovalsWorkflow, spiff_task_id: str) -> dict[str, Any]:
    """The process data the external task sees (its branch's data)."""
    task = workflow.find_task(UUID(spiff_task_id))
    return dict(task.data) if task is not None else {}


def complete_external(workflow: ApprovalsWorkflow, spiff_task_id: str, data: dict[str, Any]) -> list[Step]:
    """Put the worker's variables on the task, complete it and advance the workflow."""
    task = _started(workflow, spiff_task_id)
    task.data.update(data)
    try:
        task.complete()
    except Exception as exc:
        raise translate(exc) from exc
    step = Step(task.task_spec.bpmn_id, "ServiceTask", changed=dict(data), data=task.data)
    return [step, *advance(workflow)]


def throw_bpmn_error(
    workflow: ApprovalsWorkflow, spiff_task_id: str, code: str, message: str | None, data: dict[str, Any]
) -> tuple[str | None, list[Step]]:
    """A BPMN error the worker reported, with its variables: caught by an error boundary event on the
    task whose error code matches (else by one with no code: a catch-all). Returns the catching
    event's id and what ran; (None, ...) when nothing catches it — then, as in Camunda 7 (whose
    engine by default logs an unhandled BPMN error and ends the execution), the task's path ends:
    the task and what was predicted after it are cancelled, the rest of the process goes on."""
    task = _started(workflow, spiff_task_id)
    task.data.update(data)
    event = BpmnEvent(ErrorEventDefinition(code, code), payload={})
    catcher = _error_boundary(task, code)
    try:
        if catcher is None:
            _end_path(task)
            return None, advance(workflow)
        # The boundary event's data starts from the task's, as the task's variables are set first.
        catcher.data.update(task.data)
        catcher.task_spec.catch(catcher, event)
        catcher.task_spec._update(catcher)
    except Exception as exc:
        raise translate(exc) from exc
    return catcher.task_spec.bpmn_id, advance(workflow)


def _error_boundary(task: Any, code: str) -> Any | None:
    parent = task.parent
    if parent is None:
        return None
    exact = catch_all = None
    for sibling in parent.children:
        spec = sibling.task_spec
        if sibling is task or not isinstance(spec, BoundaryEvent) or sibling.state != TaskState.WAITING:
            continue
        definition = spec.event_definition
        if not isinstance(definition, ErrorEventDefinition):
            continue
        if definition.code == code and exact is None:
            exact = sibling
        elif not definition.code and catch_all is None:
            catch_all = sibling
    return exact or catch_all


def _end_path(task: Any) -> None:
    """End the execution at ``task``: it and its (predicted) successors are cancelled. A task with
    boundary events ends with its whole boundary split: the events stop waiting too."""
    parent = task.parent
    if parent is not None and any(isinstance(c.task_spec, BoundaryEvent) for c in parent.children):
        for sibling in parent.children:
            _cancel_subtree(sibling)
        # The split itself completed already; its join (predicted below the siblings) is cancelled.
        return
    _cancel_subtree(task)


def _cancel_subtree(task: Any) -> None:
    stack = [task]
    while stack:
        current = stack.pop()
        if not current.has_state(TaskState.FINISHED_MASK):
            current._set_state(TaskState.CANCELLED)
            current.task_spec._on_cancel(current)
        stack.extend(current.children)
