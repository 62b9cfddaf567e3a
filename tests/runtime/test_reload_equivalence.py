"""Rebuilt equals cached, after every command.

The hook (tests/reload_check.py) runs for every scenario test of the bundled processes
(tests/process_models/conftest.py) and, here, for the loop models of test_cold_loops.py: after each
command the instance rebuilt from the database with a freshly compiled model must equal the live
workflow. The tests below also show that the hook finds the differences it is there to find.
"""

from __future__ import annotations

import pytest

from engine.actor import SYSTEM
from engine.spiff import parser as spiff_parser
from engine.spiff import state as spiff_state
from engine.spiff.equivalence import differences, spec_differences
from engine.tasks.service import TaskQuery
from tests.factories import add_users, deploy_files
from tests.reload_check import install
from tests.runtime import test_cold_loops as cold_loops

# The loop models, each command checked: the same tests, collected again in this module.
test_cold_loop_reaches_its_end = cold_loops.test_a_loop_reaches_its_end
test_cold_loop_round_has_its_own_item = (
    cold_loops.test_each_round_has_its_own_item_and_it_does_not_leak_into_the_process
)
test_cold_loop_prepared_twice = cold_loops.test_preparing_a_spec_twice_changes_nothing


@pytest.fixture(autouse=True)
def reload_check(monkeypatch):
    return install(monkeypatch)


def _loop_model(key: str) -> str:
    return cold_loops.NO_OUTPUT.format(key=key, sequential="true")


def test_the_hook_checks_every_command(engine, reload_check):
    people = add_users(engine, sam="sales", fay="finance")
    deploy_files(engine, {"seq.bpmn": _loop_model("seq")})
    instance = engine.runtime.start("seq", people["sam"], {"signers": ["ann", "bob"]})
    while open_tasks := engine.tasks.list(people["fay"], TaskQuery(instance_id=instance.id)):
        engine.tasks.complete(open_tasks[0].id, people["fay"])
    assert engine.runtime.get(instance.id, SYSTEM).status == "completed"
    # start + two completions (claim is part of completing here)
    assert reload_check.commands >= 3


def test_a_spec_that_learns_while_running_is_caught(engine, monkeypatch):
    """Hostile: without loops.py, SpiffWorkflow connects a loop's merge to the *warm* spec when the
    first round starts; a fresh spec lacks it. The hook names the difference at that command."""
    monkeypatch.setattr(spiff_parser, "connect_loop_merges", lambda spec: None)
    people = add_users(engine, sam="sales", fay="finance")
    deploy_files(engine, {"unprepared.bpmn": _loop_model("unprepared")})
    with pytest.raises(
        AssertionError,
        match=r"spec unprepared/sign \[child\]: completed_event: warm 1 receivers != fresh 0 receivers",
    ):
        engine.runtime.start("unprepared", people["sam"], {"signers": ["ann", "bob"]})


def test_state_the_database_does_not_hold_is_caught(engine):
    """Hostile: a change to the live workflow that was never saved shows as a difference."""
    people = add_users(engine, sam="sales", fay="finance")
    deploy_files(engine, {"seq2.bpmn": _loop_model("seq2")})
    instance = engine.runtime.start("seq2", people["sam"], {"signers": ["ann", "bob"]})
    model = engine.repository.compiled(engine.runtime.get(instance.id, SYSTEM).version_id)
    envelope_and_rows = _stored(engine, instance.id)
    live, _ = spiff_state.restore(model.spec, model.subprocess_specs, *envelope_and_rows)
    rebuilt, _ = spiff_state.restore(model.spec, model.subprocess_specs, *envelope_and_rows)
    assert differences(live, rebuilt) == []
    task = live.ready_user_tasks()[0]
    task.data["unsaved"] = 1
    found = differences(live, rebuilt)
    assert any("unsaved" in line and "sign" in line for line in found), found


def test_a_fresh_spec_equals_itself(engine):
    people = add_users(engine, sam="sales")
    deploy_files(engine, {"seq3.bpmn": _loop_model("seq3")})
    del people
    with engine.db.read() as conn:
        version_id = engine.repository.resolve_version_id(conn, "seq3", None)
    model = engine.repository.compiled(version_id)
    pair = (model.spec, model.subprocess_specs)
    assert spec_differences(pair, pair) == []


def _stored(engine, instance_id):
    from sqlalchemy import select

    from engine.store.schema import instance_task_states, process_instances

    with engine.db.read() as conn:
        envelope = conn.execute(
            select(process_instances.c.state).where(process_instances.c.id == instance_id)
        ).scalar_one()
        rows = conn.execute(
            select(
                instance_task_states.c.task_id,
                instance_task_states.c.ord,
                instance_task_states.c.workflow_key,
                instance_task_states.c.payload,
            ).where(instance_task_states.c.instance_id == instance_id)
        ).all()
    return envelope, [tuple(r) for r in rows]
