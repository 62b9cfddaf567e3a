"""The incremental state (only changed task rows are written) restores to the workflow it saved,
after every step of every test model."""

import pytest
from SpiffWorkflow.util.task import TaskState

from engine.spiff import state
from engine.spiff.workflow import ApprovalsWorkflow
from tests.spiff.models import MODEL_FILES, spec_of, step_data


@pytest.mark.parametrize("process_id", sorted(MODEL_FILES))
def test_saved_rows_restore_the_workflow_after_every_step(process_id):
    spec, subprocess_specs = spec_of(process_id)
    workflow = ApprovalsWorkflow(spec, subprocess_specs)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(step_data(process_id, 0))
    workflow.do_engine_steps()
    database: dict[str, tuple] = {}
    fingerprint = None
    written = []
    step = 0
    while True:
        changes = state.save_changes(workflow, fingerprint)
        for row in changes.upserts:
            database[row.task_id] = (row.task_id, row.ord, row.workflow_key, row.payload)
        for task_id in changes.deletes:
            del database[task_id]
        fingerprint = changes.fingerprint
        written.append(len(changes.upserts))
        # Restoring costs time proportional to the instance: for the 200-round loop, check every 10th step.
        if process_id != "bench_loop" or step % 10 == 0 or workflow.is_completed():
            restored, restored_fingerprint = state.restore(
                spec, subprocess_specs, changes.envelope, list(database.values())
            )
            assert state.full_rows(restored) == state.full_rows(workflow)
            assert restored_fingerprint.tasks.keys() == fingerprint.tasks.keys()
            # Work on the restored copy from here on, as a fresh server process would.
            workflow, fingerprint = restored, restored_fingerprint
        if not workflow.ready_user_tasks():
            break
        step += 1
        task = sorted(workflow.ready_user_tasks(), key=lambda t: t.task_spec.name)[0]
        task.data.update(step_data(process_id, step))
        task.run()
        workflow.do_engine_steps()
    assert workflow.is_completed()
    if process_id == "bench_loop":
        # A step writes a handful of rows, however long the instance has been running.
        assert max(written[-20:]) <= max(written[1:21]) < len(workflow.tasks) / 50
