"""Price-float authorization 价格浮动授权: the authority ladder, escalation, grants, validity."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import DataValidationError, PermissionDenied
from tests.process_models.conftest import Process, deploy_model

LEVELS = {"sales_manager": "approve_manager", "sales_vp": "approve_vp", "general_manager": "approve_gm"}
APPROVER = {"approve_manager": "mona", "approve_vp": "vic", "approve_gm": "gary"}


@pytest.fixture
def p(engine, staff):
    deploy_model(engine, "price_float")
    return Process(engine, "price_float", staff)


def request(requested_price=95.0, **changes):
    data = {
        "customer": "ACME Trading",
        "product": "P-100",
        "base_price": 100.0,
        "requested_price": requested_price,
        "quantity": 200,
        "reason": "competitor offers 5 % less",
        "competitor_evidence": "quote Q-17",
    }
    data.update(changes)
    return data


def grants(p):
    return p.engine.records.list(p.staff["ann"], kind="discount_grant")


@pytest.mark.parametrize(
    ("requested", "deviation", "level"),
    [
        (97.0, 3.0, "sales_rep"),
        (96.99, 3.01, "sales_manager"),
        (95.0, 5.0, "sales_manager"),
        (94.99, 5.01, "sales_vp"),
        (90.0, 10.0, "sales_vp"),
        (89.99, 10.01, "general_manager"),
        (85.0, 15.0, "general_manager"),
        (84.99, 15.01, "reject"),
    ],
)
def test_the_deviation_decides_who_approves(p, requested, deviation, level):
    iid = p.start("sam", request(requested))
    data = p.data(iid)
    assert data["deviation_pct"] == deviation and data["authority"] == level
    if level == "reject":
        assert p.status(iid) == "completed" and data["outcome"] == "rejected"
        assert p.open(iid) == {} and grants(p) == []
        return
    if level == "sales_rep":
        assert p.open(iid) == {} and data["outcome"] == "approved" and data["granted_by"] == "sales_rep"
    else:
        assert set(p.open(iid)) == {LEVELS[level]}
        p.approve(iid, LEVELS[level], APPROVER[LEVELS[level]])
        assert p.data(iid)["outcome"] == "approved" and p.data(iid)["granted_by"] == level
    (grant,) = grants(p)
    assert grant.data == {
        "amount": round((100 - requested) * 200, 2),
        "quantity": 200,
        "reason": "competitor offers 5 % less",
        "recipient": "ACME Trading",
    }
    assert grant.instance_id == iid and grant.element_id == "grant"


def test_below_cost_is_refused_whatever_the_deviation(p):
    iid = p.start("sam", request(98.0, unit_cost=98.5))
    data = p.data(iid)
    assert data["below_cost"] is True and data["authority"] == "reject" and data["outcome"] == "rejected"
    assert grants(p) == []


def test_an_approver_may_escalate_with_a_reason(p):
    iid = p.start("sam", request(96.0))
    task = p.task(iid, "approve_manager")
    with pytest.raises(DataValidationError) as err:
        p.engine.tasks.complete(task.id, p.staff["mona"], {"decision": "escalate"})
    assert err.value.problems[0].field == "comment"
    p.complete(iid, "approve_manager", "mona", decision="escalate", comment="strategic customer")
    p.complete(iid, "approve_vp", "vic", decision="escalate", comment="needs the GM's view")
    gm_task = p.engine.tasks.get(p.task(iid, "approve_gm").id, p.staff["gary"])
    assert gm_task.form["properties"]["decision"]["enum"] == ["approve", "reject"]  # nowhere higher
    p.approve(iid, "approve_gm", "gary")
    data = p.data(iid)
    assert data["granted_by"] == "general_manager"
    assert data["escalations"] == [
        {"from": "sales_manager", "why": "strategic customer"},
        {"from": "sales_vp", "why": "needs the GM's view"},
    ]
    assert len(grants(p)) == 1


def test_no_decision_within_a_day_escalates_automatically(p, clock):
    iid = p.start("sam", request(95.0))
    manager_task = p.task(iid, "approve_manager")
    assert manager_task.due_at == clock.now() + timedelta(days=1)
    clock.advance(timedelta(days=1, minutes=1))
    assert p.engine.timers.fire_due().fired == 1
    assert set(p.open(iid)) == {"approve_vp"}
    clock.advance(timedelta(days=1, minutes=1))
    p.engine.timers.fire_due()
    assert set(p.open(iid)) == {"approve_gm"}
    assert [e["from"] for e in p.data(iid)["escalations"]] == ["sales_manager", "sales_vp"]
    clock.advance(timedelta(days=1, minutes=1))
    assert p.engine.timers.fire_due().fired == 1  # the top level is reminded, the task stays
    assert set(p.open(iid)) == {"approve_gm"}
    assert [e.element_id for e in p.history(iid, "task_reminder")] == ["approve_gm"]
    cancelled = [e.element_id for e in p.history(iid, "task_cancelled")]
    assert cancelled == ["approve_manager", "approve_vp"]
    p.approve(iid, "approve_gm", "gary")
    assert p.data(iid)["outcome"] == "approved"


def test_an_approved_price_expires_after_thirty_days(p, clock):
    iid = p.start("sam", request(97.0))
    assert p.status(iid) == "running" and p.data(iid)["outcome"] == "approved"
    clock.advance(timedelta(days=29, hours=23))
    assert p.engine.timers.fire_due().fired == 0
    clock.advance(timedelta(hours=2))
    assert p.engine.timers.fire_due().fired == 1
    info = p.info(iid)
    assert (
        info.status == "completed"
        and info.data["outcome"] == "expired"
        and info.data["granted_price"] == 97.0
    )


def test_a_rejected_request_is_revised_and_assessed_again(p):
    iid = p.start("sam", request(92.0))
    p.reject(iid, "approve_vp", "vic", "8 % is too much for this volume")
    assert p.task(iid, "revise").assignee == "sam"
    p.complete(iid, "revise", "sam", action="resubmit", requested_price=97.5, revision_note="2.5 % only")
    data = p.data(iid)
    assert (
        data["deviation_pct"] == 2.5 and data["outcome"] == "approved" and data["granted_by"] == "sales_rep"
    )
    assert data["rejection_reasons"] == ["8 % is too much for this volume"]
    (grant,) = grants(p)
    assert grant.data["amount"] == 500.0


def test_three_rejections_end_the_request(p):
    iid = p.start("sam", request(95.0))
    for n in (1, 2, 3):
        p.reject(iid, "approve_manager", "milo", f"no ({n})")
        if n < 3:
            p.complete(iid, "revise", "sam", action="resubmit", requested_price=95.0 + n / 10)
    info = p.info(iid)
    assert info.status == "completed" and info.data["outcome"] == "rejected" and info.data["rejections"] == 3
    assert grants(p) == []


def test_the_requester_approves_at_no_level(p):
    iid = p.start("boss", request(95.0))
    for element_id in ("approve_manager", "approve_vp", "approve_gm"):
        task = p.task(iid, element_id)
        with pytest.raises(PermissionDenied, match="segregation of duties"):
            p.engine.tasks.claim(task.id, p.staff["boss"])
        if element_id != "approve_gm":
            p.complete(iid, element_id, APPROVER[element_id], decision="escalate", comment="up")
    p.approve(iid, "approve_gm", "gary")
    assert grants(p)[0].data["recipient"] == "ACME Trading"


def test_price_requests_are_numbered_and_checked(p):
    first, second = p.start("sam", request()), p.start("sue", request())
    assert [p.info(i).business_key for i in (first, second)] == ["JG-2026-000001", "JG-2026-000002"]
    with pytest.raises(DataValidationError) as err:
        p.start("sam", request(base_price=0))
    assert err.value.problems[0].field == "base_price"
