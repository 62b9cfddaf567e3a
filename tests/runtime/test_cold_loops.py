"""Loops and multi-instance activities behave the same when every command runs in a new process.

A new process means a new Engine that parses the model again: SpiffWorkflow keeps part of a loop's
bookkeeping on the parsed spec, so a test that keeps one Engine (even with its workflow cache off)
cannot see what a restart or a second server process does.
"""

from __future__ import annotations

import pytest

from engine.spiff.loops import connect_loop_merges
from engine.tasks.service import TaskQuery
from tests.factories import add_users, deploy_files

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Defs_{key}" targetNamespace="http://example.com/t">\n'
    '<bpmn:process id="{key}" isExecutable="true">\n'
    '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
    # Each round: a person signs, then a script records whose round it was (the output item).
    '<bpmn:subProcess id="round" name="Round"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>{loop}'
    '<bpmn:startEvent id="round_start"><bpmn:outgoing>r1</bpmn:outgoing></bpmn:startEvent>'
    '<bpmn:userTask id="sign" name="Sign" camunda:candidateGroups="finance">'
    "<bpmn:incoming>r1</bpmn:incoming><bpmn:outgoing>r2</bpmn:outgoing></bpmn:userTask>"
    '<bpmn:scriptTask id="note"><bpmn:incoming>r2</bpmn:incoming><bpmn:outgoing>r3</bpmn:outgoing>'
    "<bpmn:script>{script}</bpmn:script></bpmn:scriptTask>"
    '<bpmn:endEvent id="round_end"><bpmn:incoming>r3</bpmn:incoming></bpmn:endEvent>'
    '<bpmn:sequenceFlow id="r1" sourceRef="round_start" targetRef="sign" />'
    '<bpmn:sequenceFlow id="r2" sourceRef="sign" targetRef="note" />'
    '<bpmn:sequenceFlow id="r3" sourceRef="note" targetRef="round_end" />'
    "</bpmn:subProcess>\n"
    '<bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>\n'
    '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="round" />\n'
    '<bpmn:sequenceFlow id="f2" sourceRef="round" targetRef="done" />\n'
    "</bpmn:process></bpmn:definitions>\n"
)

LOOPS = {
    "parallel_over_a_list": (
        "<bpmn:multiInstanceLoopCharacteristics>"
        "<bpmn:loopDataInputRef>signers</bpmn:loopDataInputRef>"
        "<bpmn:loopDataOutputRef>signed</bpmn:loopDataOutputRef>"
        '<bpmn:inputDataItem id="signer" name="signer" />'
        '<bpmn:outputDataItem id="signed_by" />'
        "</bpmn:multiInstanceLoopCharacteristics>"
    ),
    "parallel_by_cardinality": (
        "<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>3</bpmn:loopCardinality>"
        "</bpmn:multiInstanceLoopCharacteristics>"
    ),
    "sequential_over_a_list": (
        '<bpmn:multiInstanceLoopCharacteristics isSequential="true">'
        "<bpmn:loopDataInputRef>signers</bpmn:loopDataInputRef>"
        "<bpmn:loopDataOutputRef>signed</bpmn:loopDataOutputRef>"
        '<bpmn:inputDataItem id="signer" name="signer" />'
        '<bpmn:outputDataItem id="signed_by" />'
        "</bpmn:multiInstanceLoopCharacteristics>"
    ),
    "sequential_by_cardinality": (
        '<bpmn:multiInstanceLoopCharacteristics isSequential="true">'
        "<bpmn:loopCardinality>3</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>"
    ),
    "standard_loop": '<bpmn:standardLoopCharacteristics loopMaximum="3" />',
}


