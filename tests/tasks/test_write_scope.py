"""A step writes only the fields it declares, and never replaces a value it was not given to replace.

Each control has its happy case next to the attack; the attacks also check that nothing changed:
the task is still open, no history event was appended, the process data is what it was.
"""

from __future__ import annotations

import json

import pytest

from engine.actor import SYSTEM
from engine.errors import DataValidationError, ModelValidationError
from engine.tasks.service import TaskQuery
from tests.factories import add_users, deploy_files

CAMUNDA = 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'


def bpmn(task_xml: str, *, key: str = "scoped", start_form: str = "") -> str:
    """A process: start (optionally with a form) -> one task given as XML (id "step") -> end."""
    start_attr = f' camunda:formKey="{start_form}"' if start_form else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" {CAMUNDA} id="d"
    targetNamespace="http://example.com/approvals">
  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:startEvent id="start"{start_attr}><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    {task_xml}
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="step" />
    <bpmn:sequenceFlow id="f2" sourceRef="step" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


def user_task(inner: str = "", attrs: str = "") -> str:
    return (
        f'<bpmn:userTask id="step" name="Review" camunda:candidateGroups="manager" {attrs}>{inner}'
        "<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>"
    )


REQUEST_FORM = {
    "type": "object",
    "properties": {"customer": {"type": "string"}, "amount": {"type": "number"}},
}


def review_form(**extra_properties: dict) -> str:
    properties = {
        "decision": {"enum": ["approve", "reject"], "x-overwrite": True},
        "comment": {"type": "string"},
        **extra_properties,
    }
    return json.dumps({"type": "object", "required": ["decision"], "properties": properties})


@pytest.fixture
def people(engine):
    return add_users(engine, sam="sales", mia="manager", root="admin")


def deploy_review(engine, form: str | None = None, inner: str = "") -> None:
    files = {
        "scoped.bpmn": bpmn(
            user_task(inner, 'camunda:formKey="review"' if form else ""), start_form="request"
        )
    }
    files["forms/request.json"] = json.dumps(REQUEST_FORM)
    if form:
        files["forms/review.json"] = form
    deploy_files(engine, files)


def start(engine, people, data=None):
    instance = engine.runtime.start("scoped", people["sam"], data or {"customer": "ACME", "amount": 800_000})
    (task,) = engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance.id))
    return instance.id, task.id


def snapshot(engine, instance_id):
    info = engine.runtime.get(instance_id, SYSTEM)
    events = [e.type for e in engine.history.events(instance_id, SYSTEM)]
    tasks = [
        (t.id, t.status, t.assignee)
        for t in engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance_id, status=None))
    ]
    return info.status, info.data, events, tasks


def refused(engine, instance_id, task_id, actor, data) -> list[str]:
    """Complete with ``data``, expect the refusal, check nothing changed; return the fields named."""
    before = snapshot(engine, instance_id)
    with pytest.raises(DataValidationError) as caught:
        engine.tasks.complete(task_id, actor, data)
    assert snapshot(engine, instance_id) == before
    return [p.field for p in caught.value.problems]


# --- forms: declared fields only ------------------------------------------------------------------


def test_a_field_the_form_does_not_declare_is_refused_and_nothing_changes(engine, people):
    deploy_review(engine, review_form())
    iid, tid = start(engine, people)
    fields = refused(engine, iid, tid, people["mia"], {"decision": "approve", "amount": 1, "vip": True})
    assert fields == ["amount", "vip"]
    engine.tasks.complete(tid, people["mia"], {"decision": "approve", "comment": "fine"})
    info = engine.runtime.get(iid, SYSTEM)
    assert (
        info.status == "completed" and info.data["amount"] == 800_000 and info.data["decision"] == "approve"
    )


def test_the_refusal_names_the_field_and_what_declares_the_step(engine, people):
    deploy_review(engine, review_form())
    _, tid = start(engine, people)
    with pytest.raises(DataValidationError) as caught:
        engine.tasks.complete(tid, people["mia"], {"decision": "approve", "amount": 1})
    (problem,) = caught.value.problems
    assert problem.field == "amount"
    assert "form 'review'" in problem.message and "comment, decision" in problem.message


def test_a_form_that_allows_additional_properties_still_writes_only_its_own(engine, people):
    loose = json.loads(review_form())
    loose["additionalProperties"] = True
    deploy_review(engine, json.dumps(loose))
    iid, tid = start(engine, people)
    assert refused(engine, iid, tid, people["mia"], {"decision": "approve", "approval_level": "none"}) == [
        "approval_level"
    ]


# --- forms: request fields stay the requester's ---------------------------------------------------


