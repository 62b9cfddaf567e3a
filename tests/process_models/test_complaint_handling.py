"""Complaint handling 客户投诉处理: SLAs, responsibility, countersign, remedies, allowances, claims,
the customer's confirmation, and the two versions of the model."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.actor import SYSTEM
from engine.errors import NotFound, PermissionDenied
from tests.process_models.conftest import MODELS_DIR, Process, deploy_model

FACTS = {
    "facts": "seal broken on 40 units",
    "customer_contacted": True,
    "quantity_affected": 40,
    "goods_value": 10_000,
}
ALLOWANCE_LEVELS = {"sales_manager": "allow_manager", "sales_vp": "allow_vp", "general_manager": "allow_gm"}
APPROVER = {"allow_manager": "mona", "allow_vp": "vic", "allow_gm": "gary"}


@pytest.fixture
def p(engine, staff):
    deploy_model(engine, "complaint_handling")
    return Process(engine, "complaint_handling", staff)


def complaint(severity="major", claim_amount=0, **changes):
    data = {
        "customer": "ACME Trading",
        "channel": "phone",
        "product": "P-100",
        "batch": "B-2026-03",
        "description": "leaking seals",
        "severity": severity,
        "claim_amount": claim_amount,
    }
    data.update(changes)
    return data


def investigate(p, iid, responsibility="company"):
    p.complete(iid, "investigate", "sam", **FACTS)
    p.complete(
        iid,
        "qc_assess",
        "quinn",
        quality_problem=True,
        responsibility=responsibility,
        qc_findings="bad seal lot",
    )


def propose(p, iid, remedy="exchange", amount=None):
    data = {"remedy": remedy, "handling_opinion": f"{remedy} for the affected units"}
    if amount is not None:
        data["allowance_amount"] = amount
    p.complete(iid, "propose_remedy", "sue", **data)


def countersign(p, iid):
    asked = {t for t in p.open(iid) if t.endswith("_countersign")}
    for element_id, who in (
        ("sales_manager_countersign", "mona"),
        ("qc_countersign", "quinn"),
        ("finance_countersign", "fay"),
    ):
        if element_id in asked:
            p.approve(iid, element_id, who)
    return asked


def inform_and_confirm(p, iid):
    p.complete(iid, "inform_customer", "cleo", result_summary="replacement shipped", informed_via="phone")
    key = p.info(iid).business_key
    p.engine.events.correlate_message(
        "customer_confirmed", key, {"customer_feedback": "fine now"}, p.staff["cleo"]
    )
    p.complete(iid, "record_satisfaction", "cleo", satisfaction=4)


def test_a_complaint_is_numbered_and_its_slas_come_from_the_table(p, clock):
    first = p.start("cleo", complaint("critical"))
    second = p.start("sam", complaint("minor"))
    third = p.start("cleo", complaint("major"))
    assert [p.info(i).business_key for i in (first, second, third)] == [
        "TS-2026-000001",
        "TS-2026-000002",
        "TS-2026-000003",
    ]
    assert p.data(first)["complaint_no"] == "TS-2026-000001"
    for iid, ack, resolve in (
        (first, timedelta(hours=4), timedelta(days=2)),
        (second, timedelta(days=2), timedelta(days=10)),
        (third, timedelta(days=1), timedelta(days=5)),
    ):
        assert p.task(iid, "investigate").due_at == clock.now() + ack
        timers = {t.element_id: t.due_at for t in p.engine.timers.list(SYSTEM, instance_id=iid)}
        assert timers == {"acknowledge_overdue": clock.now() + ack, "resolve_overdue": clock.now() + resolve}
    with pytest.raises(PermissionDenied):
        p.start("quinn", complaint())


def test_customer_responsibility_needs_no_remedy(p):
    iid = p.start("cleo", complaint())
    investigate(p, iid, responsibility="customer")
    assert set(p.open(iid)) == {"inform_customer"}
    inform_and_confirm(p, iid)
    info = p.info(iid)
    assert (
        info.status == "completed"
        and info.data["outcome"] == "closed"
        and info.data["customer_confirmed"] is True
    )
    assert info.data["satisfaction"] == 4 and info.data["customer_feedback"] == "fine now"


def test_an_exchange_is_countersigned_without_finance_and_handled_by_the_warehouse(p):
    iid = p.start("cleo", complaint())
    investigate(p, iid)
    propose(p, iid, "exchange")
    assert countersign(p, iid) == {"sales_manager_countersign", "qc_countersign"}
    p.complete(iid, "goods_handling", "wes", goods_received=True, replacement_shipped=True)
    inform_and_confirm(p, iid)
    assert p.status(iid) == "completed"
    assert p.engine.records.list(p.staff["ann"], kind="discount_grant") == []


def test_a_countersign_objection_sends_the_opinion_back(p):
    iid = p.start("cleo", complaint())
    investigate(p, iid)
    propose(p, iid, "return")
    p.approve(iid, "sales_manager_countersign", "mona")
    p.reject(iid, "qc_countersign", "quinn", "exchange is enough")
    assert set(p.open(iid)) == {"propose_remedy"}
    assert p.data(iid)["remedy_notes"] == ["qc: exchange is enough"]
    propose(p, iid, "exchange")
    assert countersign(p, iid) == {"sales_manager_countersign", "qc_countersign"}
    assert set(p.open(iid)) == {"goods_handling"}


@pytest.mark.parametrize(
    ("amount", "level"),
    [
        (300, "sales_rep"),
        (301, "sales_manager"),
        (500, "sales_manager"),
        (1000, "sales_vp"),
        (1500, "general_manager"),
    ],
)
def test_an_allowance_needs_price_float_authority_and_is_filed(p, amount, level):
    iid = p.start("cleo", complaint())
    investigate(p, iid)
    propose(p, iid, "allowance", amount)
    assert countersign(p, iid) == {"sales_manager_countersign", "qc_countersign", "finance_countersign"}
    data = p.data(iid)
    assert data["deviation_pct"] == amount / 100 and data["authority"] == level
    if level != "sales_rep":
        assert set(p.open(iid)) == {ALLOWANCE_LEVELS[level]}
        p.approve(iid, ALLOWANCE_LEVELS[level], APPROVER[ALLOWANCE_LEVELS[level]])
    assert set(p.open(iid)) == {"inform_customer"}
    (grant,) = p.engine.records.list(p.staff["ann"], kind="discount_grant")
    assert grant.data == {
        "amount": amount,
        "quantity": 40,
        "reason": "complaint TS-2026-000001: allowance for the affected units",
        "recipient": "ACME Trading",
    }
    assert grant.model_key == "complaint_handling" and grant.element_id == "grant_allowance"


def test_an_allowance_beyond_every_authority_goes_back_to_the_handling_opinion(p):
    iid = p.start("cleo", complaint())
    investigate(p, iid)
    propose(p, iid, "allowance", 1501)
    countersign(p, iid)
    assert set(p.open(iid)) == {"propose_remedy"}
    assert p.data(iid)["remedy_notes"] == ["allowance of 15.01 % is beyond every authority (price_authority)"]


def test_allowance_approvers_escalate_or_refuse(p):
    iid = p.start("cleo", complaint())
    investigate(p, iid)
    propose(p, iid, "allowance", 450)
    countersign(p, iid)
    p.complete(iid, "allow_manager", "mona", decision="escalate", comment="repeat customer, VP to decide")
    p.reject(iid, "allow_vp", "vic", "offer an exchange instead")
    assert set(p.open(iid)) == {"propose_remedy"}
    data = p.data(iid)
    assert data["remedy_notes"] == ["offer an exchange instead"]
    assert data["escalations"] == [{"from": "sales_manager", "why": "repeat customer, VP to decide"}]
    assert p.engine.records.list(p.staff["ann"], kind="discount_grant") == []


def test_a_claim_goes_to_legal_and_involves_finance(p):
    iid = p.start("cleo", complaint(claim_amount=20_000))
    investigate(p, iid)
    propose(p, iid, "exchange")
    assert countersign(p, iid) == {"sales_manager_countersign", "qc_countersign", "finance_countersign"}
    p.complete(iid, "goods_handling", "wes", goods_received=True)
    assert set(p.open(iid)) == {"legal_claim"}
    task = p.task(iid, "legal_claim")
    assert task.is_approval
    with pytest.raises(Exception, match="settlement_amount"):
        p.engine.tasks.complete(task.id, p.staff["lee"], {"decision": "approve"})
    p.approve(iid, "legal_claim", "lee", settlement_amount=5_000)
    assert set(p.open(iid)) == {"inform_customer"}


def test_without_an_answer_the_complaint_closes_after_seven_days(p, clock):
    iid = p.start("cleo", complaint("minor"))
    investigate(p, iid, responsibility="carrier")
    p.complete(iid, "inform_customer", "cleo", result_summary="carrier liable", informed_via="email")
    with pytest.raises(NotFound):
        p.engine.events.correlate_message("customer_confirmed", "TS-2026-999999", {}, p.staff["cleo"])
    with pytest.raises(PermissionDenied, match="customer_service"):
        p.engine.events.correlate_message("customer_confirmed", p.info(iid).business_key, {}, p.staff["sam"])
    clock.advance(timedelta(days=7, minutes=1))
    p.engine.timers.fire_due()
    info = p.info(iid)
    assert (
        info.status == "completed"
        and info.data["outcome"] == "closed"
        and info.data["customer_confirmed"] is False
    )
    assert "satisfaction" not in info.data


def test_overdue_complaints_escalate_to_the_sales_manager_then_the_general_manager(p, clock):
    iid = p.start("cleo", complaint("critical"))
    investigate_task = p.task(iid, "investigate")
    p.engine.tasks.claim(investigate_task.id, p.staff["sam"])
    clock.advance(timedelta(hours=4, minutes=1))
    p.engine.timers.fire_due()
    investigate_task = p.task(iid, "investigate")
    assert (
        set(investigate_task.candidate_groups) == {"sales_rep", "sales_manager"}
        and investigate_task.assignee is None
    )
    assert [e.element_id for e in p.history(iid, "task_reminder")] == ["investigate"]
    p.complete(iid, "investigate", "mona", **FACTS)  # the sales manager takes it over
    clock.advance(timedelta(days=2))
    p.engine.timers.fire_due()
    assert set(p.open(iid)) == {"qc_assess", "gm_intervene"}
    p.complete(iid, "gm_intervene", "gary", instruction="resolve today, exchange at our cost")
    p.complete(
        iid, "qc_assess", "quinn", quality_problem=False, responsibility="customer", qc_findings="misuse"
    )
    inform_and_confirm(p, iid)
    assert p.status(iid) == "completed"


def test_closing_the_complaint_ends_an_open_escalation(p, clock):
    iid = p.start("cleo", complaint("critical"))
    investigate(p, iid, responsibility="customer")
    clock.advance(timedelta(days=2, minutes=1))
    p.engine.timers.fire_due()
    assert set(p.open(iid)) == {"inform_customer", "gm_intervene"}
    inform_and_confirm(p, iid)
    assert p.status(iid) == "completed" and p.open(iid) == {}
    assert [e.element_id for e in p.history(iid, "task_cancelled")] == ["gm_intervene"]


def test_the_registrant_approves_nothing_of_their_own_complaint(p):
    iid = p.start("boss", complaint(claim_amount=100))
    p.complete(iid, "investigate", "sam", **FACTS)
    p.complete(iid, "qc_assess", "quinn", quality_problem=True, responsibility="company", qc_findings="bad")
    propose(p, iid, "allowance", 450)
    for element_id in ("sales_manager_countersign", "qc_countersign", "finance_countersign"):
        with pytest.raises(PermissionDenied, match="segregation of duties"):
            p.engine.tasks.claim(p.task(iid, element_id).id, p.staff["boss"])
    countersign(p, iid)
    with pytest.raises(PermissionDenied, match="segregation of duties"):
        p.engine.tasks.complete(p.task(iid, "allow_manager").id, p.staff["boss"], {"decision": "approve"})
    p.approve(iid, "allow_manager", "milo")
    with pytest.raises(PermissionDenied, match="segregation of duties"):
        p.engine.tasks.claim(p.task(iid, "legal_claim").id, p.staff["boss"])


def test_running_complaints_finish_on_version_1_while_new_ones_take_version_2(engine, staff):
    """v1 had no claim branch; v2 sends claims to legal. An instance keeps the version it started on."""
    current = engine.repository.bundles_from_paths([MODELS_DIR / "complaint_handling"])[0]
    files = dict(current.files)
    files["complaint_handling.bpmn"] = (
        MODELS_DIR / "complaint_handling" / "versions" / "1" / "complaint_handling.bpmn"
    ).read_bytes()
    del files["forms/complaint_claim.json"]  # v1 had no claim form
    v1 = engine.repository.deploy(
        [engine.repository.bundle_from_files(files, "complaint_handling v1")], SYSTEM, strict=True
    )[0]
    assert v1.version.version == 1
    p = Process(engine, "complaint_handling", staff)
    old = p.start("cleo", complaint(claim_amount=20_000))
    assert p.info(old).model_version == 1
    v2 = deploy_model(engine, "complaint_handling")
    assert v2.created and v2.version.version == 2
    assert deploy_model(engine, "complaint_handling").created is False  # unchanged: no new version
    new = p.start("cleo", complaint(claim_amount=20_000))
    assert p.info(new).model_version == 2
    for iid in (old, new):
        investigate(p, iid, responsibility="customer")
    assert set(p.open(old)) == {"inform_customer"}  # version 1: no legal step
    assert set(p.open(new)) == {"legal_claim"}
    inform_and_confirm(p, old)
    assert p.info(old).status == "completed" and p.info(old).model_version == 1
    assert "legal_claim" not in p.completed_tasks(old)