@pytest.mark.parametrize("kind", sorted(LOOPS))
@pytest.mark.parametrize("cold", [False, True], ids=["one_process", "process_per_command"])
def test_a_loop_reaches_its_end(make_engine, kind, cold):
    key = f"loop_{kind}"
    engine = make_engine()
    people = add_users(engine, sam="sales", fay="finance")
    deploy_files(
        engine,
        {
            f"{key}.bpmn": HEAD.format(
                key=key, loop=LOOPS[kind], script="signed_by = signer" if "list" in kind else "rounds = 1"
            )
        },
    )
    instance = engine.runtime.start(key, people["sam"], {"signers": ["ann", "bob", "cy"]})

    completed = 0
    while True:
        if cold:
            engine = make_engine()
        open_tasks = engine.tasks.list(people["fay"], TaskQuery(instance_id=instance.id))
        if not open_tasks:
            break
        engine.tasks.complete(open_tasks[0].id, people["fay"])
        completed += 1
        assert completed <= 3, "more tasks than the loop has rounds"

    assert completed == 3
    assert make_engine().runtime.get(instance.id, people["sam"]).status == "completed"
    if "over_a_list" in kind:
        # Each round saw its own item: a rebuilt round must not read another round's data.
        assert make_engine().runtime.get(instance.id, people["sam"]).data["signed"] == ["ann", "bob", "cy"]


NO_OUTPUT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Defs_{key}" targetNamespace="http://example.com/t">\n'
    '<bpmn:process id="{key}" isExecutable="true">\n'
    '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
    '<bpmn:userTask id="sign" name="Sign" camunda:candidateGroups="finance">'
    "<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>"
    '<bpmn:multiInstanceLoopCharacteristics isSequential="{sequential}">'
    "<bpmn:loopDataInputRef>signers</bpmn:loopDataInputRef>"
    '<bpmn:inputDataItem id="signer" name="signer" />'
    "</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>\n"
    '<bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>\n'
    '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sign" />\n'
    '<bpmn:sequenceFlow id="f2" sourceRef="sign" targetRef="done" />\n'
    "</bpmn:process></bpmn:definitions>\n"
)


@pytest.mark.parametrize("sequential", ["true", "false"])
def test_each_round_has_its_own_item_and_it_does_not_leak_into_the_process(make_engine, sequential):
    """As in Camunda, the input item is the round's own variable: a sequential activity's next round
    gets its item (SpiffWorkflow merged the last one back and refused the second round), and the
    process data afterwards holds no leftover ``signer``."""
    key = "rounds_" + ("sequential" if sequential == "true" else "parallel")
    engine = make_engine()
    people = add_users(engine, sam="sales", fay="finance")
    deploy_files(engine, {f"{key}.bpmn": NO_OUTPUT.format(key=key, sequential=sequential)})
    instance = engine.runtime.start(key, people["sam"], {"signers": ["ann", "bob", "cy"]})
    rounds = 0
    while open_tasks := engine.tasks.list(people["fay"], TaskQuery(instance_id=instance.id)):
        engine = make_engine()
        engine.tasks.complete(open_tasks[0].id, people["fay"])
        rounds += 1
        assert rounds <= 3
    assert rounds == 3
    final = make_engine().runtime.get(instance.id, people["sam"])
    assert final.status == "completed"
    assert "signer" not in final.data


def test_preparing_a_spec_twice_changes_nothing(make_engine):
    """A second preparation must not connect a second merge: every round would count twice."""
    engine = make_engine()
    people = add_users(engine, sam="sales", fay="finance")
    deploy_files(engine, {"twice.bpmn": NO_OUTPUT.format(key="twice", sequential="true")})
    with engine.db.read() as conn:
        version_id = engine.repository.resolve_version_id(conn, "twice", None)
    connect_loop_merges(engine.repository.compiled(version_id).spec)
    instance = engine.runtime.start("twice", people["sam"], {"signers": ["ann", "bob", "cy"]})
    for round_ in range(3):
        # One round at a time: a doubled merge would start the next round twice.
        (task,) = engine.tasks.list(people["fay"], TaskQuery(instance_id=instance.id))
        status = engine.tasks.complete(task.id, people["fay"]).instance_status
        assert status == ("completed" if round_ == 2 else "running")
