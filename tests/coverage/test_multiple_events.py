"""A catch event with several definitions (a message and a signal) waits for any one of them, and is
listed, and delivered to, as itself — not as the element after it."""

from __future__ import annotations

import pytest

from engine.actor import SYSTEM
from engine.errors import NotFound
from tests.coverage.helpers import bpmn, flow
from tests.factories import deploy_files

DEFINITIONS = '<bpmn:message id="M" name="go_ahead" /><bpmn:signal id="S" name="recall" />'
BODY = (
    '<bpmn:startEvent id="start" />'
    '<bpmn:intermediateCatchEvent id="either"><bpmn:messageEventDefinition id="md" messageRef="M" />'
    '<bpmn:signalEventDefinition id="sd" signalRef="S" /></bpmn:intermediateCatchEvent>'
    '<bpmn:scriptTask id="note" scriptFormat="python"><bpmn:script>noted = True</bpmn:script></bpmn:scriptTask>'
    '<bpmn:endEvent id="end" />'
    + flow("f1", "start", "either")
    + flow("f2", "either", "note")
    + flow("f3", "note", "end")
)


@pytest.fixture
def either(engine):
    deploy_files(engine, {"anyone.bpmn": bpmn("anyone", BODY, DEFINITIONS)})
    return engine


def test_it_waits_for_both_at_itself(either):
    started = either.runtime.start("anyone", SYSTEM, {}, business_key="E-1")
    assert sorted(either.runtime.get(started.id, SYSTEM).waiting_for) == [
        "message 'go_ahead' at either",
        "signal 'recall' at either",
    ]


@pytest.mark.parametrize("by", ["message", "signal"])
def test_either_definition_moves_it_on_and_closes_the_other(either, by):
    started = either.runtime.start("anyone", SYSTEM, {}, business_key="E-1")
    if by == "message":
        either.events.correlate_message("go_ahead", "E-1", {}, SYSTEM)
    else:
        either.events.broadcast_signal("recall", {}, SYSTEM)
    info = either.runtime.get(started.id, SYSTEM)
    assert info.status == "completed" and info.data["noted"] is True
    # the other definition's wait is gone: nothing is left to deliver
    with pytest.raises(NotFound, match="no process waits for message 'go_ahead'"):
        either.events.correlate_message("go_ahead", "E-1", {}, SYSTEM)
