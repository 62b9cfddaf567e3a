"""The budget in models: a script task, a gateway condition and a DMN cell past a limit fail their
command with a ScriptError naming the element and the limit; nothing of the command is stored."""

from __future__ import annotations

import time

import pytest

from engine.actor import SYSTEM
from engine.errors import ApprovalsError, ScriptError
from engine.tasks.service import TaskQuery
from tests.factories import add_users, deploy_files
from tests.scripting.places import _HEAD, _TAIL, ELEMENT, PLACES, _flow

ATTACKS = {
    "huge power": ("10 ** 10 ** 8", "APPROVALS_SCRIPT_MAX_INT_BITS"),
    "string repetition": ("len('a' * 10 ** 10)", "APPROVALS_SCRIPT_MAX_ITEMS"),
    "range sum": ("sum(range(10 ** 12))", "APPROVALS_SCRIPT_MAX_ITEMS"),
    "f-string width": ("len(f'{1:>{10 ** 9}}')", "APPROVALS_SCRIPT_MAX_ITEMS"),
    "endless comprehension": (
        "all(True for a in range(10 ** 6) for b in range(10 ** 6))",
        "APPROVALS_SCRIPT_MAX_STEPS",
    ),
}
IN = ("script task", "gateway condition", "DMN input expression", "DMN input entry", "DMN output entry")


@pytest.mark.parametrize("place", IN)
@pytest.mark.parametrize("attack", ATTACKS)
def test_a_limit_fails_the_command_naming_element_and_limit(make_engine, place: str, attack: str) -> None:
    engine = make_engine()
    people = add_users(engine, sam="sales")
    expression, variable = ATTACKS[attack]
    deploy_files(engine, PLACES[place](expression))
    started = time.monotonic()
    with pytest.raises(ApprovalsError) as failed:
        engine.runtime.start("attack", people["sam"], {"amount": 5})
    assert time.monotonic() - started < 3
    error = failed.value
    if place.startswith("DMN"):
        # The business rule task fails with the table's error: task, decision, rule or column, limit.
        assert error.problems[0].element_id == "decide" and error.problems[0].decision_id == "d"
    else:
        assert isinstance(error, ScriptError)
        element = ELEMENT[place] if place != "gateway condition" else "choose"
        assert error.problems[0].element_id == element
    assert "script limit exceeded" in str(error) and variable in str(error)
    assert engine.runtime.list(SYSTEM) == []


def test_an_endless_script_leaves_the_instance_as_it_was(make_engine) -> None:
    engine = make_engine()
    people = add_users(engine, sam="sales")
    bpmn = (
        _HEAD
        + '<bpmn:userTask id="ask" name="Ask" camunda:candidateGroups="sales"><bpmn:incoming>f1</bpmn:incoming>'
        "<bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>\n"
        '<bpmn:scriptTask id="spin" scriptFormat="python"><bpmn:incoming>f2</bpmn:incoming>'
        "<bpmn:outgoing>f3</bpmn:outgoing><bpmn:script>touched = True\nwhile True:\n    pass</bpmn:script>"
        "</bpmn:scriptTask>\n"
        '<bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>\n'
        + _flow("f1", "start", "ask")
        + _flow("f2", "ask", "spin")
        + _flow("f3", "spin", "end")
        + _TAIL
    )
    deploy_files(engine, {"attack.bpmn": bpmn})
    instance = engine.runtime.start("attack", people["sam"], {"amount": 5})
    before = engine.runtime.get(instance.id, SYSTEM)
    (task,) = engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance.id))
    engine.tasks.claim(task.id, people["sam"])
    with pytest.raises(ScriptError) as failed:
        engine.tasks.complete(task.id, people["sam"])
    assert failed.value.problems[0].element_id == "spin"
    assert "APPROVALS_SCRIPT_MAX_STEPS" in failed.value.message
    after = engine.runtime.get(instance.id, SYSTEM)
    assert after.data == before.data and "touched" not in after.data
    assert [t.status for t in engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance.id))] == [task.status]
    assert make_engine().runtime.get(instance.id, SYSTEM).data == before.data  # from the database too
