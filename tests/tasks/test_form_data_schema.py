"""camunda:formData becomes a JSON Schema form at deploy: the task (and start) view shows it like a form
file's, completing with a wrong type, a missing required field, a too long text, a value outside an
enum or a write to a read-only field is refused naming the field (422 over HTTP), and what cannot be
turned into a schema (a custom type, a bad defaultValue, an unknown constraint) is refused at deploy."""

from __future__ import annotations

import pytest

from engine.actor import SYSTEM
from engine.errors import DataValidationError, ModelValidationError
from engine.tasks.service import TaskQuery
from tests.factories import add_users, deploy_files

CAMUNDA = 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'

FIELDS = """
  <camunda:formField id="customer" label="Customer" type="string">
    <camunda:properties><camunda:property id="overwrite" value="true" /></camunda:properties>
    <camunda:validation><camunda:constraint name="readonly" /></camunda:validation>
  </camunda:formField>
  <camunda:formField id="comment" label="Comment" type="string" defaultValue="ok">
    <camunda:validation>
      <camunda:constraint name="minlength" config="2" /><camunda:constraint name="maxlength" config="20" />
    </camunda:validation>
  </camunda:formField>
  <camunda:formField id="seats" label="Seats" type="long" defaultValue="2">
    <camunda:validation>
      <camunda:constraint name="required" />
      <camunda:constraint name="min" config="1" /><camunda:constraint name="max" config="50" />
    </camunda:validation>
  </camunda:formField>
  <camunda:formField id="approved" label="Approved?" type="boolean" defaultValue="false" />
  <camunda:formField id="starts_on" label="Starts on" type="date" />
  <camunda:formField id="level" label="Level" type="enum" defaultValue="low">
    <camunda:value id="low" name="Low risk" /><camunda:value id="high" name="High risk" />
  </camunda:formField>"""

START_FIELDS = """
  <camunda:formField id="customer" label="Customer" type="string">
    <camunda:validation><camunda:constraint name="required" /><camunda:constraint name="maxlength" config="10" />
    </camunda:validation>
  </camunda:formField>"""


def model(task_fields: str = FIELDS, start_fields: str = START_FIELDS) -> str:
    def form_data(fields: str) -> str:
        return (
            f"<bpmn:extensionElements><camunda:formData>{fields}</camunda:formData></bpmn:extensionElements>"
        )

    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" {CAMUNDA} id="d"
    targetNamespace="http://example.com/approvals">
  <bpmn:process id="booking" isExecutable="true">
    <bpmn:startEvent id="start">{form_data(start_fields)}<bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="review" name="Review the booking" camunda:candidateGroups="manager">
      {form_data(task_fields)}
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review" />
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


@pytest.fixture
def people(engine):
    deploy_files(engine, {"booking.bpmn": model()})
    return add_users(engine, sam="sales", mia="manager")


def open_review(engine, people, customer="ACME"):
    instance = engine.runtime.start("booking", people["sam"], {"customer": customer})
    (task,) = engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance.id))
    return instance, task


def refused(engine, task, actor, data) -> dict[str, str]:
    with pytest.raises(DataValidationError) as err:
        engine.tasks.complete(task.id, actor, data)
    return {p.field: p.message for p in err.value.problems}


def test_the_task_view_shows_the_form_data_as_a_json_schema(engine, people):
    _, task = open_review(engine, people)
    form = engine.tasks.get(task.id, people["mia"]).form
    assert form["x-source"] == "camunda:formData" and form["required"] == ["seats"]
    assert form["x-order"] == ["customer", "comment", "seats", "approved", "starts_on", "level"]
    props = form["properties"]
    assert props["customer"] == {"type": "string", "title": "Customer", "x-overwrite": True, "readOnly": True}
    assert props["comment"] == {
        "type": "string",
        "title": "Comment",
        "minLength": 2,
        "maxLength": 20,
        "default": "ok",
    }
    assert props["seats"] == {"type": "integer", "title": "Seats", "minimum": 1, "maximum": 50, "default": 2}
    assert props["approved"] == {"type": "boolean", "title": "Approved?", "default": False}
    assert props["starts_on"]["format"] == "date" and props["starts_on"]["type"] == "string"
    assert props["level"]["enum"] == ["low", "high"] and props["level"]["default"] == "low"
    assert props["level"]["x-enum-titles"] == ["Low risk", "High risk"]


def test_a_valid_submission_completes_the_task(engine, people):
    instance, task = open_review(engine, people)
    data = {"comment": "fine", "seats": 3, "approved": True, "starts_on": "2026-04-01", "level": "high"}
    engine.tasks.complete(task.id, people["mia"], data)
    done = engine.runtime.get(instance.id, SYSTEM)
    assert done.status == "completed" and {k: done.data[k] for k in data} == data


