"""The audit trail reads in causal order: what a command did to the instance's waits (timers, message
subscriptions, inbox tasks) comes before the event that ends the instance."""

from __future__ import annotations

import pytest

from engine.actor import SYSTEM
from engine.tasks.service import TaskQuery
from tests.factories import add_users, deploy_files

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Defs_order" targetNamespace="http://example.com/t">\n'
    '<bpmn:message id="Msg_nudge" name="nudge" />\n'
    '<bpmn:process id="order" isExecutable="true">\n'
)
# A review with a timer and a message on its border, and a parallel note task: completing the review
# ends the process (a terminate end event), so the command that completes it closes the timer, the
# subscription and the other inbox task.
MODEL = (
    HEAD + '<bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>'
    '<bpmn:parallelGateway id="fork"><bpmn:incoming>f0</bpmn:incoming>'
    "<bpmn:outgoing>f1</bpmn:outgoing><bpmn:outgoing>f2</bpmn:outgoing></bpmn:parallelGateway>"
    '<bpmn:userTask id="review" camunda:candidateGroups="finance"><bpmn:incoming>f1</bpmn:incoming>'
    "<bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>"
    '<bpmn:userTask id="note" camunda:candidateGroups="finance"><bpmn:incoming>f2</bpmn:incoming>'
    "<bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>"
    '<bpmn:boundaryEvent id="late" attachedToRef="review"><bpmn:outgoing>f5</bpmn:outgoing>'
    "<bpmn:timerEventDefinition><bpmn:timeDuration>PT4H</bpmn:timeDuration></bpmn:timerEventDefinition>"
    "</bpmn:boundaryEvent>"
    '<bpmn:boundaryEvent id="nudged" attachedToRef="review" cancelActivity="false">'
    "<bpmn:outgoing>f6</bpmn:outgoing>"
    '<bpmn:messageEventDefinition messageRef="Msg_nudge" /></bpmn:boundaryEvent>'
    '<bpmn:endEvent id="done"><bpmn:incoming>f3</bpmn:incoming>'
    "<bpmn:terminateEventDefinition /></bpmn:endEvent>"
    '<bpmn:endEvent id="noted"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>'
    '<bpmn:endEvent id="too_late"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>'
    '<bpmn:endEvent id="was_nudged"><bpmn:incoming>f6</bpmn:incoming></bpmn:endEvent>'
    '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="fork" />'
    '<bpmn:sequenceFlow id="f1" sourceRef="fork" targetRef="review" />'
    '<bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="note" />'
    '<bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="done" />'
    '<bpmn:sequenceFlow id="f4" sourceRef="note" targetRef="noted" />'
    '<bpmn:sequenceFlow id="f5" sourceRef="late" targetRef="too_late" />'
    '<bpmn:sequenceFlow id="f6" sourceRef="nudged" targetRef="was_nudged" />'
    "</bpmn:process></bpmn:definitions>\n"
)
WAIT_CLOSERS = {"timer_cancelled", "message_wait_cancelled", "task_cancelled"}


@pytest.fixture
def running(engine):
    deploy_files(engine, {"order.bpmn": MODEL})
    people = add_users(engine, fay="finance")
    instance = engine.runtime.start("order", people["fay"], {})
    return instance.id, people["fay"]


def _command_events(engine, instance_id, after_seq):
    return [e for e in engine.history.events(instance_id, SYSTEM) if e.seq > after_seq]


def _last_seq(engine, instance_id):
    return engine.history.events(instance_id, SYSTEM)[-1].seq


def test_completing_the_instance_is_the_last_thing_its_command_records(engine, running):
    instance_id, fay = running
    before = _last_seq(engine, instance_id)
    review = next(
        t for t in engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance_id)) if t.element_id == "review"
    )
    engine.tasks.complete(review.id, fay, {})

    types = [e.type for e in _command_events(engine, instance_id, before)]
    assert engine.runtime.get(instance_id, SYSTEM).status == "completed"
    # The command closed all three waits, then the instance ended.
    assert set(types) >= WAIT_CLOSERS, types
    assert types[-1] == "instance_completed", types
    assert types.index("end_event") < types.index("instance_completed")


def test_cancelling_the_instance_records_the_closed_waits_before_the_cancellation(engine, running):
    instance_id, _ = running
    before = _last_seq(engine, instance_id)
    engine.runtime.cancel(instance_id, SYSTEM, reason="not needed")

    types = [e.type for e in _command_events(engine, instance_id, before)]
    assert set(types) >= WAIT_CLOSERS, types
    assert types[-1] == "instance_cancelled", types


def test_an_instance_that_goes_on_records_no_end(engine, running):
    """Hostile: a command that closes waits but leaves the instance running records no end event."""
    instance_id, fay = running
    before = _last_seq(engine, instance_id)
    note = next(
        t for t in engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance_id)) if t.element_id == "note"
    )
    engine.tasks.complete(note.id, fay, {})
    types = [e.type for e in _command_events(engine, instance_id, before)]
    assert "instance_completed" not in types and "timer_cancelled" not in types, types
    assert engine.runtime.get(instance_id, SYSTEM).status == "running"
