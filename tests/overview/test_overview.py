"""The process overview's figures against the same figures computed here, straight from the tables:
counts with GROUP BY, medians and p90s in Python from the rows (statistics.median / quantiles)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from engine import Engine
from engine.actor import SYSTEM, Actor
from engine.clock import ManualClock
from engine.errors import InvalidInput, NotFound, PermissionDenied
from engine.overview import Period
from engine.store.schema import model_versions, process_instances, user_tasks
from tests.factories import add_users
from tests.process_models.conftest import STAFF, Process, deploy_model
from tests.process_models.test_contract_review import contract
from tests.process_models.test_price_float import request


@dataclass
class Scenario:
    engine: Engine
    clock: ManualClock
    staff: dict[str, Actor]
    start: datetime


def run_scenario(engine: Engine, clock: ManualClock, staff: dict[str, Actor]) -> Scenario:
    """Seven price requests started an hour apart and decided after different waits, one refused at
    once (completed), one cancelled, two contracts (one suspended), and an open task overdue."""
    deploy_model(engine, "contract_review")
    deploy_model(engine, "price_float")
    price = Process(engine, "price_float", staff)
    contracts = Process(engine, "contract_review", staff)
    t0 = clock.now()
    price.start("sam", request(98.0, unit_cost=98.5))  # refused below cost: completed at once
    ids = []
    for _ in range(7):
        ids.append(price.start("sam", request(95.0)))
        clock.advance(timedelta(hours=1))
    for hours, index, decide in ((10, 0, "approve"), (12, 1, "approve"), (20, 2, "approve"), (30, 3, "reject"),
                                 (50, 4, "approve")):  # fmt: skip
        clock.set(t0 + timedelta(hours=hours, minutes=index * 7))
        if decide == "approve":
            price.approve(ids[index], "approve_manager", "mona")
        else:
            price.reject(ids[index], "approve_manager", "mona", "too low")
    engine.runtime.cancel(ids[6], staff["sam"], "customer withdrew")
    suspended = contracts.start("sam", contract())
    contracts.start("sue", contract())
    engine.runtime.suspend(suspended, SYSTEM, "on hold for the audit")
    clock.set(t0 + timedelta(hours=52))
    return Scenario(engine, clock, staff, t0)


@pytest.fixture
def scenario(engine: Engine, clock: ManualClock, staff: dict[str, Actor]) -> Scenario:
    return run_scenario(engine, clock, staff)


@pytest.fixture
def staff(engine: Engine) -> dict[str, Actor]:
    return add_users(engine, **STAFF)


def counted_in_sql(engine: Engine, period: Period) -> dict[tuple[str, int], dict[str, int]]:
    """The overview's counts, computed here with GROUP BY (and the period's bounds in Python)."""
    expected: dict[tuple[str, int], dict[str, int]] = {}
    v, i, t = model_versions.c, process_instances.c, user_tasks.c
    with engine.db.read() as conn:
        for key, version in conn.execute(select(v.model_key, v.version)):
            expected[(key, version)] = dict.fromkeys(
                ("running", "suspended", "completed", "cancelled", "open_tasks", "overdue_tasks"), 0
            )
        for key, version, status, count in conn.execute(
            select(v.model_key, v.version, i.status, func.count())
            .join(model_versions, v.id == i.version_id)
            .where(i.status.in_(("running", "suspended")))
            .group_by(v.model_key, v.version, i.status)
        ):
            expected[(key, version)][status] = count
        for key, version, status, ended_at in conn.execute(
            select(v.model_key, v.version, i.status, i.ended_at)
            .join(model_versions, v.id == i.version_id)
            .where(i.status.in_(("completed", "cancelled")))
        ):
            if period.since <= ended_at < period.until:
                expected[(key, version)][status] += 1
        now = engine.clock.now()
        for key, version, due_at in conn.execute(
            select(v.model_key, v.version, t.due_at)
            .join(model_versions, v.id == t.version_id)
            .where(t.status == "open")
        ):
            expected[(key, version)]["open_tasks"] += 1
            expected[(key, version)]["overdue_tasks"] += due_at is not None and due_at < now
    return expected


def shown(engine: Engine, actor: Actor, period: Period) -> dict[tuple[str, int], dict[str, int]]:
    return {
        (c.model_key, c.version): {
            "running": c.running,
            "suspended": c.suspended,
            "completed": c.completed,
            "cancelled": c.cancelled,
            "open_tasks": c.open_tasks,
            "overdue_tasks": c.overdue_tasks,
        }
        for c in engine.overview.processes(actor, period)
    }


def percentile(values: list[float], which: str) -> float:
    if which == "median":
        return statistics.median(values)
    return values[0] if len(values) == 1 else statistics.quantiles(values, n=10, method="inclusive")[8]


def waits_in_python(engine: Engine, key: str, period: Period) -> dict[str, dict[str, tuple]]:
    """Per element: (count, median, p90) of completed waits in the period and of open tasks' ages."""
    t, v = user_tasks.c, model_versions.c
    completed: dict[str, list[float]] = {}
    waiting: dict[str, list[float]] = {}
    now = engine.clock.now()
    with engine.db.read() as conn:
        rows = conn.execute(
            select(t.element_id, t.status, t.created_at, t.completed_at)
            .join(model_versions, v.id == t.version_id)
            .where(v.model_key == key)
        ).all()
    for element, status, created, done in rows:
        if status == "completed" and period.since <= done < period.until:
            completed.setdefault(element, []).append((done - created).total_seconds())
        elif status == "open":
            waiting.setdefault(element, []).append((now - created).total_seconds())

    def figures(values: list[float]) -> tuple:
        return (
            (len(values), percentile(values, "median"), percentile(values, "p90"))
            if values
            else (0, None, None)
        )

    return {
        element: {
            "completed": figures(completed.get(element, [])),
            "waiting": figures(waiting.get(element, [])),
        }
        for element in set(completed) | set(waiting)
    }


