"""Loops and multi-instance activities that survive a rebuild from the database, with Camunda's
scoping of the input item.

SpiffWorkflow's loop specs (standard loops, sequential and parallel multi-instance) learn that a
child finished through a signal on the child's *spec*, and connect to it only when they create
their first child. That connection lives in the process's memory, not in the instance: a spec
parsed afresh by another process (or after a restart) has none, so children completed there are
never merged and the activity waits for ever. Connecting every loop when the spec is compiled
makes a cold spec behave like a warm one.

Without an output collection, SpiffWorkflow merges each finished round's data — its input item
included — into the activity, so the next round of a sequential activity inherits the last item and
is refused ("input item already exists"), and the last item leaks into the process data. As in
Camunda, the input item here belongs to its round only.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import (
    LoopTask,
    MultiInstanceTask,
    ParallelMultiInstanceTask,
)

from engine.errors import CommandLimitExceeded, Problem, WorkflowError
from engine.spiff.context import WorkLimit

_SCOPED = "approvals_input_item_scoped"
_BOUNDED = "approvals_children_bounded"
_CREATED = "_approvals_children_created"  # on the activity's Task object: never stored


def connect_loop_merges(spec: Any) -> None:
    """Prepare each loop activity of ``spec`` as running it would, before any instance runs."""
    for task_spec in spec.task_specs.values():
        if (
            isinstance(task_spec, MultiInstanceTask)
            and task_spec.input_item is not None
            and not getattr(task_spec, _SCOPED, False)
        ):
            _scope_input_item(task_spec)
        if isinstance(task_spec, ParallelMultiInstanceTask) and not getattr(task_spec, _BOUNDED, False):
            _bound_children(task_spec)
        if isinstance(task_spec, LoopTask):
            child = spec.task_specs[task_spec.task_spec]
            if not child.completed_event.is_connected(task_spec.merge_child):
                child.completed_event.connect(task_spec.merge_child)


def _scope_input_item(task_spec: MultiInstanceTask) -> None:
    # Set on the spec object, so SpiffWorkflow's own calls (self.merge_child, self.create_child) and
    # its check for the connection above all see the same functions.
    item = task_spec.input_item.bpmn_id
    merge, create = task_spec.merge_child, task_spec.create_child

    def create_child(my_task: Any, *args: Any, **kwargs: Any) -> None:
        my_task.data.pop(item, None)  # a round starts without the previous round's item
        create(my_task, *args, **kwargs)

    def merge_child(workflow: Any, child: Any) -> None:
        merge(workflow, child)
        child.parent.data.pop(item, None)

    task_spec.create_child = create_child
    task_spec.merge_child = merge_child
    setattr(task_spec, _SCOPED, True)


def _bound_children(task_spec: ParallelMultiInstanceTask) -> None:
    # A parallel activity creates all its instances at once, inside one element, before the per-command
    # element count sees any of them: a cardinality of 10**9 (or a long input collection) filled the
    # memory of the process. Counted per activity task, so it costs nothing and holds in every thread.
    create = task_spec.create_child

    def create_child(my_task: Any, *args: Any, **kwargs: Any) -> None:
        context = getattr(my_task.workflow, "context", None)
        limit = context.work_limit if context is not None else WorkLimit()
        created = getattr(my_task, _CREATED, 0) + 1
        setattr(my_task, _CREATED, created)
        if created > limit.max_elements:
            element = task_spec.bpmn_id or task_spec.name
            message = (
                f"the parallel multi-instance activity '{element}' would start more than "
                f"{limit.max_elements} instances in one command (APPROVALS_COMMAND_MAX_ELEMENTS); "
                "check its loop cardinality or input collection"
            )
            raise CommandLimitExceeded(message, [Problem(message, element_id=element)])
        create(my_task, *args, **kwargs)

    task_spec.create_child = create_child
    create_all = task_spec.create_children

    def create_children(my_task: Any) -> None:
        # SpiffWorkflow iterates whatever the input collection holds: a variable nobody set failed as
        # "the process failed: TypeError: 'NoneType' object is not iterable", naming no element.
        source = task_spec.data_input
        exists = getattr(source, "exists", None)  # task data references have it; data objects do not
        if exists is not None and not exists(my_task):
            element = task_spec.bpmn_id or task_spec.name
            message = (
                f"the input collection '{source.bpmn_id}' of multi-instance activity '{element}' "
                "is not in the process data"
            )
            raise WorkflowError(
                f"element '{element}' failed: {message}", [Problem(message, element_id=element)]
            )
        setattr(my_task, _CREATED, 0)  # the bound holds per creation, however long the task lives
        create_all(my_task)

    task_spec.create_children = create_children
    setattr(task_spec, _BOUNDED, True)
