"""Contract review 合同评审: authority by amount, countersign, credit wait, rework, SLA timers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import DataValidationError, InvalidInput, NotFound, PermissionDenied
from tests.process_models.conftest import Process, deploy_model

COUNTERSIGN = {"finance_review", "legal_review"}


@pytest.fixture
def p(engine, staff):
    deploy_model(engine, "contract_review")
    return Process(engine, "contract_review", staff)


def contract(amount=100_000, **changes):
    data = {
        "customer": "ACME Trading",
        "customer_type": "existing",
        "amount": amount,
        "lines": [{"product": "P-100", "quantity": 10, "unit_price": amount / 10, "base_price": amount / 10}],
        "payment_term_days": 30,
        "delivery_date": "2026-04-30",
        "standard_template": True,
        "attachment": "DOC-7",
        "available_credit": 10_000_000,
    }
    data.update(changes)
    return data


def countersign(p, instance_id):
    """Finance (and legal, when asked) approve; return which countersign tasks there were."""
    asked = set(p.open(instance_id)) & COUNTERSIGN
    p.approve(instance_id, "finance_review", "fay", payment_terms_ok=True, margin_ok=True)
    if "legal_review" in asked:
        p.approve(instance_id, "legal_review", "lee")
    return asked


@pytest.mark.parametrize(
    ("amount", "template", "legal", "approvers"),
    [
        (499_999.99, True, False, []),
        (500_000, True, False, ["vp_approval"]),
        (999_999.99, True, False, ["vp_approval"]),
        (1_000_000, True, True, ["vp_approval"]),
        (1_999_999.99, True, True, ["vp_approval"]),
        (2_000_000, True, True, ["vp_approval", "gm_approval"]),
        (100_000, False, True, []),
    ],
)
def test_the_approval_chain_follows_the_amount(p, amount, template, legal, approvers):
    iid = p.start("sam", contract(amount, standard_template=template))
    assert set(p.open(iid)) == {"manager_review"}
    p.approve(iid, "manager_review", "mona")
    assert set(p.open(iid)) == ({"finance_review", "legal_review"} if legal else {"finance_review"})
    countersign(p, iid)
    for element_id, who in (("vp_approval", "vic"), ("gm_approval", "gary")):
        if element_id in approvers:
            p.approve(iid, element_id, who)
    assert set(p.open(iid)) == {"record_signing"}
    p.complete(iid, "record_signing", "asa", signed_date="2026-03-05", sales_order_no="SO-991")
    info = p.info(iid)
    assert info.status == "completed" and info.data["outcome"] == "approved"
    assert info.data["sales_order_no"] == "SO-991"
    done = p.completed_tasks(iid)
    assert [t for t in done if t in ("vp_approval", "gm_approval")] == approvers
    assert ("legal_review" in done) is legal
    level = next(d for d in p.decisions(iid) if d["decision_id"] == "contract_approval_level")
    assert level["inputs"] == {"Contract amount": amount}


def test_contracts_are_numbered_centrally(p):
    first = p.start("sam", contract())
    second = p.start("sue", contract())
    assert p.info(first).business_key == "HT-2026-000001"
    assert p.info(second).business_key == "HT-2026-000002"
    assert p.data(second)["contract_no"] == "HT-2026-000002"
    assert p.data(first)["currency"] == "CNY"  # the model's default_currency


def test_the_start_form_enforces_the_data_contract(p, staff):
    with pytest.raises(DataValidationError) as err:
        p.start("sam", {k: v for k, v in contract().items() if k != "customer_type"})
    assert [x.field for x in err.value.problems] == ["customer_type"]
    with pytest.raises(DataValidationError) as err:
        p.start("sam", contract(lines=[{"product": "P", "quantity": 0, "unit_price": 1, "base_price": 1}]))
    assert err.value.problems[0].field == "lines/0/quantity"
    with pytest.raises(InvalidInput, match="max_rejections"):
        p.start("sam", contract(max_rejections=99))
    with pytest.raises(PermissionDenied, match="sales_rep"):
        p.start("fay", contract())


def test_the_requester_approves_nothing_of_their_own_contract(p):
    """boss is in every approving group: every approval task of their own request is refused."""
    iid = p.start("boss", contract(2_500_000, standard_template=False, available_credit=None))
    refused = []
    for element_id, who in (
        ("manager_review", "mona"),
        ("finance_review", "fay"),
        ("legal_review", "lee"),
        ("vp_approval", "vic"),
        ("gm_approval", "gary"),
    ):
        task = p.task(iid, element_id)
        assert task.is_approval
        with pytest.raises(PermissionDenied, match="segregation of duties"):
            p.engine.tasks.complete(task.id, p.staff["boss"], {"decision": "approve"})
        refused.append(element_id)
        p.approve(iid, element_id, who)
        if element_id == "manager_review":
            key = p.info(iid).business_key
            p.engine.events.correlate_message(
                "credit_decision", key, {"credit_approved": True}, p.staff["cara"]
            )
    assert len(refused) == 5
    assert set(p.open(iid)) == {"record_signing"}


def test_a_countersign_rejection_sends_the_form_back_and_the_edit_is_reviewed_again(p):
    iid = p.start("sam", contract(300_000, standard_template=False))
    p.approve(iid, "manager_review", "mona")
    assert set(p.open(iid)) == {"finance_review", "legal_review"}
    p.approve(iid, "finance_review", "fay")
    p.reject(iid, "legal_review", "lee", "clause 7 deviates from the template")
    revise = p.task(iid, "revise")
    assert revise.assignee == "sam" and not revise.is_approval
    data = p.data(iid)
    assert data["rejections"] == 1 and data["rejection_reasons"] == [
        "legal: clause 7 deviates from the template"
    ]
    p.complete(iid, "revise", "sam", action="resubmit", standard_template=True, revision_note="standard text")
    assert set(p.open(iid)) == {"manager_review"}  # every review again
    p.approve(iid, "manager_review", "milo")
    assert set(p.open(iid)) == {"finance_review"}  # standard template below 1,000,000: no legal now
    p.approve(iid, "finance_review", "fay")
    p.complete(iid, "record_signing", "asa", signed_date="2026-03-06", sales_order_no="SO-1")
    assert p.data(iid)["outcome"] == "approved"
    assert p.completed_tasks(iid).count("manager_review") == 2


def test_finance_rejecting_while_legal_approves_is_a_rejection(p):
    iid = p.start("sam", contract(1_200_000))
    p.approve(iid, "manager_review", "mona")
    p.reject(iid, "finance_review", "fay", "margin below 5 %")
    p.approve(iid, "legal_review", "lee")
    assert set(p.open(iid)) == {"revise"}
    assert p.data(iid)["rejection_reasons"] == ["finance: margin below 5 %"]


def test_the_third_rejection_ends_the_request_as_rejected(p):
    iid = p.start("sam", contract())
    for round_no in (1, 2, 3):
        p.reject(iid, "manager_review", "mona", f"round {round_no}: price too low")
        if round_no < 3:
            p.complete(iid, "revise", "sam", action="resubmit", amount=100_000 + round_no)
    info = p.info(iid)
    assert info.status == "completed" and info.data["outcome"] == "rejected"
    assert info.data["rejections"] == 3 and len(info.data["rejection_reasons"]) == 3
    assert p.completed_tasks(iid).count("revise") == 2


def test_final_approvers_can_reject_too_and_the_requester_may_withdraw(p):
    iid = p.start("sam", contract(2_000_000))
    p.approve(iid, "manager_review", "mona")
    countersign(p, iid)
    p.approve(iid, "vp_approval", "vic")
    p.reject(iid, "gm_approval", "gary", "delivery date not feasible")
    assert p.data(iid)["rejection_reasons"] == ["delivery date not feasible"]
    with pytest.raises(DataValidationError):
        p.complete(iid, "revise", "sam", action="maybe")
    p.complete(iid, "revise", "sam", action="withdraw")
    assert p.data(iid)["outcome"] == "withdrawn" and p.status(iid) == "completed"


def test_a_rejection_needs_a_comment(p):
    iid = p.start("sam", contract())
    task = p.task(iid, "manager_review")
    with pytest.raises(DataValidationError) as err:
        p.engine.tasks.complete(task.id, p.staff["mona"], {"decision": "reject"})
    assert err.value.problems[0].field == "comment"


def test_over_the_credit_the_contract_waits_for_a_credit_approval(p):
    iid = p.start("sam", contract(800_000, available_credit=500_000))
    key = p.info(iid).business_key
    p.approve(iid, "manager_review", "mona")
    p.approve(iid, "finance_review", "fay")
    assert set(p.open(iid)) == set()  # only the credit approval is awaited
    with pytest.raises(PermissionDenied, match="credit_dept"):
        p.engine.events.correlate_message("credit_decision", key, {"credit_approved": True}, p.staff["sam"])
    p.engine.events.correlate_message(
        "credit_decision", key, {"credit_approved": True, "credit_note": "XY-2026-000004"}, p.staff["cara"]
    )
    p.approve(iid, "vp_approval", "vic")
    assert set(p.open(iid)) == {"record_signing"}


def test_a_refused_or_missing_credit_approval_is_a_rejection(p, clock):
    refused = p.start("sam", contract(available_credit=None))
    p.approve(refused, "manager_review", "mona")
    p.approve(refused, "finance_review", "fay")
    key = p.info(refused).business_key
    p.engine.events.correlate_message(
        "credit_decision", key, {"credit_approved": False, "credit_note": "grade D"}, p.staff["cara"]
    )
    assert p.data(refused)["rejection_reasons"] == ["credit: grade D"]

    silent = p.start("sam", contract(available_credit=0))
    p.approve(silent, "manager_review", "mona")
    p.approve(silent, "finance_review", "fay")
    clock.advance(timedelta(days=14, minutes=1))
    p.engine.timers.fire_due()
    assert set(p.open(silent)) == {"revise"}
    assert p.data(silent)["rejection_reasons"] == ["credit: no credit decision within P14D"]
    with pytest.raises(NotFound):
        p.engine.events.correlate_message("credit_decision", p.info(silent).business_key, {}, p.staff["cara"])


def test_cash_sales_need_no_credit_check(p):
    iid = p.start("sam", contract(payment_term_days=0, available_credit=None))
    p.approve(iid, "manager_review", "mona")
    p.approve(iid, "finance_review", "fay")
    assert set(p.open(iid)) == {"record_signing"}


def test_review_tasks_are_due_in_two_days_then_remind_then_escalate(p, clock):
    iid = p.start("sam", contract())
    review = p.task(iid, "manager_review")
    assert review.due_at == clock.now() + timedelta(days=2)
    p.engine.tasks.claim(review.id, p.staff["mona"])
    clock.advance(timedelta(days=2, minutes=1))
    assert p.engine.timers.fire_due().fired == 1
    (reminder,) = p.history(iid, "task_reminder")
    assert reminder.data["to"] == ["mona"] and reminder.element_id == "manager_review"
    clock.advance(timedelta(days=1))
    assert p.engine.timers.fire_due().fired == 1
    review = p.task(iid, "manager_review")
    assert review.candidate_groups == ["sales_manager", "sales_vp"] and review.assignee is None
    p.approve(iid, "manager_review", "vic")  # the next level up decides
    assert "finance_review" in p.open(iid)


def test_countersign_and_top_level_tasks_escalate_to_the_general_manager_or_only_remind(p, clock):
    iid = p.start("sam", contract(2_000_000))
    p.approve(iid, "manager_review", "mona")
    clock.advance(timedelta(days=3, minutes=1))
    p.engine.timers.fire_due()
    tasks = p.open(iid)
    assert set(tasks["finance_review"].candidate_groups) == {"finance", "general_manager"}
    assert set(tasks["legal_review"].candidate_groups) == {"legal", "general_manager"}
    p.approve(iid, "finance_review", "gary")
    p.approve(iid, "legal_review", "lee")
    p.approve(iid, "vp_approval", "vic")
    clock.advance(timedelta(days=5))
    assert p.engine.timers.fire_due().fired == 1  # the general manager is only reminded
    assert p.task(iid, "gm_approval").candidate_groups == ["general_manager"]
    assert [e.element_id for e in p.history(iid, "task_reminder")][-1] == "gm_approval"
