"""Approvers write only what their step owns, in every bundled process.

At every approval step of every bundled model, the approver first tries to rewrite the field the
route depends on (the amount, the limit, the price, the budget …) along with their decision: the
completion is refused naming each field, and the process data, the open tasks and the history are
exactly what they were. Then they decide for real, and the route is the one the true value
dictates. The requester's revision steps, which the forms declare may rewrite the request, do.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from engine.errors import DataValidationError
from tests.process_models.conftest import Process, deploy_model
from tests.process_models.test_complaint_handling import FACTS, complaint
from tests.process_models.test_contract_review import contract
from tests.process_models.test_credit_approval import request as credit_request
from tests.process_models.test_price_float import request as price_request
from tests.process_models.test_promotion_campaign import EVALUATION, PLAN, outline
from tests.process_models.test_receivables_review import AGEING, start_one


def process(engine: Any, staff: Any, key: str) -> Process:
    deploy_model(engine, key)
    return Process(engine, key, staff)


def state(p: Process, iid: int) -> tuple[Any, ...]:
    tasks = {(t.element_id, t.assignee, t.status) for t in p.open(iid).values()}
    return p.data(iid), tasks, [(e.type, e.element_id) for e in p.history(iid)]


def refused(p: Process, iid: int, element_id: str, who: str, decision: dict, attack: dict) -> None:
    """``who`` completes ``element_id`` with their decision plus ``attack``: refused, nothing changed."""
    task = p.task(iid, element_id)
    before = state(p, iid)
    with pytest.raises(DataValidationError) as caught:
        p.engine.tasks.complete(task.id, p.staff[who], {**decision, **attack})
    assert {problem.field for problem in caught.value.problems} == set(attack), caught.value
    assert state(p, iid) == before


def approve_after_attack(p: Process, iid: int, element_id: str, who: str, attack: dict, **data: Any) -> None:
    decision = {"decision": "approve", **data}
    refused(p, iid, element_id, who, decision, attack)
    p.complete(iid, element_id, who, **decision)


# --- contract review ------------------------------------------------------------------------------


def test_contract_review_approvers_cannot_rewrite_the_amount(engine, staff):
    p = process(engine, staff, "contract_review")
    # 2,000,000 on a non-standard template: manager, finance, legal, the VP and the GM all approve.
    iid = p.start("sam", contract(2_000_000, standard_template=False))
    attack = {"amount": 1, "standard_template": True}
    approve_after_attack(p, iid, "manager_review", "mona", attack)
    assert set(p.open(iid)) == {"finance_review", "legal_review"}
    approve_after_attack(p, iid, "finance_review", "fay", {**attack, "approval_level": "sales_manager"})
    approve_after_attack(p, iid, "legal_review", "lee", attack)
    approve_after_attack(p, iid, "vp_approval", "vic", {**attack, "lines": []})
    approve_after_attack(p, iid, "gm_approval", "gary", attack)
    refused(p, iid, "record_signing", "asa", {"signed_date": "2026-03-05", "sales_order_no": "SO-1"}, attack)
    p.complete(iid, "record_signing", "asa", signed_date="2026-03-05", sales_order_no="SO-1")
    info = p.info(iid)
    assert (
        info.status == "completed" and info.data["amount"] == 2_000_000 and not info.data["standard_template"]
    )
    done = p.completed_tasks(iid)
    assert [t for t in done if t in ("vp_approval", "gm_approval")] == ["vp_approval", "gm_approval"]


def test_the_credit_department_may_send_only_the_credit_decision(engine, staff):
    p = process(engine, staff, "contract_review")
    iid = p.start("sam", contract(300_000, available_credit=0))
    p.approve(iid, "manager_review", "mona")
    key = p.info(iid).business_key
    before = state(p, iid)
    with pytest.raises(DataValidationError) as caught:
        p.engine.events.correlate_message(
            "credit_decision", key, {"credit_approved": True, "amount": 1, "rejections": 0}, p.staff["cara"]
        )
    assert sorted(problem.field for problem in caught.value.problems) == ["amount", "rejections"]
    assert state(p, iid) == before
    p.engine.events.correlate_message(
        "credit_decision", key, {"credit_approved": True, "credit_note": "XY-1"}, p.staff["cara"]
    )
    assert p.data(iid)["credit_note"] == "XY-1" and p.data(iid)["amount"] == 300_000


def test_the_requesters_revision_may_rewrite_the_request_and_is_routed_anew(engine, staff):
    p = process(engine, staff, "contract_review")
    iid = p.start("sam", contract(100_000))
    p.reject(iid, "manager_review", "mona", "price too low, resubmit at list price")
    # The revision form declares the request fields overwritable: the requester changes the amount.
    p.complete(iid, "revise", "sam", action="resubmit", amount=600_000, revision_note="at list price")
    assert p.data(iid)["amount"] == 600_000
    p.approve(iid, "manager_review", "mona")
    p.approve(iid, "finance_review", "fay")
    assert set(p.open(iid)) == {"vp_approval"}  # 600,000 needs the VP; 100,000 did not


# --- credit approval ------------------------------------------------------------------------------


def test_credit_approval_approvers_cannot_rewrite_the_limit(engine, staff):
    p = process(engine, staff, "credit_approval")
    iid = p.start("sam", credit_request(2_000_000, 90))
    attack = {"requested_limit": 1, "term_days": 1}
    grading = {"grade": "A", "recommended_limit": 10_000_000, "recommended_term_days": 365}
    refused(p, iid, "grade_customer", "cara", grading, attack)
    p.complete(iid, "grade_customer", "cara", **grading)
    proposed = p.data(iid)["proposed_limit"]
    attack = {**attack, "proposed_limit": 1, "approval_level": "sales_manager"}
    approve_after_attack(p, iid, "finance_approval", "fay", attack)
    approve_after_attack(p, iid, "manager_approval", "mona", attack)
    approve_after_attack(p, iid, "vp_approval", "vic", attack)
    approve_after_attack(p, iid, "gm_approval", "gary", attack)
    info = p.info(iid)
    assert info.status == "completed" and info.data["approved_limit"] == proposed == 2_000_000
    assert [t for t in p.completed_tasks(iid) if t.endswith("_approval") and t != "finance_approval"] == [
        "manager_approval",
        "vp_approval",
        "gm_approval",
    ]


# --- price float ----------------------------------------------------------------------------------


def test_price_float_approvers_cannot_rewrite_the_price(engine, staff):
    p = process(engine, staff, "price_float")
    iid = p.start("sam", price_request(96.0))  # 4 %: the sales manager's range
    attack = {"requested_price": 99.0, "authority": "sales_manager", "quantity": 1}
    escalate = {"decision": "escalate", "comment": "strategic customer"}
    refused(p, iid, "approve_manager", "mona", escalate, attack)
    p.complete(iid, "approve_manager", "mona", **escalate)
    refused(p, iid, "approve_vp", "vic", escalate, attack)
    p.complete(iid, "approve_vp", "vic", **escalate)
    approve_after_attack(p, iid, "approve_gm", "gary", attack)
    (grant,) = p.engine.records.list(p.staff["ann"], kind="discount_grant")
    assert grant.data["amount"] == round((100 - 96.0) * 200, 2) and grant.data["quantity"] == 200


# --- promotion campaign ---------------------------------------------------------------------------


def test_promotion_campaign_approvers_cannot_rewrite_the_budget(engine, staff, clock):
    p = process(engine, staff, "promotion_campaign")
    clock.set(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    iid = p.start("pia", outline("regional", 30_000))
    approve_after_attack(p, iid, "approve_outline", "pres", {"budget_estimate": 1, "scope": "local"})
    p.complete(iid, "draft_plan", "pia", **{**PLAN, "budget_activity": 300_000})  # total 320,000
    attack = {"budget_activity": 1, "total_budget": 1, "approver_group": "marketing"}
    approve_after_attack(p, iid, "confirm_sales", "mona", attack)
    approve_after_attack(p, iid, "confirm_marketing", "mark", attack)
    assert p.task(iid, "approve_budget").candidate_groups == ["general_manager"]
    approve_after_attack(p, iid, "approve_budget", "gary", attack)
    clock.set(datetime(2026, 5, 15, 16, 0, tzinfo=UTC))
    p.engine.timers.fire_due()
    p.engine.timers.fire_due()
    p.complete(iid, "write_evaluation", "pia", **EVALUATION)
    attack = {"campaign_sales": 9_999_999, "roi": 99}
    approve_after_attack(p, iid, "confirm_evaluation", "mona", attack)
    approve_after_attack(p, iid, "review_evaluation", "pres", attack)
    (record,) = p.engine.records.list(p.staff["ann"], kind="campaign_evaluation")
    assert (record.data["total_budget"], record.data["campaign_sales"]) == (320_000, 800_000)


# --- complaint handling ---------------------------------------------------------------------------


def test_complaint_handling_approvers_cannot_rewrite_the_allowance(engine, staff):
    p = process(engine, staff, "complaint_handling")
    iid = p.start("cleo", complaint(claim_amount=20_000))
    p.complete(iid, "investigate", "sam", **FACTS)
    qc = {"quality_problem": True, "responsibility": "company", "qc_findings": "bad seal lot"}
    refused(p, iid, "qc_assess", "quinn", qc, {"severity": "minor"})
    p.complete(iid, "qc_assess", "quinn", **qc)
    p.complete(
        iid, "propose_remedy", "sue", remedy="allowance", handling_opinion="allowance", allowance_amount=1200
    )
    attack = {"allowance_amount": 100, "claim_amount": 0, "goods_value": 1_000_000}
    for element_id, who in (
        ("sales_manager_countersign", "mona"),
        ("qc_countersign", "quinn"),
        ("finance_countersign", "fay"),
    ):
        approve_after_attack(p, iid, element_id, who, attack)
    # 12 % of the goods value: the general manager's range (manager escalates, VP escalates).
    assert set(p.open(iid)) == {"allow_gm"}
    approve_after_attack(p, iid, "allow_gm", "gary", {**attack, "authority": "sales_rep"})
    (grant,) = p.engine.records.list(p.staff["ann"], kind="discount_grant")
    assert grant.data["amount"] == 1200
    claim = {"decision": "approve", "settlement_amount": 5_000}
    refused(p, iid, "legal_claim", "lee", claim, attack)
    p.complete(iid, "legal_claim", "lee", **claim)
    assert set(p.open(iid)) == {"inform_customer"} and p.data(iid)["claim_amount"] == 20_000


def test_complaint_allowance_approvers_below_the_top_cannot_rewrite_it_either(engine, staff):
    p = process(engine, staff, "complaint_handling")
    iid = p.start("cleo", complaint())
    p.complete(iid, "investigate", "sam", **FACTS)
    p.complete(iid, "qc_assess", "quinn", quality_problem=True, responsibility="company", qc_findings="seal")
    p.complete(
        iid, "propose_remedy", "sue", remedy="allowance", handling_opinion="allowance", allowance_amount=450
    )
    for element_id, who in (
        ("sales_manager_countersign", "mona"),
        ("qc_countersign", "quinn"),
        ("finance_countersign", "fay"),
    ):
        p.approve(iid, element_id, who)
    attack = {"allowance_amount": 100}
    escalate = {"decision": "escalate", "comment": "VP to decide"}
    refused(p, iid, "allow_manager", "mona", escalate, attack)
    p.complete(iid, "allow_manager", "mona", **escalate)
    approve_after_attack(p, iid, "allow_vp", "vic", attack)
    (grant,) = p.engine.records.list(p.staff["ann"], kind="discount_grant")
    assert grant.data["amount"] == 450


def test_a_countersign_objection_lets_the_handler_rewrite_their_own_opinion(engine, staff):
    p = process(engine, staff, "complaint_handling")
    iid = p.start("cleo", complaint())
    p.complete(iid, "investigate", "sam", **FACTS)
    p.complete(iid, "qc_assess", "quinn", quality_problem=True, responsibility="company", qc_findings="seal")
    p.complete(
        iid, "propose_remedy", "sue", remedy="allowance", handling_opinion="allowance", allowance_amount=450
    )
    p.reject(iid, "sales_manager_countersign", "mona", "offer an exchange")
    p.approve(iid, "qc_countersign", "quinn")
    p.approve(iid, "finance_countersign", "fay")
    # complaint_remedy declares its fields overwritable: the second opinion replaces the first.
    p.complete(iid, "propose_remedy", "sue", remedy="exchange", handling_opinion="exchange the units")
    assert p.data(iid)["remedy"] == "exchange"


# --- receivables review ---------------------------------------------------------------------------


def test_receivables_collection_cannot_rewrite_the_ageing(engine, staff, clock):
    clock.set(datetime(2026, 1, 20, tzinfo=UTC))
    p = process(engine, staff, "receivables_review")
    iid = start_one(p, clock)
    p.complete(iid, "enter_ageing", "cara", as_of="2026-01-31", customers=AGEING)
    measures = [
        {"customer": "Late Co", "collection_measure": "paid after the call", "release_credit": True},
        {"customer": "Lost Co", "collection_measure": "lawyer's letter", "release_credit": True},
    ]
    attack = {"customers": AGEING[:1], "frozen_customers": [], "as_of": "2025-12-31"}
    refused(p, iid, "collection_measures", "cara", {"measures": measures}, attack)
    p.complete(iid, "collection_measures", "cara", measures=measures)
    (record,) = p.engine.records.list(p.staff["ann"], kind="receivables_review")
    assert record.data["as_of"] == "2026-01-31"