def test_wrong_types_missing_required_too_long_and_unlisted_values_are_refused_naming_the_field(
    engine, people
):
    instance, task = open_review(engine, people)
    assert refused(engine, task, people["mia"], {"seats": "3"}) == {"seats": "'3' is not of type 'integer'"}
    assert refused(engine, task, people["mia"], {"comment": "x" * 21, "seats": 1}).keys() == {"comment"}
    assert refused(engine, task, people["mia"], {"comment": 5, "seats": 1}).keys() == {"comment"}
    assert refused(engine, task, people["mia"], {"comment": "ok"}) == {"seats": "is required"}
    assert refused(engine, task, people["mia"], {"seats": 0, "approved": "yes"}).keys() == {
        "seats",
        "approved",
    }
    assert refused(engine, task, people["mia"], {"seats": 1, "level": "max"}) == {
        "level": 'must be one of "low", "high"'
    }
    assert refused(engine, task, people["mia"], {"seats": 1, "starts_on": "01/04/2026"}).keys() == {
        "starts_on"
    }
    assert refused(engine, task, people["mia"], {"seats": True}).keys() == {"seats"}
    read_only = refused(engine, task, people["mia"], {"seats": 1, "customer": "Evil Corp"})
    assert read_only.keys() == {"customer"} and "read-only" in read_only["customer"]
    assert engine.runtime.get(instance.id, SYSTEM).data.keys() == {"customer", "business_key", "initiator"}
    assert engine.tasks.get(task.id, people["mia"]).task.status == "open"


def test_the_start_event_form_data_is_the_start_form(engine, people):
    with pytest.raises(DataValidationError) as err:
        engine.runtime.start("booking", people["sam"], {"customer": "A very long customer name"})
    assert [p.field for p in err.value.problems] == ["customer"]
    with pytest.raises(DataValidationError) as err:
        engine.runtime.start("booking", people["sam"], {})
    assert [(p.field, p.message) for p in err.value.problems] == [("customer", "is required")]
    with pytest.raises(DataValidationError):
        engine.runtime.start("booking", people["sam"], {"customer": "ACME", "seats": 5})  # not its field


@pytest.mark.parametrize(
    ("field_xml", "message"),
    [
        ('<camunda:formField id="color" type="color" />', "field 'color': type 'color' is not supported"),
        (
            '<camunda:formField id="n" type="long" defaultValue="many" />',
            "defaultValue 'many' is not a whole number",
        ),
        (
            '<camunda:formField id="b" type="boolean" defaultValue="yes" />',
            "defaultValue 'yes' is not true or false",
        ),
        (
            '<camunda:formField id="l" type="enum" defaultValue="mid"><camunda:value id="low" /></camunda:formField>',
            "defaultValue 'mid' is not one of low",
        ),
        (
            '<camunda:formField id="d" type="date" defaultValue="31/03/2026" />',
            "defaultValue '31/03/2026' does not fit",
        ),
        (
            '<camunda:formField id="s" type="string" defaultValue="toolong"><camunda:validation>'
            '<camunda:constraint name="maxlength" config="3" /></camunda:validation></camunda:formField>',
            "defaultValue 'toolong' does not fit the field",
        ),
        (
            '<camunda:formField id="s" type="string"><camunda:validation>'
            '<camunda:constraint name="validator" config="com.acme.Check" /></camunda:validation></camunda:formField>',
            "constraint 'validator' is not supported",
        ),
        (
            '<camunda:formField id="n" type="long"><camunda:validation>'
            '<camunda:constraint name="maxlength" config="3" /></camunda:validation></camunda:formField>',
            "constraint 'maxlength' applies to text fields",
        ),
        (
            '<camunda:formField id="s" type="string"><camunda:validation>'
            '<camunda:constraint name="maxlength" config="lots" /></camunda:validation></camunda:formField>',
            "needs a whole number",
        ),
        ('<camunda:formField id="e" type="enum" />', "an enum needs camunda:value entries"),
        (
            '<camunda:formField id="x" type="string" /><camunda:formField id="x" type="long" />',
            "declared twice",
        ),
    ],
)
def test_form_data_that_cannot_be_a_schema_is_refused_at_deploy_naming_the_field(engine, field_xml, message):
    with pytest.raises(ModelValidationError) as err:
        deploy_files(engine, {"booking.bpmn": model(task_fields=field_xml)})
    (problem,) = err.value.problems
    assert message in problem.message
    assert (
        problem.element_id == "review" and problem.line and problem.field and problem.file == "booking.bpmn"
    )
