"""Promotion campaign 促销活动: filing vs approval, countersigned plan, budget authority, dates, evaluation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from engine.errors import PermissionDenied
from engine.store.schema import outbox
from tests.process_models.conftest import Process, deploy_model

PLAN = {
    "theme": "Spring sale",
    "activity_form": "in-store discounts and tastings",
    "start_date": "2026-04-01",
    "end_date": "2026-05-15",
    "budget_activity": 20_000,
    "budget_publicity": 15_000,
    "budget_contingency": 5_000,
}
EVALUATION = {
    "footfall": 12_000,
    "campaign_sales": 800_000,
    "roi": 4.2,
    "satisfaction": 4.5,
    "summary": "above target",
}


@pytest.fixture
def p(engine, staff):
    deploy_model(engine, "promotion_campaign")
    return Process(engine, "promotion_campaign", staff)


def outline(scope="local", budget=40_000, cut=5, **changes):
    data = {
        "title": "Spring sale",
        "scope": scope,
        "budget_estimate": budget,
        "max_price_cut_pct": cut,
        "background": "slow Q1",
        "start_date": "2026-04-01",
        "end_date": "2026-05-15",
    }
    data.update(changes)
    return data


def confirm_plan(p, iid, **plan):
    p.complete(iid, "draft_plan", "pia", **{**PLAN, **plan})
    p.approve(iid, "confirm_sales", "mona")
    p.approve(iid, "confirm_marketing", "mark")


def outbox_messages(p):
    with p.engine.db.read() as conn:
        return [json.loads(r.payload)["name"] for r in conn.execute(select(outbox)) if r.kind == "message"]


@pytest.mark.parametrize(
    ("scope", "budget", "cut", "filed"),
    [
        ("local", 49_999.99, 5, True),
        ("local", 49_999.99, None, True),
        ("local", 50_000, 5, False),
        ("local", 10_000, 5.01, False),
        ("regional", 10_000, 0, False),
        ("national", 10_000, None, False),
    ],
)
def test_small_local_campaigns_are_only_filed_the_others_approved(p, scope, budget, cut, filed):
    iid = p.start("pia", outline(scope, budget, cut))
    assert p.data(iid)["filing_only"] is filed
    if filed:
        assert set(p.open(iid)) == {"draft_plan"}
        assert outbox_messages(p) == ["campaign_filed"]
    else:
        assert set(p.open(iid)) == {"approve_outline"}
        assert outbox_messages(p) == []
        p.approve(iid, "approve_outline", "pres")
        assert set(p.open(iid)) == {"draft_plan"}


@pytest.mark.parametrize(
    ("total", "approver"),
    [
        (50_000, "marketing"),
        (50_000.01, "sales_vp"),
        (200_000, "sales_vp"),
        (200_000.01, "general_manager"),
        (1_000_000, "general_manager"),
        (1_000_000.01, "president_office"),
    ],
)
def test_the_budget_is_approved_at_the_level_of_its_total(p, total, approver):
    iid = p.start("pia", outline("regional", 30_000))
    p.approve(iid, "approve_outline", "pres")
    confirm_plan(p, iid, budget_activity=total - 10_000, budget_publicity=6_000, budget_contingency=4_000)
    task = p.task(iid, "approve_budget")
    assert task.candidate_groups == [approver] and p.data(iid)["total_budget"] == total
    who = {"marketing": "mark", "sales_vp": "vic", "general_manager": "gary", "president_office": "pres"}[
        approver
    ]
    p.approve(iid, "approve_budget", who)
    assert p.open(iid) == {}  # waiting for the start date


def test_the_campaign_runs_between_its_dates_then_is_evaluated_and_archived(p, clock):
    clock.set(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    iid = p.start("pia", outline())
    confirm_plan(p, iid)
    p.approve(iid, "approve_budget", "mark")
    timers = {t.element_id: t.due_at for t in p.engine.timers.list(p.staff["ann"], instance_id=iid)}
    assert timers == {"wait_start": datetime(2026, 3, 31, 16, 0, tzinfo=UTC)}  # midnight in Shanghai
    clock.set(datetime(2026, 3, 31, 16, 1, tzinfo=UTC))
    p.engine.timers.fire_due()
    timers = {t.element_id: t.due_at for t in p.engine.timers.list(p.staff["ann"], instance_id=iid)}
    assert timers == {"wait_end": datetime(2026, 5, 15, 15, 59, 59, tzinfo=UTC)}
    assert p.open(iid) == {}
    clock.set(datetime(2026, 5, 15, 16, 0, tzinfo=UTC))
    p.engine.timers.fire_due()
    evaluation = p.task(iid, "write_evaluation")
    assert evaluation.due_at == clock.now() + timedelta(days=15)
    clock.advance(timedelta(days=15, minutes=1))
    assert p.engine.timers.fire_due().fired == 1
    assert [e.element_id for e in p.history(iid, "task_reminder")] == ["write_evaluation"]
    p.complete(iid, "write_evaluation", "pia", **EVALUATION)
    p.reject(iid, "confirm_evaluation", "mona", "sales figure excludes returns")
    p.complete(iid, "write_evaluation", "pia", **{**EVALUATION, "campaign_sales": 760_000})
    p.approve(iid, "confirm_evaluation", "mona")
    p.reject(iid, "review_evaluation", "pres", "add the media breakdown")
    p.complete(
        iid,
        "write_evaluation",
        "pia",
        **{**EVALUATION, "campaign_sales": 760_000, "effective_media": "radio"},
    )
    p.approve(iid, "confirm_evaluation", "mona")
    p.approve(iid, "review_evaluation", "pres")
    info = p.info(iid)
    assert info.status == "completed" and info.data["outcome"] == "completed"
    (record,) = p.engine.records.list(p.staff["ann"], kind="campaign_evaluation")
    assert record.data == {
        "campaign_no": "CX-2026-000001",
        "title": "Spring sale",
        "total_budget": 40_000,
        "campaign_sales": 760_000,
        "roi": 4.2,
        "satisfaction": 4.5,
    }


def test_an_unconfirmed_plan_goes_back_to_planning(p):
    iid = p.start("pia", outline())
    p.complete(iid, "draft_plan", "pia", **PLAN)
    p.approve(iid, "confirm_marketing", "mark")
    p.reject(iid, "confirm_sales", "mona", "clashes with the dealer event")
    assert set(p.open(iid)) == {"draft_plan"}
    assert p.data(iid)["rejection_reasons"] == ["plan: sales_manager: clashes with the dealer event"]
    confirm_plan(p, iid, start_date="2026-04-08")
    assert set(p.open(iid)) == {"approve_budget"}


def test_a_rejected_outline_is_revised_and_filed_or_approved_again(p):
    iid = p.start("pia", outline("regional", 120_000))
    p.reject(iid, "approve_outline", "pres", "too expensive for a regional test")
    revise = p.task(iid, "revise_outline")
    assert revise.assignee == "pia"
    p.complete(iid, "revise_outline", "pia", action="resubmit", scope="local", budget_estimate=30_000)
    assert set(p.open(iid)) == {"draft_plan"}  # now small and local: only filed
    assert p.data(iid)["filing_only"] is True


def test_three_rejections_end_the_campaign(p):
    iid = p.start("pia", outline("national", 500_000))
    p.reject(iid, "approve_outline", "pres", "no")
    p.complete(iid, "revise_outline", "pia", action="resubmit")
    p.approve(iid, "approve_outline", "pres")
    p.complete(iid, "draft_plan", "pia", **PLAN)
    p.approve(iid, "confirm_sales", "mona")
    p.reject(iid, "confirm_marketing", "mark", "media plan missing")
    confirm_plan(p, iid)
    p.reject(iid, "approve_budget", "mark", "over the quarter's budget")
    info = p.info(iid)
    assert info.status == "completed" and info.data["outcome"] == "rejected" and info.data["rejections"] == 3


def test_planners_and_their_own_approvals(p):
    with pytest.raises(PermissionDenied):
        p.start("sam", outline())
    iid = p.start("boss", outline("national"))
    for element_id in ("approve_outline",):
        with pytest.raises(PermissionDenied, match="segregation of duties"):
            p.engine.tasks.claim(p.task(iid, element_id).id, p.staff["boss"])
    p.approve(iid, "approve_outline", "pres")
    p.complete(iid, "draft_plan", "pia", **PLAN)
    for element_id in ("confirm_sales", "confirm_marketing"):
        with pytest.raises(PermissionDenied, match="segregation of duties"):
            p.engine.tasks.complete(p.task(iid, element_id).id, p.staff["boss"], {"decision": "approve"})
    p.approve(iid, "confirm_sales", "mona")
    p.approve(iid, "confirm_marketing", "mark")
    with pytest.raises(PermissionDenied, match="segregation of duties"):
        p.engine.tasks.claim(p.task(iid, "approve_budget").id, p.staff["boss"])
    assert p.info(iid).business_key == "CX-2026-000001"
