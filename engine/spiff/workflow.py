"""The SpiffWorkflow workflow class the engine runs.

SpiffWorkflow finds READY and WAITING tasks by walking the whole task tree, several times per
completed task, so a step of a long-lived instance (a review loop on its 200th round) costs
time proportional to everything that ever happened in it, and a run over n elements n². Here
those look-ups ask the workflow's task index (engine/spiff/task_index.py) instead and — where
more than one task is found — put them in the order the tree walk would have produced, so the
behaviour is SpiffWorkflow's own (tests/spiff/test_workflow_equivalence.py,
tests/spiff/test_bounded_walks.py). Importing this module also puts in place the loops that
replace SpiffWorkflow's recursive tree walks (engine/spiff/tree_walks.py).
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.spiff import task_index, tree_walks
from engine.spiff.context import CommandContext
from engine.spiff.event_subprocesses import ScopedEventManager
from engine.spiff.script_engine import command_functions, sandbox_script_engine
from engine.spiff.task_index import TaskIndex, index_of
from engine.spiff.tree_walks import UNLIMITED_DEPTH

tree_walks.install()
task_index.install()

_READY = TaskState.READY
_WAITING = TaskState.WAITING
_NOT_FINISHED = TaskState.NOT_FINISHED_MASK


def tree_order(tasks: list[Any]) -> list[Any]:
    """``tasks`` (of one workflow) in depth-first order, as SpiffWorkflow's TaskIterator yields them.

    Rather than each task's whole path from the root (a chain of 5,000 elements is 5,000 deep),
    all tasks walk up one step at a time until they have met in one subtree: a walk ends where it
    reaches a task another has passed. Only that subtree is then visited, children in their order.
    """
    if len(tasks) < 2:
        return tasks
    wanted = {task.id: task for task in tasks}
    seen = set(wanted)
    below: dict[Any, list[Any]] = {}  # task id -> the children through which walks arrived
    owners: dict[Any, Any] = dict(wanted)  # task id -> the task, for those walked through
    walks = list(tasks)
    while len(walks) > 1:
        moved = []
        for task in walks:
            parent = task.parent
            if parent is None:  # at the root: the others will arrive here
                moved.append(task)
                continue
            below.setdefault(parent.id, []).append(task.id)
            if parent.id not in seen:
                seen.add(parent.id)
                owners[parent.id] = parent
                moved.append(parent)
        walks = moved
    ordered = []
    stack = [walks[0].id]
    while stack:
        task_id = stack.pop()
        if task_id in wanted:
            ordered.append(wanted[task_id])
        children = below.get(task_id)
        if children:
            if len(children) > 1:
                position = {child: i for i, child in enumerate(owners[task_id]._children)}
                children.sort(key=position.__getitem__)
            stack.extend(reversed(children))
    return ordered


class ApprovalsWorkflow(BpmnWorkflow):
    """A BpmnWorkflow that runs scripts in the sandbox and carries the current command's context."""

    def __init__(self, spec: Any, subprocess_specs: dict | None = None, **kwargs: Any) -> None:
        # Functions like now() read whichever command's context the workflow holds when they run,
        # so each workflow has its own script engine rather than one shared by all threads.
        self.functions = command_functions(lambda: self.context)
        engine = sandbox_script_engine(self.functions)
        super().__init__(spec, subprocess_specs, script_engine=engine, **kwargs)
        self.tasks = TaskIndex(self.tasks)
        # Errors and escalations reach the event subprocesses of the throwing scope first.
        scoped = ScopedEventManager(self)
        scoped.tasks = self.event_manager.tasks
        self.event_manager = scoped
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
            index = index_of(self)
            found = (
                index.in_state(state)
                if index is not None
                else [t for t in self.tasks.values() if t._state == state]
            )
            return tree_order(found)
        index = index_of(self)
        if index is not None and not self.subprocesses and kwargs.keys() == {"spec_name"}:
            # A catching event, when it runs, resets the tasks of its spec below it: SpiffWorkflow
            # walks its whole predicted future for them, the index has them at hand.
            found = index.of_spec(kwargs["spec_name"])
            if first_task is not None:
                found = [t for t in found if t is first_task or t.is_descendant_of(first_task)]
            return tree_order(found)
        # SpiffWorkflow's tree iterator stops at depth 1,000 unless told otherwise.
        kwargs.setdefault("max_depth", UNLIMITED_DEPTH)
        return super().get_tasks(first_task, **kwargs)

    def is_completed(self) -> bool:
        if not self.completed:
            self.completed = not any(t._state & _NOT_FINISHED for t in self.tasks.values())
        return self.completed

    def update_waiting_tasks(self) -> None:
        index = index_of(self)
        waiting = (
            index.in_state(_WAITING)
            if index is not None
            else [t for t in self.tasks.values() if t._state == _WAITING]
        )
        for task in tree_order(waiting):
            task.task_spec._update(task)

    def collect_log_extras(self, dct: dict | None = None) -> dict:
        # SpiffWorkflow adds the id of every task (a walk of the whole tree) unless its logger's own
        # level is set; it does so on creating and cancelling a workflow, whether or not anything
        # is logged. Seconds on a model of thousands of elements, for nothing.
        extra = dct or {}
        extra.update(
            {
                "workflow_spec": self.spec.name,
                "success": self.success,
                "completed": self.completed,
                "root": self.task_tree.id,
            }
        )
        return extra

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
