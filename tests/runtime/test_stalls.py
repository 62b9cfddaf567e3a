"""Nothing waits silently: what a running instance waits for, and an incident when it waits for nothing."""

from __future__ import annotations

import pytest

from engine.actor import SYSTEM
from engine.errors import Conflict
from engine.runtime.stalls import PROBES, why_waiting
from engine.tasks.service import TaskQuery
from tests.factories import add_users, deploy_files
from tests.runtime.test_history_order import MODEL as WAITS_MODEL

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Defs_{key}" targetNamespace="http://example.com/t">\n'
    '<bpmn:process id="{key}" isExecutable="true">\n'
)
# An exclusive choice feeding a parallel join: the join waits for a branch that was never taken, so
# once the first task is done the tokens sit at the join with nothing that could ever move them.
DEADLOCK = HEAD.format(key="deadlock") + (
    '<bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>'
    '<bpmn:userTask id="prepare" camunda:candidateGroups="finance"><bpmn:incoming>f0</bpmn:incoming>'
    "<bpmn:outgoing>f1</bpmn:outgoing></bpmn:userTask>"
    '<bpmn:exclusiveGateway id="choose" default="fb"><bpmn:incoming>f1</bpmn:incoming>'
    "<bpmn:outgoing>fa</bpmn:outgoing><bpmn:outgoing>fb</bpmn:outgoing></bpmn:exclusiveGateway>"
    '<bpmn:scriptTask id="a"><bpmn:incoming>fa</bpmn:incoming><bpmn:outgoing>fa2</bpmn:outgoing>'
    "<bpmn:script>went = 'a'</bpmn:script></bpmn:scriptTask>"
    '<bpmn:scriptTask id="b"><bpmn:incoming>fb</bpmn:incoming><bpmn:outgoing>fb2</bpmn:outgoing>'
    "<bpmn:script>went = 'b'</bpmn:script></bpmn:scriptTask>"
    '<bpmn:parallelGateway id="join"><bpmn:incoming>fa2</bpmn:incoming><bpmn:incoming>fb2</bpmn:incoming>'
    "<bpmn:outgoing>f9</bpmn:outgoing></bpmn:parallelGateway>"
    '<bpmn:endEvent id="done"><bpmn:incoming>f9</bpmn:incoming></bpmn:endEvent>'
    '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="prepare" />'
    '<bpmn:sequenceFlow id="f1" sourceRef="prepare" targetRef="choose" />'
    '<bpmn:sequenceFlow id="fa" sourceRef="choose" targetRef="a"><bpmn:conditionExpression>'
    "go_a</bpmn:conditionExpression></bpmn:sequenceFlow>"
    '<bpmn:sequenceFlow id="fb" sourceRef="choose" targetRef="b" />'
    '<bpmn:sequenceFlow id="fa2" sourceRef="a" targetRef="join" />'
    '<bpmn:sequenceFlow id="fb2" sourceRef="b" targetRef="join" />'
    '<bpmn:sequenceFlow id="f9" sourceRef="join" targetRef="done" />'
    "</bpmn:process></bpmn:definitions>\n"
)


@pytest.fixture
def fay(engine):
    deploy_files(engine, {"deadlock.bpmn": DEADLOCK})
    deploy_files(engine, {"order.bpmn": WAITS_MODEL})
    return add_users(engine, fay="finance")["fay"]


def _complete(engine, instance_id, element_id, who, data=None):
    task = next(
        t for t in engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance_id)) if t.element_id == element_id
    )
    return engine.tasks.complete(task.id, who, data or {})


def test_a_running_instance_says_what_it_waits_for(engine, fay):
    instance = engine.runtime.start("order", fay, {})
    assert instance.waiting_for == engine.runtime.get(instance.id, SYSTEM).waiting_for
    waits = instance.waiting_for
    assert "user task review" in waits and "user task note" in waits
    assert any(w.startswith("timer late due ") for w in waits), waits
    assert "message 'nudge' at nudged" in waits
    with engine.db.read() as conn:
        assert why_waiting(conn, instance.id) == waits


def test_an_ended_instance_waits_for_nothing_and_a_list_does_not_say(engine, fay):
    instance = engine.runtime.start("order", fay, {})
    engine.runtime.cancel(instance.id, SYSTEM, "stalled")
    assert engine.runtime.get(instance.id, SYSTEM).waiting_for == []
    assert engine.runtime.list(SYSTEM)[0].waiting_for is None
    assert not any(e.type == "incident" for e in engine.history.events(instance.id, SYSTEM))


def test_a_process_whose_tokens_can_never_move_gets_an_incident(engine, fay):
    """Hostile: a join waiting for a branch that was not taken. The command succeeds (the person did
    their task), the instance stays running, and the incident names the join."""
    instance = engine.runtime.start("deadlock", fay, {"go_a": False})
    assert instance.waiting_for == ["user task prepare"]
    _complete(engine, instance.id, "prepare", fay)

    info = engine.runtime.get(instance.id, SYSTEM)
    assert info.status == "running"
    assert info.waiting_for == ["incident: the process waits for nothing: its tokens stopped at join"]
    incidents = [e for e in engine.history.events(instance.id, SYSTEM) if e.type == "incident"]
    assert len(incidents) == 1
    assert incidents[0].element_id == "join"
    assert incidents[0].data["reason"] == "stalled" and incidents[0].data["elements"] == ["join"]

    # It is recorded once; the instance can still be cancelled, which ends the incident.
    engine.runtime.suspend(instance.id, SYSTEM, "look")
    engine.runtime.resume(instance.id, SYSTEM, "looked")
    assert sum(e.type == "incident" for e in engine.history.events(instance.id, SYSTEM)) == 1
    engine.runtime.cancel(instance.id, SYSTEM, reason="stuck")
    assert engine.runtime.get(instance.id, SYSTEM).waiting_for == []
    with pytest.raises(Conflict):
        engine.runtime.cancel(instance.id, SYSTEM, "stalled")


def test_an_instance_waiting_for_its_person_records_no_incident(engine, fay):
    instance = engine.runtime.start("deadlock", fay, {"go_a": True})
    assert not any(e.type == "incident" for e in engine.history.events(instance.id, SYSTEM))


def test_a_new_kind_of_wait_is_one_probe(engine, fay, monkeypatch):
    """The list of probes is the extension point (external tasks and child instances plug in here)."""
    instance = engine.runtime.start("deadlock", fay, {"go_a": True})
    monkeypatch.setattr("engine.runtime.stalls.PROBES", [*PROBES, lambda conn, iid: ["a worker's reply"]])
    _complete(engine, instance.id, "prepare", fay)
    info = engine.runtime.get(instance.id, SYSTEM)
    assert info.waiting_for[-1] == "a worker's reply"
    assert not any(e.type == "incident" for e in engine.history.events(instance.id, SYSTEM))
