"""ApprovalsWorkflow replaces SpiffWorkflow's tree walks by flat scans; it must behave exactly like
SpiffWorkflow's BpmnWorkflow: same tasks, same states, same data, step after step."""

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.spiff.script_engine import SANDBOX_SCRIPT_ENGINE
from engine.spiff.workflow import ApprovalsWorkflow
from tests.spiff.models import MODEL_FILES, spec_of, step_data


def snapshot(workflow):
    """The whole task tree, id-free: (depth, element, state, data) in depth-first order, subprocesses too."""
    tasks = BpmnWorkflow.get_tasks(workflow)
    return [(t.depth, t.task_spec.name, TaskState.get_name(t.state), sorted(t.data.items())) for t in tasks]


def ready_manual(workflow):
    return sorted(
        BpmnWorkflow.get_tasks(workflow, state=TaskState.READY, manual=True), key=lambda t: t.task_spec.name
    )


CASES = [(p, pick) for p in sorted(MODEL_FILES) if p != "bench_loop" for pick in (0, 1, -1)] + [
    ("bench_loop", 0)
]


@pytest.mark.parametrize("process_id, pick", CASES)
def test_flat_scans_behave_like_the_tree_walk(process_id, pick):
    spec, subprocess_specs = spec_of(process_id)
    stock = BpmnWorkflow(spec, subprocess_specs, script_engine=SANDBOX_SCRIPT_ENGINE)
    ours = ApprovalsWorkflow(spec, subprocess_specs)
    for wf in (stock, ours):
        for task in wf.get_tasks(state=TaskState.READY):
            task.data.update(step_data(process_id, 0))
        wf.do_engine_steps()
    steps = 0
    while True:
        # The 200-round loop is compared every 10th round (a divergence would persist).
        if process_id != "bench_loop" or steps % 10 == 0 or stock.is_completed():
            assert snapshot(ours) == snapshot(stock), f"diverged after {steps} steps"
        assert ours.is_completed() == stock.is_completed()
        candidates = ready_manual(stock), ready_manual(ours)
        assert [t.task_spec.name for t in candidates[0]] == [t.task_spec.name for t in candidates[1]]
        if not candidates[0]:
            break
        steps += 1
        for wf, ready in zip((stock, ours), candidates, strict=True):
            task = ready[pick % len(ready)] if len(ready) > 1 else ready[0]
            task.data.update(step_data(process_id, steps))
            task.run()
            wf.do_engine_steps()
    assert stock.is_completed() and steps >= 2
