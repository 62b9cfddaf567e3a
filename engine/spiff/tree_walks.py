"""SpiffWorkflow's recursive walks over the task tree, as loops.

SpiffWorkflow walks the task tree by recursion: predicting the tasks that may follow
(``TaskSpec._predict``), testing ancestry (``Task.is_descendant_of``, ``Task.find_ancestor``),
cancelling (``Task.cancel``) and removing subtrees (``Task._drop_children``,
``Workflow._remove_task``). The tree is as deep as the longest path run or predicted, so a chain
of ~500 elements exceeded Python's recursion limit: it could not be started, cancelled or joined.

``install()`` replaces these methods on SpiffWorkflow's base classes (no subclass overrides them;
specs customise ``_predict_hook``) by loops over an explicit stack that visit the same tasks in the
same order, reading each state at the moment the recursion would have. ``ORIGINALS`` keeps
SpiffWorkflow's own versions for the equivalence tests (tests/spiff/test_bounded_walks.py).

Cancelling a workflow (``Workflow.cancel``) and deciding that a process has ended (the implicit
join before its end, ``_EndJoin``) are not recursive, but their tree iterator stops at depth 1,000
by default: an instance waiting deeper (after a long chain, or a loop's 300th round) was marked
cancelled while its open task stayed open, or completed when one branch ended while another still
waited. Here they see the whole tree.

Prediction also copied and searched a ``seen`` list at every level (quadratic on a chain); that
list holds task specs while the search is for tasks (neither defines equality), so it never
matched and is left out.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

from SpiffWorkflow.bpmn.specs.control import _EndJoin
from SpiffWorkflow.specs.base import TaskSpec
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskIterator, TaskState
from SpiffWorkflow.workflow import Workflow

_DEFINITE = TaskState.DEFINITE_MASK
_FINISHED = TaskState.FINISHED_MASK
_NOT_FINISHED = TaskState.NOT_FINISHED_MASK
UNLIMITED_DEPTH = sys.maxsize  # for SpiffWorkflow's TaskIterator, which stops at 1,000 by default

ORIGINALS = {
    (TaskSpec, "_predict"): TaskSpec._predict,
    (Task, "is_descendant_of"): Task.is_descendant_of,
    (Task, "find_ancestor"): Task.find_ancestor,
    (Task, "_drop_children"): Task._drop_children,
    (Task, "cancel"): Task.cancel,
    (Workflow, "_remove_task"): Workflow._remove_task,
    (Workflow, "cancel"): Workflow.cancel,
    (_EndJoin, "_check_threshold_unstructured"): _EndJoin._check_threshold_unstructured,
}


def _enter_prediction(task: Any, looked_ahead: int, mask: int) -> tuple[Iterator[Any], int]:
    """What the recursion does on entering ``task``; returns the children it may descend into."""
    spec = task.task_spec
    if task._state & mask:
        spec._predict_hook(task)
    if task._state & _DEFINITE or looked_ahead + 1 < spec.lookahead:
        return iter(task.children), looked_ahead
    return iter(()), looked_ahead


def predict(
    self: Any, my_task: Any, seen: Any = None, looked_ahead: int = 0, mask: int = TaskState.PREDICTED_MASK
) -> None:
    """TaskSpec._predict: depth-first, each child's state read when the walk reaches it."""
    stack = [_enter_prediction(my_task, looked_ahead, mask)]
    while stack:
        children, depth = stack[-1]
        for child in children:
            if child._state & mask:
                stack.append(_enter_prediction(child, depth + 1, mask))
                break
        else:
            stack.pop()


def is_descendant_of(self: Any, task: Any) -> bool:
    parent = self.parent
    while parent is not None:
        if parent == task:
            return True
        parent = parent.parent
    return False


def find_ancestor(self: Any, spec_name: str) -> Any:
    parent = self.parent
    while parent is not None:
        if parent.task_spec.name == spec_name:
            return parent
        parent = parent.parent
    return None


def drop_children(self: Any, force: bool = False) -> None:
    """Task._drop_children: unfinished (or, forced, all) children go; finished ones are searched below."""
    stack: list[tuple[Any, Iterator[Any], list[Any], bool]] = [(self, iter(self.children), [], force)]
    while stack:
        task, children, drop, forced = stack[-1]
        for child in children:
            if forced or child._state & _NOT_FINISHED:
                drop.append(child)
            else:
                stack.append((child, iter(child.children), [], False))
                break
        else:
            stack.pop()
            for dropped in drop:
                task.workflow._remove_task(dropped.id)


def cancel(self: Any) -> None:
    """Task.cancel: an unfinished task is cancelled; a finished one passes it on to its children."""
    stack = [self]
    while stack:
        task = stack.pop()
        if task._state & _FINISHED:
            stack.extend(reversed(task.children))
        else:
            task._set_state(TaskState.CANCELLED)
            task._drop_children()
            task.task_spec._on_cancel(task)


def remove_task(self: Any, task_id: Any) -> None:
    """Workflow._remove_task: the subtree goes, children before their parent."""
    first = self.tasks[task_id]
    stack = [(first, iter(first.children))]
    while stack:
        task, children = stack[-1]
        child = next(children, None)
        if child is not None:
            child = self.tasks[child.id]
            stack.append((child, iter(child.children)))
            continue
        stack.pop()
        task.parent._children.remove(task.id)
        self.tasks.pop(task.id)
        self._task_removed_notify(task)


def cancel_workflow(self: Any, success: bool = False) -> list[Any]:
    """Workflow.cancel over the whole tree: every unfinished task, however deep, is cancelled."""
    self.success = success
    self.completed = True
    unfinished = list(TaskIterator(self.task_tree, state=_NOT_FINISHED, max_depth=UNLIMITED_DEPTH))
    for task in unfinished:
        task.cancel()
    return unfinished


def end_join_may_fire(self: Any, my_task: Any) -> bool:
    """_EndJoin: the process ends when no task but this one is unfinished (those below a task of
    this join aside, as SpiffWorkflow's walk does not go below them)."""
    for task in my_task.workflow.tasks.values():
        if task is my_task or not task._state & _NOT_FINISHED:
            continue
        parent = task.parent
        while parent is not None and parent.task_spec.name != self.name:
            parent = parent.parent
        if parent is None:
            return False
    return True


_LOOPS = {
    (TaskSpec, "_predict"): predict,
    (Task, "is_descendant_of"): is_descendant_of,
    (Task, "find_ancestor"): find_ancestor,
    (Task, "_drop_children"): drop_children,
    (Task, "cancel"): cancel,
    (Workflow, "_remove_task"): remove_task,
    (Workflow, "cancel"): cancel_workflow,
    (_EndJoin, "_check_threshold_unstructured"): end_join_may_fire,
}


def install(originals: bool = False) -> None:
    """Put the loops in place (or, for comparisons in tests, SpiffWorkflow's own methods back)."""
    for (cls, name), function in (ORIGINALS if originals else _LOOPS).items():
        setattr(cls, name, function)
