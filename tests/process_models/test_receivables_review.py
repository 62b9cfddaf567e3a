"""Monthly receivables review 应收账款月度账龄分析: cycle start, ageing buckets, collection and credit freeze."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.actor import SYSTEM
from engine.errors import DataValidationError
from tests.process_models.conftest import Process, deploy_model

AGEING = [
    {"customer": "Current Co", "outstanding": 50_000, "overdue_amount": 0, "days_overdue": 0},
    {"customer": "Thirty Co", "outstanding": 40_000, "overdue_amount": 10_000, "days_overdue": 30},
    {"customer": "Sixty Co", "outstanding": 30_000, "overdue_amount": 12_000, "days_overdue": 31},
    {"customer": "Ninety Co", "outstanding": 20_000, "overdue_amount": 8_000, "days_overdue": 90},
    {"customer": "Late Co", "outstanding": 60_000, "overdue_amount": 25_000, "days_overdue": 91},
    {"customer": "Lost Co", "outstanding": 90_000, "overdue_amount": 90_000, "days_overdue": 121},
]


@pytest.fixture
def monthly(engine, staff, clock):
    clock.set(datetime(2026, 1, 20, tzinfo=UTC))
    deploy_model(engine, "receivables_review")
    return Process(engine, "receivables_review", staff)


def start_one(p, clock):
    (timer,) = p.engine.timers.list(SYSTEM)
    clock.set(timer.due_at)
    assert p.engine.timers.fire_due().fired == 1
    (instance,) = p.engine.runtime.list(SYSTEM)
    return instance.id


def test_a_review_starts_on_the_last_day_of_every_month(monthly, clock):
    started = []
    for _ in range(3):
        (timer,) = monthly.engine.timers.list(SYSTEM)
        started.append(timer.due_at)
        clock.set(timer.due_at)
        assert monthly.engine.timers.fire_due().fired == 1
    assert started == [
        datetime(2026, 1, 31, 10, 0, tzinfo=UTC),
        datetime(2026, 2, 28, 10, 0, tzinfo=UTC),
        datetime(2026, 3, 31, 10, 0, tzinfo=UTC),
    ]
    instances = monthly.engine.runtime.list(SYSTEM)
    assert len(instances) == 3 and {i.initiator for i in instances} == {"timer"}
    task = monthly.task(instances[0].id, "enter_ageing")
    assert task.candidate_groups == ["credit_dept"] and task.due_at == clock.now() + timedelta(days=3)


def test_customers_are_bucketed_and_those_over_ninety_days_are_frozen_until_released(monthly, clock):
    p = monthly
    iid = start_one(p, clock)
    p.complete(iid, "enter_ageing", "cara", as_of="2026-01-31", customers=AGEING)
    data = p.data(iid)
    assert [(r["customer"], r["bucket"], r["collection_required"]) for r in data["reviewed"]] == [
        ("Current Co", None, False),
        ("Thirty Co", "1-30", False),
        ("Sixty Co", "31-60", False),
        ("Ninety Co", "61-90", False),
        ("Late Co", "91-120", True),
        ("Lost Co", "121+", True),
    ]
    assert data["bucket_totals"] == {
        "1-30": 10_000,
        "31-60": 12_000,
        "61-90": 8_000,
        "91-120": 25_000,
        "121+": 90_000,
    }
    assert data["frozen_customers"] == ["Late Co", "Lost Co"]
    assert set(p.open(iid)) == {"collection_measures"}
    p.complete(
        iid,
        "collection_measures",
        "cara",
        measures=[
            {"customer": "Late Co", "collection_measure": "paid after the call", "release_credit": True},
            {"customer": "Lost Co", "collection_measure": "lawyer's letter", "release_credit": False},
        ],
    )
    info = p.info(iid)
    assert info.status == "completed" and info.data["outcome"] == "reviewed"
    (record,) = p.engine.records.list(p.staff["ann"], kind="receivables_review")
    assert record.data["frozen_customers"] == ["Lost Co"] and record.data["released_customers"] == ["Late Co"]
    assert record.data["as_of"] == "2026-01-31"


def test_a_month_without_long_overdue_debt_needs_no_collection(monthly, clock):
    iid = start_one(monthly, clock)
    monthly.complete(iid, "enter_ageing", "cara", as_of="2026-01-31", customers=AGEING[:4])
    info = monthly.info(iid)
    assert info.status == "completed" and info.data["frozen_customers"] == []
    assert "collection_measures" not in monthly.completed_tasks(iid)


def test_a_customer_without_a_measure_stays_frozen(monthly, clock):
    iid = start_one(monthly, clock)
    task = monthly.task(iid, "enter_ageing")
    with pytest.raises(DataValidationError) as err:
        monthly.engine.tasks.complete(
            task.id, monthly.staff["cara"], {"as_of": "2026-01-31", "customers": [{"customer": "X"}]}
        )
    assert len(err.value.problems) == 3  # outstanding, overdue_amount and days_overdue are missing
    assert all(problem.field.startswith("customers/0/") for problem in err.value.problems)
    monthly.complete(iid, "enter_ageing", "cara", as_of="2026-01-31", customers=AGEING)
    monthly.complete(
        iid,
        "collection_measures",
        "cara",
        measures=[
            {"customer": "Lost Co", "collection_measure": "instalments agreed", "release_credit": True}
        ],
    )
    data = monthly.info(iid).data
    assert data["frozen_customers"] == ["Late Co"] and data["released_customers"] == ["Lost Co"]
