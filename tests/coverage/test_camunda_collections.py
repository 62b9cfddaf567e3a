"""Camunda 7's multi-instance collection (`camunda:collection` + `camunda:elementVariable`) runs as the
BPMN form it stands for, warm and with every command on a fresh engine."""

from __future__ import annotations

import pytest

from engine.actor import SYSTEM
from engine.errors import ModelValidationError
from engine.tasks.service import TaskQuery
from tests.coverage.helpers import bpmn, flow
from tests.factories import add_users, deploy_files


def model(collection: str, sequential: bool = False) -> str:
    loop = (
        f'<bpmn:multiInstanceLoopCharacteristics isSequential="{str(sequential).lower()}" '
        f'camunda:collection="{collection}" camunda:elementVariable="approver" />'
    )
    return bpmn(
        "sign_off",
        '<bpmn:startEvent id="start" />'
        f'<bpmn:userTask id="sign" name="Sign" camunda:assignee="${{approver}}">{loop}</bpmn:userTask>'
        '<bpmn:endEvent id="end" />' + flow("f1", "start", "sign") + flow("f2", "sign", "end"),
    )


@pytest.mark.parametrize("sequential", [False, True], ids=["parallel", "sequential"])
@pytest.mark.parametrize("collection", ["${approvers}", "approvers"])
def test_each_element_of_the_collection_gets_its_task(make_engine, sequential, collection):
    first = make_engine()
    people = add_users(first, ann="staff", bob="staff", cy="staff")
    deploy_files(first, {"sign_off.bpmn": model(collection, sequential)})
    started = first.runtime.start("sign_off", SYSTEM, {"approvers": ["ann", "bob", "cy"]})
    signed = []
    for _ in range(3):
        engine = make_engine(cold_commands=True)  # every command as a new process would run it
        open_tasks = engine.tasks.list(SYSTEM, TaskQuery(instance_id=started.id))
        assignees = sorted(t.assignee for t in open_tasks)
        assert assignees == (
            ["ann", "bob", "cy"][len(signed) :] if not sequential else [["ann", "bob", "cy"][len(signed)]]
        )
        task = open_tasks[0]
        engine.tasks.complete(task.id, people[task.assignee], {})
        signed.append(task.assignee)
    assert make_engine().runtime.get(started.id, SYSTEM).status == "completed"


def test_a_collection_that_is_not_a_variable_is_refused_at_deploy(engine):
    with pytest.raises(ModelValidationError) as refused:
        deploy_files(engine, {"sign_off.bpmn": model("${team.members()}")})
    problem = refused.value.problems[0]
    assert problem.element_id == "sign" and "must name a variable" in problem.message and problem.line
