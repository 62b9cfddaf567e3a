"""Credit approval 信用审批: guarantee, grading caps, sales + finance by level, expiry after 14 days."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import PermissionDenied
from tests.process_models.conftest import Process, deploy_model

SALES_CHAIN = ("manager_approval", "vp_approval", "gm_approval")
APPROVER = {"manager_approval": "mona", "vp_approval": "vic", "gm_approval": "gary"}


@pytest.fixture
def p(engine, staff):
    deploy_model(engine, "credit_approval")
    return Process(engine, "credit_approval", staff)


def request(limit=150_000, term=30, **changes):
    data = {
        "customer": "ACME Trading",
        "customer_type": "existing",
        "requested_limit": limit,
        "term_days": term,
        "current_limit": 100_000,
        "outstanding": 80_000,
        "overdue": 0,
        "reason": "larger orders from Q2",
        "guarantee": None,
    }
    data.update(changes)
    return data


def grade(p, iid, grade="A", limit=10_000_000, term=365):
    p.complete(
        iid, "grade_customer", "cara", grade=grade, recommended_limit=limit, recommended_term_days=term
    )


def approve_all(p, iid):
    """Approve every sales level asked for and finance; return the sales levels that were asked."""
    asked = []
    p.approve(iid, "finance_approval", "fay")
    while True:
        sales = [t for t in p.open(iid) if t in SALES_CHAIN]
        if not sales:
            return asked
        asked += sales
        p.approve(iid, sales[0], APPROVER[sales[0]])


@pytest.mark.parametrize(
    ("limit", "term", "chain"),
    [
        (200_000, 30, ["manager_approval"]),
        (200_000.01, 30, ["manager_approval", "vp_approval"]),
        (200_000, 31, ["manager_approval", "vp_approval"]),
        (1_000_000, 60, ["manager_approval", "vp_approval"]),
        (1_000_000.01, 60, list(SALES_CHAIN)),
        (1_000_000, 61, list(SALES_CHAIN)),
    ],
)
def test_sales_and_finance_approve_at_the_level_of_limit_and_term(p, limit, term, chain):
    iid = p.start("sam", request(limit, term))
    grade(p, iid)
    assert set(p.open(iid)) == {"manager_approval", "finance_approval"}
    assert approve_all(p, iid) == chain
    info = p.info(iid)
    assert info.status == "completed" and info.data["outcome"] == "approved"
    assert (info.data["approved_limit"], info.data["approved_term_days"]) == (limit, term)
    (record,) = p.engine.records.list(p.staff["ann"], kind="credit_limit")
    assert record.data == {
        "customer": "ACME Trading",
        "approved_limit": limit,
        "approved_term_days": term,
        "grade": "A",
    }


@pytest.mark.parametrize(
    ("grade_", "cap"), [("A", (2_000_000, 90)), ("B", (1_000_000, 60)), ("C", (300_000, 30))]
)
def test_the_grade_caps_limit_and_term(p, grade_, cap):
    iid = p.start("sam", request(5_000_000, 120))
    grade(p, iid, grade_)
    data = p.data(iid)
    assert (data["max_limit"], data["max_term_days"]) == cap
    assert (data["proposed_limit"], data["proposed_term_days"]) == cap
    assert approve_all(p, iid) == list(SALES_CHAIN)  # the level follows the request, not the cap
    assert (p.data(iid)["approved_limit"], p.data(iid)["approved_term_days"]) == cap


def test_the_credit_department_may_recommend_less(p):
    iid = p.start("sam", request(800_000, 60))
    grade(p, iid, "A", limit=500_000, term=45)
    approve_all(p, iid)
    assert (p.data(iid)["approved_limit"], p.data(iid)["approved_term_days"]) == (500_000, 45)


def test_grade_d_allows_no_credit(p):
    iid = p.start("sam", request())
    grade(p, iid, "D")
    assert set(p.open(iid)) == {"revise"}
    assert p.data(iid)["rejection_reasons"] == ["grade D allows no credit (cash only)"]


@pytest.mark.parametrize("customer_type", ["new", "overseas"])
def test_new_and_overseas_customers_must_offer_a_guarantee(p, customer_type):
    iid = p.start("sam", request(customer_type=customer_type, guarantee="  "))
    assert set(p.open(iid)) == {"revise"}
    assert p.data(iid)["rejection_reasons"] == [
        f"a {customer_type} customer must offer a guarantee (信用保证)"
    ]
    p.complete(iid, "revise", "sam", action="resubmit", guarantee="bank guarantee BG-5, 200,000")
    assert set(p.open(iid)) == {"grade_customer"}
    grade(p, iid)
    approve_all(p, iid)
    assert p.data(iid)["outcome"] == "approved"


def test_existing_customers_need_no_guarantee(p):
    iid = p.start("sam", request(guarantee=None))
    assert set(p.open(iid)) == {"grade_customer"}


def test_finance_must_agree_too(p):
    iid = p.start("sam", request())
    grade(p, iid)
    p.approve(iid, "manager_approval", "mona")
    assert set(p.open(iid)) == {"finance_approval"}
    p.reject(iid, "finance_approval", "fay", "overdue history")
    assert set(p.open(iid)) == {"revise"}
    assert p.data(iid)["rejection_reasons"] == ["finance: overdue history"]


def test_a_sales_rejection_at_any_level_is_a_rejection(p):
    iid = p.start("sam", request(600_000, 60))
    grade(p, iid)
    p.approve(iid, "manager_approval", "mona")
    p.reject(iid, "vp_approval", "vic", "too high for a first year")
    assert set(p.open(iid)) == {"finance_approval"}  # the countersign completes first
    p.approve(iid, "finance_approval", "fay")
    assert p.data(iid)["rejection_reasons"] == ["sales: too high for a first year"]
    p.complete(iid, "revise", "sam", action="resubmit", requested_limit=200_000, term_days=30)
    grade(p, iid)
    assert approve_all(p, iid) == ["manager_approval"]
    assert p.data(iid)["approved_limit"] == 200_000


def test_three_rejections_end_the_request(p):
    iid = p.start("sam", request(customer_type="new"))
    for n in (1, 2):
        p.complete(iid, "revise", "sam", action="resubmit", reason=f"try {n}")
    info = p.info(iid)
    assert info.status == "completed" and info.data["outcome"] == "rejected" and info.data["rejections"] == 3


def test_the_requester_neither_grades_nor_approves(p):
    iid = p.start("boss", request(1_500_000, 90))
    task = p.task(iid, "grade_customer")
    assert task.is_approval
    with pytest.raises(PermissionDenied, match="segregation of duties"):
        p.engine.tasks.claim(task.id, p.staff["boss"])
    with pytest.raises(PermissionDenied, match="not a candidate"):
        p.engine.tasks.claim(task.id, p.staff["sam"])  # sales is not the credit department
    grade(p, iid)
    for element_id in ("finance_approval", *SALES_CHAIN):
        task = p.task(iid, element_id)
        with pytest.raises(PermissionDenied, match="segregation of duties"):
            p.engine.tasks.complete(task.id, p.staff["boss"], {"decision": "approve"})
        p.approve(iid, element_id, "fay" if element_id == "finance_approval" else APPROVER[element_id])
    assert p.data(iid)["outcome"] == "approved"


def test_a_request_not_decided_in_fourteen_days_expires(p, clock):
    waiting = p.start("sam", request(600_000, 60))
    grade(p, waiting)
    p.approve(waiting, "manager_approval", "mona")
    in_rework = p.start("sue", request(customer_type="overseas"))
    clock.advance(timedelta(days=13, hours=23))
    assert p.engine.timers.fire_due().fired == 0
    clock.advance(timedelta(hours=2))
    assert p.engine.timers.fire_due().fired == 2
    for iid in (waiting, in_rework):
        info = p.info(iid)
        assert info.status == "completed" and info.data["outcome"] == "expired" and p.open(iid) == {}
    cancelled = {e.element_id for e in p.history(waiting, "task_cancelled")}
    assert cancelled == {"vp_approval", "finance_approval"}


def test_credit_requests_are_numbered(p):
    ids = [p.start("sam", request()), p.start("sue", request())]
    assert [p.info(i).business_key for i in ids] == ["XY-2026-000001", "XY-2026-000002"]
    assert p.data(ids[1])["request_no"] == "XY-2026-000002"
