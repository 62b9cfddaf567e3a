"""The path an instance took, as the auditor's diagram shows it, read back from real trails: a
rework loop counted, silent gateways and starts filled in, the branch not taken left out, where it
waits now, and where it is stuck."""

from __future__ import annotations

from engine.actor import SYSTEM
from engine.errors import ApprovalsError
from engine.tasks.service import TaskQuery
from tests.conftest import REPO
from tests.factories import add_users, deploy_files
from tests.process_models.conftest import STAFF, Process, deploy_model
from tests.process_models.test_contract_review import contract
from tests.web.audited import reworked_contract

PANEL = REPO / "tests" / "fixtures" / "models" / "panel" / "panel.bpmn"
FAILING_SCRIPT = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="fragile" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:userTask id="check" name="Check" />
    <bpmn:scriptTask id="compute" name="Compute" scriptFormat="python"><bpmn:script>ratio = 1 / divisor</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check" />
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="compute" />
    <bpmn:sequenceFlow id="f3" sourceRef="compute" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def contracts(engine):
    deploy_model(engine, "contract_review")
    return Process(engine, "contract_review", add_users(engine, **STAFF))


def test_a_rework_loop_is_counted_and_the_branches_not_taken_stay_unmarked(engine):
    contracts(engine)
    iid = reworked_contract(engine)
    path = engine.audit.instance(iid, SYSTEM).path
    # The clock stands still in tests: passes are told apart by the trail, not by time stamps.
    assert path.loops["manager_review"] == 2 and path.loops["finance_review"] == 2
    assert "round_start" not in path.loops and "cs_split" not in path.loops  # the badges are on activities
    assert path.visits["revise"] == 1 and path.visits["record_signing"] == 1
    # silent elements on the way: the start event, the round's merging gateway, the countersign's
    # subprocess, its start and its parallel fork and join
    assert path.visits["submitted"] == 1 and path.visits["round_start"] == 2
    assert all(path.visits[e] == 2 for e in ("countersign", "cs_start", "cs_split", "cs_join"))
    assert (
        path.flows["Flow_all_agree_to_rejected"] == 1 and path.flows["Flow_all_agree_to_approval_level"] == 1
    )
    assert (
        path.flows["Flow_resubmit_to_round_start"] == 1 and path.flows["Flow_round_start_to_start_round"] == 2
    )
    # not taken: the VP, the legal review (a standard template below a million), the credit wait
    for element in ("vp_approval", "gm_approval", "legal_review", "ask_credit", "ended_rejected"):
        assert path.visits[element] == 0, element
    assert (
        "Flow_needs_vp_to_vp_approval" not in path.flows
        and "Flow_legal_needed_to_legal_review" not in path.flows
    )
    assert path.current == [] and path.incidents == []


def test_a_running_instance_stands_at_its_open_task_whose_way_out_is_not_taken_yet(engine):
    p = contracts(engine)
    iid = p.start("sam", contract(200_000))
    p.approve(iid, "manager_review", "mona")
    path = engine.audit.instance(iid, SYSTEM).path
    assert path.current == ["finance_review"]
    assert path.visits["finance_review"] == 1 and "Flow_finance_review_to_finance_verdict" not in path.flows
    assert path.flows["Flow_manager_review_to_manager_ok"] == 1 and path.visits["cs_join"] == 0


def test_the_tasks_of_a_multi_instance_activity_are_one_pass_not_one_per_person(engine):
    deploy_files(engine, {"panel.bpmn": PANEL.read_text()})
    people = add_users(engine, sam="sales_rep", fay="finance")
    iid = engine.runtime.start("panel", people["sam"], {"signers": ["fay", "fred", "flo"]}).id
    path = engine.audit.instance(iid, SYSTEM).path
    assert path.visits["countersign"] == 1 and path.current == ["countersign"] and path.loops == {}
    for task in engine.tasks.list(SYSTEM, TaskQuery(instance_id=iid)):
        engine.tasks.complete(task.id, people["fay"], {"decision": "approve"})
    path = engine.audit.instance(iid, SYSTEM).path
    assert path.visits == {"start": 1, "countersign": 1, "done": 1} and path.flows == {"f1": 1, "f2": 1}


def test_a_step_that_failed_is_an_incident_where_it_failed_while_the_task_stays_current(engine):
    deploy_files(engine, {"fragile.bpmn": FAILING_SCRIPT})
    people = add_users(engine, sam="sales_rep")
    iid = engine.runtime.start("fragile", people["sam"], {"divisor": 0}).id
    task = engine.tasks.list(SYSTEM, TaskQuery(instance_id=iid))[0]
    try:
        engine.tasks.complete(task.id, people["sam"], {})
    except ApprovalsError:
        pass
    else:
        raise AssertionError("the script should have failed")
    path = engine.audit.instance(iid, SYSTEM).path
    assert path.incidents == ["compute"] and path.current == ["check"]
    assert path.visits["compute"] == 0 and "f2" not in path.flows


def test_an_instance_waiting_for_a_message_stands_at_both_catch_events_until_one_comes(engine):
    p = contracts(engine)
    iid = p.start("sam", contract(800_000, available_credit=500_000))
    p.approve(iid, "manager_review", "mona")
    p.approve(iid, "finance_review", "fay")
    path = engine.audit.instance(iid, SYSTEM).path
    assert path.current == ["credit_decided", "credit_timeout"]  # the message, or the timer
    assert path.visits["await_credit"] == 1 and path.visits["credit_verdict"] == 0
    key = p.info(iid).business_key
    engine.events.correlate_message("credit_decision", key, {"credit_approved": True}, p.staff["cara"])
    path = engine.audit.instance(iid, SYSTEM).path
    assert path.current == ["vp_approval"] and path.visits["credit_decided"] == 1
    assert path.visits["credit_timeout"] == 0 and path.flows["Flow_await_credit_to_credit_decided"] == 1
    assert "Flow_await_credit_to_credit_timeout" not in path.flows
