"""Where a workflow's tokens sit: the elements whose tasks are ready, waiting or started."""

from __future__ import annotations

from SpiffWorkflow.util.task import TaskState

from engine.spiff.steps import _element_id
from engine.spiff.workflow import ApprovalsWorkflow

_HELD = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def token_positions(workflow: ApprovalsWorkflow) -> list[str]:
    """Element ids (each once, in tree order) where the workflow and its subprocesses hold tokens."""
    found: list[str] = []
    for wf in (workflow, *workflow.subprocesses.values()):
        for task in wf.get_tasks(state=_HELD):
            element_id = _element_id(task.task_spec)
            if element_id and element_id not in found and wf.spec.name != element_id:
                found.append(element_id)
    return found
