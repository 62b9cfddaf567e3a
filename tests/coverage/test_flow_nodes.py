"""Implicit ends, and plain and manual tasks passing through (as in Camunda 7)."""

from __future__ import annotations

import pytest

from engine.errors import ModelValidationError
from tests.coverage.helpers import Driver, bpmn, flow, script, user_task

COLD = pytest.mark.parametrize("cold", [False, True], ids=["warm", "cold"])

# A fork whose branches end without end events: a script, a user task, and an embedded subprocess
# whose own paths end implicitly too (it has no end event at all).
IMPLICIT = bpmn(
    "implicit",
    '<bpmn:startEvent id="start" />'
    '<bpmn:parallelGateway id="fork" />'
    + script("note", "noted = True")
    + user_task("review")
    + '<bpmn:subProcess id="inner"><bpmn:startEvent id="inner_start" />'
    + user_task("inner_review")
    + script("inner_note", "inner_noted = True")
    + flow("i1", "inner_start", "inner_review")
    + flow("i2", "inner_review", "inner_note")
    + "</bpmn:subProcess>"
    + script("after_inner", "after = True")
    + flow("f1", "start", "fork")
    + flow("f2", "fork", "note")
    + flow("f3", "fork", "review")
    + flow("f4", "fork", "inner")
    + flow("f5", "inner", "after_inner"),
)


@COLD
def test_paths_without_end_events_end_where_they_stop(make_engine, clock, cold):
    run = Driver(make_engine, clock, cold)
    run.deploy({"implicit.bpmn": IMPLICIT})
    run.start("implicit")
    assert set(run.open_tasks()) == {"review", "inner_review"}
    run.complete("inner_review")
    # The subprocess ended implicitly and the flow after it ran; the review still holds the instance.
    assert set(run.open_tasks()) == {"review"}
    assert run.status() == "running"
    run.complete("review")
    assert run.status() == "completed"
    data = run.data()
    assert data["noted"] and data["inner_noted"] and data["after"]
    assert "instance_completed" in run.history_types()
    run.verify()


def test_a_gateway_or_start_event_without_outgoing_flow_is_still_refused(make_engine, clock):
    run = Driver(make_engine, clock, False)
    model = bpmn(
        "dead_ends",
        '<bpmn:startEvent id="start" /><bpmn:startEvent id="lonely_start" />'
        '<bpmn:exclusiveGateway id="nowhere" />' + flow("f1", "start", "nowhere"),
    )
    with pytest.raises(ModelValidationError) as caught:
        run.deploy({"dead_ends.bpmn": model})
    problems = caught.value.problems
    nowhere = [p for p in problems if p.element_id == "nowhere"]
    assert "a gateway must lead somewhere" in nowhere[0].message and nowhere[0].line == 5
    assert any("no outgoing" in p.message for p in problems if p.element_id == "lonely_start")


PASSING = bpmn(
    "passing",
    '<bpmn:startEvent id="start" />'
    '<bpmn:task id="plain" name="Plain" />'
    '<bpmn:manualTask id="by_hand" name="Post the letter" />'
    + user_task("approve")
    + '<bpmn:endEvent id="end" />'
    + flow("f1", "start", "plain")
    + flow("f2", "plain", "by_hand")
    + flow("f3", "by_hand", "approve")
    + flow("f4", "approve", "end"),
)


@COLD
def test_plain_and_manual_tasks_pass_through_and_say_so_in_the_history(make_engine, clock, cold):
    run = Driver(make_engine, clock, cold)
    run.deploy({"passing.bpmn": PASSING})
    run.start("passing")
    # Nobody is asked to complete them: the first inbox task is the user task after them.
    assert set(run.open_tasks()) == {"approve"}
    assert run.history_types("plain") == ["task_passed"]
    assert run.history_types("by_hand") == ["task_passed"]
    run.complete("approve")
    assert run.status() == "completed"
    run.verify()