def figures_of(engine: Engine, actor: Actor, key: str, period: Period) -> dict[str, dict[str, tuple]]:
    found = engine.overview.waits(key, 1, actor, period)
    return {
        e.element_id: {
            "completed": (e.completed.count, e.completed.median, e.completed.p90),
            "waiting": (e.waiting.count, e.waiting.median, e.waiting.p90),
        }
        for e in found.elements
    }


def assert_same_figures(got: dict, expected: dict) -> None:
    assert got.keys() == expected.keys()
    for element, kinds in expected.items():
        for kind, (count, median, p90) in kinds.items():
            assert got[element][kind][0] == count, (element, kind)
            assert got[element][kind][1] == (None if median is None else pytest.approx(median, abs=0.01))
            assert got[element][kind][2] == (None if p90 is None else pytest.approx(p90, abs=0.01))


def test_the_counts_agree_with_group_by_on_the_tables(scenario: Scenario) -> None:
    engine, ann = scenario.engine, scenario.staff["ann"]
    last_30 = Period.last_days(engine.clock.now())
    assert shown(engine, ann, last_30) == counted_in_sql(engine, last_30)
    price = shown(engine, ann, last_30)[("price_float", 1)]
    assert price == {
        "running": 6, "suspended": 0, "completed": 1, "cancelled": 1, "open_tasks": 2, "overdue_tasks": 1,
    }  # fmt: skip
    assert shown(engine, ann, last_30)[("contract_review", 1)]["suspended"] == 1
    # A period that starts after the refused request ended: it is no longer counted as completed.
    later = Period(scenario.start + timedelta(hours=1), engine.clock.now())
    assert shown(engine, ann, later) == counted_in_sql(engine, later)
    assert shown(engine, ann, later)[("price_float", 1)]["completed"] == 0


