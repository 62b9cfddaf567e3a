"""A workflow's task dictionary that also answers "which tasks are READY / WAITING / of this spec".

SpiffWorkflow asks those questions after every completed task by scanning all tasks, which makes
a run over n elements take n² steps: 5,000 parallel branches took 51 s to start. The index keeps
the answers as the tasks change, cheaply enough to be kept on every workflow:

- by spec: tasks are indexed when first looked up (a task registers itself in the dictionary
  before its spec is set, so the index catches up lazily with the keys added since);
- by state: a superset of the tasks in READY or WAITING — every task that entered the state since
  it was indexed — pruned of the tasks that left it at each look-up. Tasks enter a state through
  ``Task._set_state`` (patched by ``install`` to tell the index) or by being created in it.

The dictionary itself behaves exactly as before; a workflow whose ``tasks`` is a plain dict (one
restored by SpiffWorkflow's own serializer, a subprocess) simply has no index and the callers fall
back to scanning.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

TRACKED_STATES = (TaskState.READY, TaskState.WAITING)


class TaskIndex(dict):
    """``workflow.tasks`` (task id -> task) with look-ups by spec name and by state."""

    def __init__(self, tasks: Iterable[tuple[UUID, Any]] | dict[UUID, Any] = ()) -> None:
        super().__init__(tasks)
        self._fresh: list[UUID] = list(self.keys())
        self._by_spec: dict[str, dict[UUID, Any]] = {}
        self._in_state: dict[int, dict[UUID, Any]] = {state: {} for state in TRACKED_STATES}
        # Parallel joins remember here which incoming flow they last found uncovered (engine/spiff/joins.py).
        self.join_progress: dict[str, int] = {}

    # --- keeping the index in step with the dictionary -------------------------------------------

    def __setitem__(self, key: UUID, value: Any) -> None:
        if key not in self:
            self._fresh.append(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: UUID) -> None:
        task = self[key]
        super().__delitem__(key)
        self._forget(key, task)

    def pop(self, key: UUID, *default: Any) -> Any:
        if key in self:
            task = super().pop(key)
            self._forget(key, task)
            return task
        return super().pop(key, *default)

    def popitem(self) -> tuple[UUID, Any]:
        key, task = super().popitem()
        self._forget(key, task)
        return key, task

    def setdefault(self, key: UUID, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def clear(self) -> None:
        super().clear()
        self._fresh.clear()
        self._by_spec.clear()
        for tasks in self._in_state.values():
            tasks.clear()

    def _forget(self, key: UUID, task: Any) -> None:
        spec = getattr(task, "task_spec", None)
        if spec is not None:
            self._by_spec.get(spec.name, {}).pop(key, None)
        for tasks in self._in_state.values():
            tasks.pop(key, None)

    def _catch_up(self) -> None:
        if not self._fresh:
            return
        get = super().get
        for key in self._fresh:
            task = get(key)
            if task is None:
                continue
            self._by_spec.setdefault(task.task_spec.name, {})[key] = task
            tracked = self._in_state.get(task._state)
            if tracked is not None:
                tracked[key] = task
        self._fresh.clear()

    def entered(self, task: Any, state: int) -> None:
        """``task`` (of this dictionary) has just been put in ``state``."""
        tracked = self._in_state.get(state)
        if tracked is not None and task.id in self:
            tracked[task.id] = task

    # --- look-ups ------------------------------------------------------------------------------

    def of_spec(self, spec_name: str) -> list[Any]:
        """The tasks of a spec, in the order they were added."""
        self._catch_up()
        return list(self._by_spec.get(spec_name, {}).values())

    def in_state(self, state: int) -> list[Any]:
        """The tasks now in ``state`` (READY or WAITING), in no particular order."""
        self._catch_up()
        tracked = self._in_state[state]
        found = []
        gone = []
        for key, task in tracked.items():
            if task._state == state:
                found.append(task)
            else:
                gone.append(key)
        for key in gone:
            del tracked[key]
        return found


def index_of(workflow: Any) -> TaskIndex | None:
    tasks = workflow.tasks
    return tasks if type(tasks) is TaskIndex else None


_ORIGINAL_SET_STATE = Task._set_state


def _set_state(self: Any, value: int) -> None:
    _ORIGINAL_SET_STATE(self, value)
    if value in TRACKED_STATES:
        tasks = self.workflow.tasks
        if type(tasks) is TaskIndex:
            tasks.entered(self, value)


def install() -> None:
    Task._set_state = _set_state