def test_a_declared_field_may_not_replace_a_value_the_request_set(engine, people):
    deploy_review(engine, review_form(amount={"type": "number"}))
    iid, tid = start(engine, people)
    assert refused(engine, iid, tid, people["mia"], {"decision": "approve", "amount": 1}) == ["amount"]
    # Resubmitting the value already held changes nothing, so it passes.
    engine.tasks.complete(tid, people["mia"], {"decision": "approve", "amount": 800_000})
    assert engine.runtime.get(iid, SYSTEM).data["amount"] == 800_000


def test_a_declared_field_may_fill_a_value_nobody_set(engine, people):
    deploy_review(engine, review_form(amount={"type": "number"}))
    iid, tid = start(engine, people, {"customer": "ACME"})
    engine.tasks.complete(tid, people["mia"], {"decision": "approve", "amount": 5})
    assert engine.runtime.get(iid, SYSTEM).data["amount"] == 5


def test_x_overwrite_lets_the_model_say_a_step_rewrites_a_field(engine, people):
    deploy_review(engine, review_form(amount={"type": "number", "x-overwrite": True}))
    iid, tid = start(engine, people)
    engine.tasks.complete(tid, people["mia"], {"decision": "approve", "amount": 1})
    assert engine.runtime.get(iid, SYSTEM).data["amount"] == 1


def test_x_overwrite_must_be_a_boolean(engine):
    with pytest.raises(ModelValidationError) as caught:
        deploy_review(engine, review_form(amount={"type": "number", "x-overwrite": "yes"}))
    assert [(p.file, p.field) for p in caught.value.problems] == [("forms/review.json", "amount")]


# --- tasks without a form -------------------------------------------------------------------------


def test_a_task_that_declares_nothing_writes_nothing(engine, people):
    deploy_review(engine)
    iid, tid = start(engine, people)
    assert refused(engine, iid, tid, people["mia"], {"approved": True}) == ["approved"]
    engine.tasks.complete(tid, people["mia"], {})
    assert engine.runtime.get(iid, SYSTEM).status == "completed"


FORM_DATA = (
    "<bpmn:extensionElements><camunda:formData>"
    '<camunda:formField id="approved" type="boolean" />'
    '<camunda:formField id="level" type="enum"><camunda:value id="low" /><camunda:value id="high" />'
    "</camunda:formField>"
    '<camunda:formField id="customer" type="string"><camunda:properties>'
    '<camunda:property id="overwrite" value="true" /></camunda:properties></camunda:formField>'
    '<camunda:formField id="amount" type="long" />'
    "</camunda:formData></bpmn:extensionElements>"
)


def test_camunda_form_data_declares_what_a_task_without_a_form_writes(engine, people):
    deploy_review(engine, inner=FORM_DATA)
    iid, tid = start(engine, people)
    assert refused(engine, iid, tid, people["mia"], {"approved": True, "vip": 1}) == ["vip"]
    assert refused(engine, iid, tid, people["mia"], {"approved": True, "amount": 1}) == ["amount"]
    assert refused(engine, iid, tid, people["mia"], {"approved": "yes", "level": "max"}) == [
        "approved",
        "level",
    ]
    engine.tasks.complete(tid, people["mia"], {"approved": True, "level": "high", "customer": "ACME Ltd"})
    data = engine.runtime.get(iid, SYSTEM).data
    assert (data["approved"], data["level"], data["customer"], data["amount"]) == (
        True,
        "high",
        "ACME Ltd",
        800_000,
    )


# --- messages and signals -------------------------------------------------------------------------

MESSAGE_MODEL = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" {CAMUNDA} id="d"
    targetNamespace="http://example.com/approvals">
  <bpmn:message id="m" name="credit_decision" />
  <bpmn:message id="s" name="new_request" />
  <bpmn:signal id="g" name="recall" />
  <bpmn:process id="waiting" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:eventBasedGateway id="wait"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f3</bpmn:outgoing></bpmn:eventBasedGateway>
    <bpmn:intermediateCatchEvent id="decided">
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="correlationKey" value="contract_no" />
        <camunda:property name="payload" value="credit_approved, credit_note" />
      </camunda:properties></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:messageEventDefinition id="md" messageRef="m" />
    </bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="recalled">
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>
      <bpmn:signalEventDefinition id="sd" signalRef="g" />
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="e1"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="e2"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="decided" />
    <bpmn:sequenceFlow id="f3" sourceRef="wait" targetRef="recalled" />
    <bpmn:sequenceFlow id="f4" sourceRef="decided" targetRef="e1" />
    <bpmn:sequenceFlow id="f5" sourceRef="recalled" targetRef="e2" />
  </bpmn:process>