# As Camunda Modeler draws them: a data object with a reference, a script writing to it and a user task
# reading it, a data store at definitions level with a reference, and a subprocess whose task points
# to a data object two scopes up.
DATA_OBJECTS = bpmn(
    "data_objects",
    '<bpmn:dataObject id="DataObject_offer" name="Offer" />'
    '<bpmn:dataObjectReference id="DataObjectReference_offer" name="Offer" dataObjectRef="DataObject_offer" />'
    '<bpmn:dataStoreReference id="DataStoreReference_crm" name="CRM" dataStoreRef="DataStore_crm" />'
    '<bpmn:startEvent id="start" />'
    '<bpmn:scriptTask id="price"><bpmn:dataOutputAssociation id="out_1">'
    "<bpmn:targetRef>DataObjectReference_offer</bpmn:targetRef></bpmn:dataOutputAssociation>"
    "<bpmn:script>amount = 120</bpmn:script></bpmn:scriptTask>"
    '<bpmn:userTask id="approve" camunda:candidateGroups="staff">'
    '<bpmn:property id="Property_1" name="__targetRef_placeholder" />'
    '<bpmn:dataInputAssociation id="in_1"><bpmn:sourceRef>DataObjectReference_offer</bpmn:sourceRef>'
    "<bpmn:targetRef>Property_1</bpmn:targetRef></bpmn:dataInputAssociation>"
    '<bpmn:dataInputAssociation id="in_2"><bpmn:sourceRef>DataStoreReference_crm</bpmn:sourceRef>'
    "<bpmn:targetRef>Property_1</bpmn:targetRef></bpmn:dataInputAssociation></bpmn:userTask>"
    '<bpmn:subProcess id="archive"><bpmn:startEvent id="archive_start" />'
    '<bpmn:subProcess id="deep"><bpmn:startEvent id="deep_start" />'
    '<bpmn:dataObjectReference id="DataObjectReference_deep" dataObjectRef="DataObject_offer" />'
    '<bpmn:scriptTask id="file"><bpmn:dataOutputAssociation id="out_2">'
    "<bpmn:targetRef>DataObjectReference_deep</bpmn:targetRef></bpmn:dataOutputAssociation>"
    "<bpmn:script>filed = True</bpmn:script></bpmn:scriptTask>"
    + flow("d1", "deep_start", "file")
    + "</bpmn:subProcess>"
    + flow("a1", "archive_start", "deep")
    + "</bpmn:subProcess>"
    + '<bpmn:endEvent id="end" />'
    + flow("f1", "start", "price")
    + flow("f2", "price", "approve")
    + flow("f3", "approve", "archive")
    + flow("f4", "archive", "end"),
    '<bpmn:dataStore id="DataStore_crm" name="CRM" />',
)


@COLD
def test_data_objects_and_stores_are_drawn_not_executed_as_in_camunda(make_engine, clock, cold):
    run = Driver(make_engine, clock, cold)
    run.deploy({"data_objects.bpmn": DATA_OBJECTS})
    run.start("data_objects")
    run.complete("approve")
    assert run.status() == "completed"
    data = run.data()
    # The variable the script set stays where the process reads it; no data object holds it.
    assert data["amount"] == 120 and data["filed"] is True
    assert "data_objects" not in data and "DataObject_offer" not in data
    run.verify()


def test_an_association_to_nothing_no_longer_fails_deploy_with_a_python_repr(make_engine, clock):
    """SpiffWorkflow refused it as "Cannot resolve dataOutputAssociation <Element … at 0x…>" (no line);
    drawn-only data elements are not parsed at all now, so the model deploys and runs."""
    run = Driver(make_engine, clock, False)
    model = DATA_OBJECTS.replace(
        "<bpmn:targetRef>DataObjectReference_offer</bpmn:targetRef>",
        "<bpmn:targetRef>Nowhere</bpmn:targetRef>",
    )
    assert "Nowhere" in model
    run.deploy({"data_objects.bpmn": model})
    run.start("data_objects")
    run.complete("approve")
    assert run.status() == "completed"
