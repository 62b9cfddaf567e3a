"""The SpiffWorkflow workflow class the engine runs.

SpiffWorkflow finds READY and WAITING tasks by walking the whole task tree, several times per
completed task, so a step of a long-lived instance (a review loop on its 200th round) costs
time proportional to everything that ever happened in it. Here those look-ups scan the flat
task dictionary instead, which is many times cheaper, and — where more than one task is
found — put them in the order the tree walk would have produced, so the behaviour is
SpiffWorkflow's own (checked by tests/spiff/test_workflow_equivalence.py).
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.spiff.context import CommandContext
from engine.spiff.script_engine import command_functions, sandbox_script_engine

_READY = TaskState.READY
_WAITING = TaskState.WAITING
_NOT_FINISHED = TaskState.NOT_FINISHED_MASK


def tree_order(tasks: list[Any]) -> list[Any]:
    """``tasks`` (of one workflow) in depth-first order, as SpiffWorkflow's TaskIterator yields them."""
    if len(tasks) < 2:
        return tasks

    def path(task: Any) -> list[int]:
        steps = []
        while (parent := task.parent) is not None:
            steps.append(parent._children.index(task.id))
            task = parent
        steps.reverse()
        return steps

    return sorted(tasks, key=path)


class ApprovalsWorkflow(BpmnWorkflow):
    """A BpmnWorkflow that runs scripts in the sandbox and carries the current command's context."""

    def __init__(self, spec: Any, subprocess_specs: dict | None = None, **kwargs: Any) -> None:
        # Functions like now() read whichever command's context the workflow holds when they run,
        # so each workflow has its own script engine rather than one shared by all threads.
        self.functions = command_functions(lambda: self.context)
        engine = sandbox_script_engine(self.functions)
        super().__init__(spec, subprocess_specs, script_engine=engine, **kwargs)
        self.context = CommandContext()

    # --- SpiffWorkflow's tree walks, as flat scans ---------------------------------------------

    def get_tasks(self, first_task: Any = None, **kwargs: Any) -> list[Any]:
        # do_engine_steps asks for the READY tasks of the whole tree; without subprocesses (whose
        # tasks the tree walk would interleave) the flat scan gives the same list.
        if (
            first_task is None
            and not self.subprocesses
            and kwargs.keys() == {"state"}
            and kwargs["state"]
            in (
                _READY,
                _WAITING,
            )
        ):
            state = kwargs["state"]
            return tree_order([t for t in self.tasks.values() if t._state == state])
        return super().get_tasks(first_task, **kwargs)

    def is_completed(self) -> bool:
        if not self.completed:
            self.completed = not any(t._state & _NOT_FINISHED for t in self.tasks.values())
        return self.completed

    def update_waiting_tasks(self) -> None:
        for task in tree_order([t for t in self.tasks.values() if t._state == _WAITING]):
            task.task_spec._update(task)

    # --- what the engine asks ------------------------------------------------------------------

    def ready_user_tasks(self) -> list[Any]:
        """READY tasks that wait for a person, in this workflow and its subprocesses."""
        found = [t for t in self.tasks.values() if t._state == _READY and t.task_spec.manual]
        for sub in self.subprocesses.values():
            found.extend(t for t in sub.tasks.values() if t._state == _READY and t.task_spec.manual)
        return found

    def find_task(self, task_id: Any) -> Any | None:
        task = self.tasks.get(task_id)
        if task is None:
            for sub in self.subprocesses.values():
                task = sub.tasks.get(task_id)
                if task is not None:
                    break
        return task