def test_median_and_p90_agree_with_python_on_the_rows(scenario: Scenario) -> None:
    engine, ann = scenario.engine, scenario.staff["ann"]
    for period in (
        Period.last_days(engine.clock.now()),
        Period(scenario.start + timedelta(hours=15), engine.clock.now()),
    ):
        for key in ("price_float", "contract_review"):
            assert_same_figures(figures_of(engine, ann, key, period), waits_in_python(engine, key, period))
    manager = figures_of(engine, ann, "price_float", Period.last_days(engine.clock.now()))["approve_manager"]
    # Waits of 10 h, 11 h 7 min, 18 h 14 min, 27 h 21 min, 46 h 28 min: the median is the third.
    assert manager["completed"][0] == 5
    assert manager["completed"][1] == pytest.approx(18 * 3600 + 14 * 60, abs=0.01)
    # p90: 90 % of the way from the 4th to the 5th.
    assert manager["completed"][2] == pytest.approx((27 * 60 + 21) * 60 + 0.6 * (19 * 60 + 7) * 60, abs=0.01)


def test_open_tasks_age_with_the_clock(scenario: Scenario) -> None:
    engine, ann = scenario.engine, scenario.staff["ann"]
    before = figures_of(engine, ann, "price_float", Period.last_days(engine.clock.now()))["approve_manager"]
    scenario.clock.advance(timedelta(hours=5))
    after = figures_of(engine, ann, "price_float", Period.last_days(engine.clock.now()))["approve_manager"]
    assert after["waiting"][0] == before["waiting"][0] == 1
    assert after["waiting"][1] == pytest.approx(before["waiting"][1] + 5 * 3600, abs=0.01)


def test_only_readers_of_everything_see_the_overview_and_bad_periods_are_refused(scenario: Scenario) -> None:
    engine, now = scenario.engine, scenario.engine.clock.now()
    period = Period.last_days(now)
    for reader in (scenario.staff["ann"], SYSTEM):
        engine.overview.processes(reader, period)
    with pytest.raises(PermissionDenied, match="process overview"):
        engine.overview.processes(scenario.staff["sam"], period)
    with pytest.raises(PermissionDenied):
        engine.overview.waits("price_float", 1, scenario.staff["mona"], period)
    with pytest.raises(NotFound, match="no version 9"):
        engine.overview.waits("price_float", 9, scenario.staff["ann"], period)
    with pytest.raises(InvalidInput, match="until must be after since"):
        Period(now, now)
    with pytest.raises(InvalidInput, match="since needs a time zone"):
        Period(now.replace(tzinfo=None), now)
    with pytest.raises(InvalidInput, match="days"):
        Period.last_days(now, 0)


def test_the_overview_reads_its_covering_indexes_on_sqlite(engine: Engine, clock: ManualClock, staff) -> None:
    """Each wait and count is read off an index alone (migration 0011): no task or instance row."""
    if not engine.db.is_sqlite:
        pytest.skip("SQLite's plans; PostgreSQL chooses by its statistics")
    run_scenario(engine, clock, staff)
    executed: list[str] = []  # with their values: the waits are read off the DBAPI cursor directly

    def trace(dbapi_connection, _record) -> None:
        dbapi_connection.set_trace_callback(executed.append)

    engine.db.engine.dispose()  # the next connections are traced
    event.listen(engine.db.engine, "connect", trace)
    try:
        engine.overview.waits("price_float", 1, SYSTEM, Period.last_days(clock.now()))
        engine.overview.processes(SYSTEM, Period.last_days(clock.now()))
    finally:
        event.remove(engine.db.engine, "connect", trace)
        engine.db.engine.dispose()
    plans = {}
    with engine.db.engine.connect() as conn:
        for statement in executed:
            if statement.lstrip().upper().startswith("SELECT"):
                plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}").all()
                plans[statement] = " / ".join(row[-1] for row in plan)
    waits = [p for s, p in plans.items() if "FROM user_tasks" in s and ("julianday" in s or "count" in s)]
    assert len(waits) == 3 and all("COVERING INDEX ix_user_tasks_version_waits" in p for p in waits), waits
    # (The incidents' count reads the few running instances' rows for their error: no index for that.)
    counts = [
        p for s, p in plans.items() if "FROM process_instances" in s and "count" in s and "error" not in s
    ]
    assert len(counts) == 2, plans
    assert all("COVERING INDEX ix_process_instances_status_ended_at_version_id" in p for p in counts), counts
