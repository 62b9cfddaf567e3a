"""Loops and multi-instance activities that survive a rebuild from the database.

SpiffWorkflow's loop specs (standard loops, sequential and parallel multi-instance) learn that a
child finished through a signal on the child's *spec*, and connect to it only when they create
their first child. That connection lives in the process's memory, not in the instance: a spec
parsed afresh by another process (or after a restart) has none, so children completed there are
never merged and the activity waits for ever. Connecting every loop when the spec is compiled
makes a cold spec behave like a warm one.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask


def connect_loop_merges(spec: Any) -> None:
    """Connect each loop activity of ``spec`` to the completion of its children, as running it would."""
    for task_spec in spec.task_specs.values():
        if isinstance(task_spec, LoopTask):
            child = spec.task_specs[task_spec.task_spec]
            if not child.completed_event.is_connected(task_spec.merge_child):
                child.completed_event.connect(task_spec.merge_child)
