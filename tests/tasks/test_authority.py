"""Authority at completion: whoever completes a task must still be allowed to hold it then.

Claiming checks the candidate groups and segregation of duties; an admin may change a person's groups
between their claim and their completion, and a model may name an assignee itself. Completion
checks again, so neither way round the claim-time check works.
"""

from __future__ import annotations

import pytest

from engine.actor import SYSTEM
from engine.errors import PermissionDenied
from engine.tasks.service import TaskQuery
from tests.factories import add_users, deploy_files

CAMUNDA = 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'


def model(task_attrs: str, approval: bool) -> str:
    flag = "true" if approval else "false"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" {CAMUNDA} id="d"
    targetNamespace="http://example.com/approvals">
  <bpmn:process id="held" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="approve" name="Approve" {task_attrs}>
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="approval" value="{flag}" />
      </camunda:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="approve" />
    <bpmn:sequenceFlow id="f2" sourceRef="approve" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


@pytest.fixture
def people(engine):
    return add_users(engine, sam="sales", mia="manager", max="manager", root="admin")


def start(engine, people, task_attrs: str, approval: bool = True):
    deploy_files(engine, {"held.bpmn": model(task_attrs, approval)})
    instance = engine.runtime.start("held", people["sam"], {"amount": 800_000})
    (task,) = engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance.id))
    return instance.id, task


def state(engine, instance_id):
    tasks = engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance_id, status=None))
    events = [e.type for e in engine.history.events(instance_id, SYSTEM)]
    return engine.runtime.get(instance_id, SYSTEM).status, [(t.status, t.assignee) for t in tasks], events


def test_an_assignee_removed_from_the_candidate_group_after_claiming_may_not_complete(engine, people):
    iid, task = start(engine, people, 'camunda:candidateGroups="manager"')
    engine.tasks.claim(task.id, people["mia"])
    engine.identity.set_groups("mia", [], actor=people["root"])
    mia = engine.identity.actor("mia")
    before = state(engine, iid)
    with pytest.raises(PermissionDenied, match="not a candidate for task"):
        engine.tasks.complete(task.id, mia)
    assert state(engine, iid) == before
    # Given the group back, she completes it: the refusal was about her authority, nothing else.
    engine.identity.set_groups("mia", ["manager"], actor=people["root"])
    engine.tasks.complete(task.id, engine.identity.actor("mia"))
    assert engine.runtime.get(iid, SYSTEM).status == "completed"


def test_an_assignee_assigned_by_someone_else_is_checked_at_completion_too(engine, people):
    iid, task = start(engine, people, 'camunda:candidateGroups="manager"')
    engine.tasks.assign(task.id, people["root"], "max")
    engine.identity.set_groups("max", ["sales"], actor=people["root"])
    with pytest.raises(PermissionDenied):
        engine.tasks.complete(task.id, engine.identity.actor("max"))
    assert engine.runtime.get(iid, SYSTEM).status == "running"


def test_a_model_that_assigns_the_requester_an_approval_task_does_not_make_them_an_approver(engine, people):
    # sam is not a candidate: only the model's camunda:assignee gives him the task. Without the
    # segregation check at completion, the requester would approve his own request.
    iid, task = start(engine, people, 'camunda:candidateGroups="manager" camunda:assignee="${initiator}"')
    assert task.assignee == "sam" and task.is_approval
    before = state(engine, iid)
    with pytest.raises(PermissionDenied, match="segregation of duties: sam requested instance"):
        engine.tasks.complete(task.id, people["sam"])
    assert state(engine, iid) == before


def test_a_model_named_assignee_keeps_a_task_that_is_not_an_approval(engine, people):
    # The requester's own rework step: the model names him although he is in no candidate group.
    iid, task = start(
        engine, people, 'camunda:candidateGroups="manager" camunda:assignee="${initiator}"', False
    )
    assert task.assignee == "sam" and not task.is_approval
    engine.tasks.complete(task.id, people["sam"])
    assert engine.runtime.get(iid, SYSTEM).status == "completed"


def test_someone_else_given_a_model_assigned_task_must_be_a_candidate(engine, people):
    # The model named sam; the task was handed to max, who then lost his manager group.
    iid, task = start(
        engine, people, 'camunda:candidateGroups="manager" camunda:assignee="${initiator}"', False
    )
    engine.tasks.assign(task.id, people["root"], "max")
    engine.identity.set_groups("max", ["sales"], actor=people["root"])
    with pytest.raises(PermissionDenied, match="not a candidate"):
        engine.tasks.complete(task.id, engine.identity.actor("max"))
    assert engine.runtime.get(iid, SYSTEM).status == "running"