</bpmn:definitions>"""

STARTED_BY_MESSAGE = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" {CAMUNDA} id="d2"
    targetNamespace="http://example.com/approvals">
  <bpmn:message id="s" name="new_request" />
  <bpmn:process id="intake_scoped" isExecutable="true">
    <bpmn:startEvent id="received">
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="payload" value="customer" />
      </camunda:properties></bpmn:extensionElements>
      <bpmn:outgoing>f1</bpmn:outgoing><bpmn:messageEventDefinition id="sm" messageRef="s" />
    </bpmn:startEvent>
    {user_task()}
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="received" targetRef="step" />
    <bpmn:sequenceFlow id="f2" sourceRef="step" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


def waiting_instance(engine, people):
    deploy_files(engine, {"waiting.bpmn": MESSAGE_MODEL})
    return engine.runtime.start("waiting", people["sam"], {"contract_no": "HT-1", "amount": 800_000}).id


def test_a_message_field_its_event_does_not_declare_is_refused_and_nothing_changes(engine, people):
    iid = waiting_instance(engine, people)
    before = snapshot(engine, iid)
    with pytest.raises(DataValidationError) as caught:
        engine.events.correlate_message(
            "credit_decision", "HT-1", {"credit_approved": True, "amount": 1}, people["root"]
        )
    assert [p.field for p in caught.value.problems] == ["amount"]
    assert "event 'decided'" in caught.value.problems[0].message
    assert snapshot(engine, iid) == before
    engine.events.correlate_message(
        "credit_decision", "HT-1", {"credit_approved": True, "credit_note": "XY-7"}, people["root"]
    )
    info = engine.runtime.get(iid, SYSTEM)
    assert (
        info.status == "completed" and info.data["amount"] == 800_000 and info.data["credit_note"] == "XY-7"
    )


def test_a_signal_to_an_event_that_declares_no_payload_may_carry_none(engine, people):
    iid = waiting_instance(engine, people)
    before = snapshot(engine, iid)
    report = engine.events.broadcast_signal("recall", {"amount": 1}, people["root"])
    assert report.delivered == [] and "amount" in report.failed[iid]
    assert snapshot(engine, iid) == before
    assert [
        d.instance_id for d in engine.events.broadcast_signal("recall", {}, people["root"]).delivered
    ] == [iid]
    assert engine.runtime.get(iid, SYSTEM).data["amount"] == 800_000


def test_a_message_that_starts_an_instance_carries_only_its_declared_fields(engine, people):
    deploy_files(engine, {"intake_scoped.bpmn": STARTED_BY_MESSAGE})
    with pytest.raises(DataValidationError) as caught:
        engine.events.correlate_message(
            "new_request", "C-1", {"customer": "ACME", "rejections": -9}, people["root"]
        )
    assert [p.field for p in caught.value.problems] == ["rejections"]
    assert engine.runtime.list(SYSTEM) == []
    delivery = engine.events.correlate_message("new_request", "C-1", {"customer": "ACME"}, people["root"])
    assert delivery.started and engine.runtime.get(delivery.instance_id, SYSTEM).data["customer"] == "ACME"
    assert [i.id for i in engine.runtime.list(SYSTEM)] == [delivery.instance_id]


def signal_model(key: str, start: bool, payload: str) -> str:
    """A process that starts on signal ``recall_all`` (or waits for it after its start), then has a task."""
    props = (
        '<bpmn:extensionElements><camunda:properties><camunda:property name="payload" value="'
        + payload
        + '" /></camunda:properties></bpmn:extensionElements>'
    )
    signal = '<bpmn:signalEventDefinition id="sd" signalRef="g" />'
    if start:
        events = f'<bpmn:startEvent id="s">{props}<bpmn:outgoing>f1</bpmn:outgoing>{signal}</bpmn:startEvent>'
    else:
        events = f"""<bpmn:startEvent id="s0"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="s">{props}<bpmn:incoming>f0</bpmn:incoming>
      <bpmn:outgoing>f1</bpmn:outgoing>{signal}</bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="s0" targetRef="s" />"""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" {CAMUNDA} id="d_{key}"
    targetNamespace="http://example.com/approvals">
  <bpmn:signal id="g" name="recall_all" />
  <bpmn:process id="{key}" isExecutable="true">
    {events}
    {user_task()}
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="step" />
    <bpmn:sequenceFlow id="f2" sourceRef="step" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


def test_a_signal_a_starting_model_refuses_reaches_nobody(engine, people):
    deploy_files(engine, {"catcher.bpmn": signal_model("catcher", False, "batch, extra")})
    deploy_files(engine, {"starter.bpmn": signal_model("starter", True, "batch")})
    waiting = engine.runtime.start("catcher", people["sam"]).id
    before = snapshot(engine, waiting)
    with pytest.raises(DataValidationError) as caught:
        engine.events.broadcast_signal("recall_all", {"batch": "B7", "extra": 1}, people["root"])
    assert [p.field for p in caught.value.problems] == ["extra"]
    assert snapshot(engine, waiting) == before
    assert [i.model_key for i in engine.runtime.list(SYSTEM)] == ["catcher"]
    report = engine.events.broadcast_signal("recall_all", {"batch": "B7"}, people["root"])
    assert sorted(d.started for d in report.delivered) == [False, True]
    assert engine.runtime.get(waiting, SYSTEM).data["batch"] == "B7"
