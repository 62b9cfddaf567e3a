"""Instance search (engine/runtime/search.py): each filter finds what it should and no more, the
orders, cursor paging through ties, the data values kept in step, and refusals naming the field."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from engine.actor import SYSTEM
from engine.errors import InvalidInput
from engine.runtime import InstanceSearch
from engine.runtime import search as search_module
from engine.store.schema import instance_values
from engine.tasks import TaskQuery
from tests.conftest import BENCH_MODELS
from tests.factories import add_users, deploy_files

APPROVAL = (BENCH_MODELS / "bench_approval.bpmn").read_text()
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def complete(engine, instance_id, element_id, actor, data):
    task = next(
        t for t in engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance_id)) if t.element_id == element_id
    )
    engine.tasks.complete(task.id, actor, data)


@pytest.fixture
def world(engine, clock):
    """a (v1, ACME, completed by sam/mia/fay), b (v1, Globex, cancelled) started at the same instant;
    c (v2, ACME, sue's, running), d (v2, no key, a formula as customer, running) an hour apart."""
    people = add_users(
        engine, sam="sales", sue="sales", eve="legal", mia="manager", fay="finance", ann="auditor"
    )
    deploy_files(engine, {"bench_approval.bpmn": APPROVAL})
    a = engine.runtime.start(
        "bench_approval", people["sam"], {"customer": "ACME"}, business_key="MKT-2026-001"
    )
    b = engine.runtime.start(
        "bench_approval", people["sam"], {"customer": "Globex"}, business_key="MKT-2026-002"
    )
    deploy_files(engine, {"bench_approval.bpmn": APPROVAL.replace("amount &gt; 100000", "amount &gt; 10**9")})
    clock.advance(timedelta(hours=1))
    c = engine.runtime.start(
        "bench_approval", people["sue"], {"customer": "ACME"}, business_key="HR-2026-001"
    )
    clock.advance(timedelta(hours=1))
    d = engine.runtime.start("bench_approval", people["sam"], {"customer": "=cmd|' /C calc'!A0"})
    clock.advance(timedelta(hours=1))
    complete(engine, a.id, "submit", people["sam"], {"by": "sam", "note": "first"})
    complete(engine, a.id, "manager_approve", people["mia"], {"by": "mia"})
    complete(engine, a.id, "finance_review", people["fay"], {"by": "fay", "approved": True})
    clock.advance(timedelta(hours=1))
    engine.runtime.cancel(b.id, people["sam"], "duplicate request")
    return {"people": people, "ids": {"a": a.id, "b": b.id, "c": c.id, "d": d.id}}


def found(engine, world, actor="ann", **search):
    page = engine.runtime.search(world["people"][actor], InstanceSearch(**search))
    names = {v: k for k, v in world["ids"].items()}
    return [names[i.id] for i in page.items]


# How SQLite's rows are found (engine/runtime/search.py): from the smallest filter (the default with
# few rows), by a walk in page order, and by a walk cut short that falls back to a filter.
PLANS = {"drive": {}, "walk": {"DRIVE_LIMIT": -1}, "fallback": {"DRIVE_LIMIT": -1, "WALK_LIMIT": 1}}


@pytest.fixture(params=list(PLANS))
def plan(request, monkeypatch):
    for name, value in PLANS[request.param].items():
        monkeypatch.setattr(search_module, name, value)
    return request.param


def test_each_filter_finds_what_it_should_and_not_more(engine, world, plan):
    def f(**search):
        return sorted(found(engine, world, **search))

    assert f() == ["a", "b", "c", "d"]
    assert f(model_key="bench_approval", version=1) == ["a", "b"]
    assert f(model_key="bench_approval", version=2) == ["c", "d"]
    assert f(model_key="bench_approva") == []
    assert f(business_key="MKT-2026-001") == ["a"]
    assert f(business_key="MKT-2026-00") == []  # exact unless it ends in *
    assert f(business_key="MKT-2026-*") == ["a", "b"]
    assert f(business_key="mkt-2026-*") == []  # a prefix is exact too
    assert f(status="completed") == ["a"]
    assert f(status="cancelled") == ["b"]
    assert f(status="running") == ["c", "d"]
    assert f(initiator="sue") == ["c"]
    # A participant: the initiator, or anyone who acted in the trail (claimed, completed …).
    assert f(participant="mia") == ["a"]
    assert f(participant="sue") == ["c"]
    assert f(participant="sam") == ["a", "b", "d"]
    assert f(participant="eve") == []
    assert f(started_from=T0, started_to=T0 + timedelta(hours=1)) == ["a", "b"]
    assert f(started_from=T0 + timedelta(hours=1)) == ["c", "d"]
    assert f(started_to=T0) == []
    assert f(ended_from=T0 + timedelta(hours=3), ended_to=T0 + timedelta(hours=4)) == ["a"]
    assert f(ended_from=T0 + timedelta(hours=3, minutes=1)) == ["b"]
    assert f(data=(("customer", "ACME"),)) == ["a", "c"]
    assert f(data=(("customer", "acme"),)) == []  # values compare exactly
    assert f(data=(("customer", "ACME"),), model_key="bench_approval", version=2) == ["c"]
    assert f(data=(("customer", "ACME"), ("by", "fay"))) == ["a"]
    # Numbers and booleans as typed: 250000 set by the model's script, true by a form. (b was
    # cancelled: the engine shows a cancelled instance's data as empty, and searches what it shows.)
    assert f(data=(("amount", "250000"),)) == ["a", "c", "d"]
    assert f(data=(("amount", "250000.0"),)) == ["a", "c", "d"]
    assert f(data=(("amount", "25000"),)) == []
    assert f(data=(("approved", "true"),)) == ["a"]
    assert f(data=(("approved", "false"),)) == []


def test_the_data_values_follow_each_task_that_changes_them_and_survive_a_restart(make_engine, engine, world):
    people, a = world["people"], world["ids"]["a"]
    # a's "by" went sam -> mia -> fay: only the last value is found.
    assert found(engine, world, data=(("by", "fay"),)) == ["a"]
    assert found(engine, world, data=(("by", "sam"),)) == []
    with engine.db.read() as conn:
        rows = dict(
            conn.execute(
                select(instance_values.c.name, instance_values.c.value).where(
                    instance_values.c.instance_id == a
                )
            ).all()
        )
    assert rows["by"] == "fay" and rows["approved"] == "true" and rows["note"] == "first"
    assert rows["initiator"] == "sam" and rows["customer"] == "ACME"
    # A new process (a fresh Engine) reads the same rows, and keeps them in step when it works.
    fresh = make_engine()
    c = world["ids"]["c"]
    complete(fresh, c, "submit", people["sue"], {"by": "sue", "note": "second"})
    assert found(fresh, world, data=(("note", "second"),)) == ["c"]
    assert found(fresh, world, data=(("by", "sue"),)) == ["c"]
    complete(fresh, c, "finance_review", people["fay"], {"by": "fay"})
    assert sorted(found(fresh, world, data=(("by", "fay"),))) == ["a", "c"]
    assert found(fresh, world, data=(("by", "sue"),)) == []


def test_orders_with_rows_without_a_value_last_both_ways(engine, world):
    assert found(engine, world) == ["d", "c", "b", "a"]  # started, newest first; a and b tie: by id
    assert found(engine, world, descending=False) == ["a", "b", "c", "d"]
    assert found(engine, world, sort="business_key", descending=False) == ["c", "a", "b", "d"]
    assert found(engine, world, sort="business_key") == ["b", "a", "c", "d"]
    assert found(engine, world, sort="ended", descending=False) == ["a", "b", "c", "d"]
    assert found(engine, world, sort="ended") == ["b", "a", "d", "c"]
    assert found(engine, world, sort="status", descending=False) == ["b", "a", "c", "d"]
    assert found(engine, world, sort="process", descending=False) == ["a", "b", "c", "d"]


@pytest.mark.parametrize("sort", ["started", "ended", "business_key", "status", "process"])
@pytest.mark.parametrize("descending", [True, False])
def test_cursor_paging_reads_every_row_once_in_order_through_ties(engine, world, sort, descending, plan):
    people = world["people"]
    for i in range(7):  # seven more at one instant, half with a key: ties and nulls in every order
        engine.runtime.start(
            "bench_approval", people["sue"], {"customer": "Tie"}, business_key=f"T-{i}" if i % 2 else None
        )
    # Filters the order's index knows nothing of (b, cancelled, has no amount left: 10 of the 11).
    search = InstanceSearch(sort=sort, descending=descending, limit=3, data=(("amount", "250000"),))
    whole = [i.id for i in engine.runtime.search(people["ann"], replace(search, limit=50)).items]
    assert len(whole) == 10
    seen, pages = [], 0
    while True:
        page = engine.runtime.search(people["ann"], search)
        seen += [i.id for i in page.items]
        pages += 1
        if page.next_cursor is None:
            break
        search = replace(search, after=page.next_cursor)
    assert seen == whole and pages == 4
    # The offset pages of the API's older clients read the same order.
    offsets = [
        i.id
        for offset in range(0, 12, 3)
        for i in engine.runtime.search(people["ann"], replace(search, after=None, offset=offset)).items
    ]
    assert offsets == whole


def test_a_count_is_capped_and_asked_for(engine, world):
    ann = world["people"]["ann"]
    assert engine.runtime.search(ann, InstanceSearch()).total is None
    page = engine.runtime.search(ann, InstanceSearch(count=True, limit=1, data=(("customer", "ACME"),)))
    assert (page.total, page.total_capped, len(page.items)) == (2, False, 1)


def test_an_employee_finds_only_what_he_may_read(engine, world):
    assert found(engine, world, actor="eve") == []
    assert found(engine, world, actor="eve", data=(("customer", "ACME"),)) == []
    # sue started c, and may claim d's first task (sales): she reads both, not a or b.
    assert sorted(found(engine, world, actor="sue")) == ["c", "d"]
    assert sorted(found(engine, world, actor="mia", participant="sam")) == ["a"]
    exported = list(engine.runtime.export(world["people"]["eve"], InstanceSearch(), 100))
    assert exported == []


def test_the_export_reads_every_match_in_order_up_to_its_cap(engine, world):
    ann = world["people"]["ann"]
    assert [i.id for i in engine.runtime.export(ann, InstanceSearch(), 100)] == [
        world["ids"][k] for k in "dcba"
    ]
    assert len(list(engine.runtime.export(ann, InstanceSearch(), 3))) == 3


@pytest.mark.parametrize(
    ("search", "field"),
    [
        (InstanceSearch(sort="amount"), "sort"),
        (InstanceSearch(status="done"), "status"),
        (InstanceSearch(data=(("1st", "x"),)), "data"),
        (InstanceSearch(data=(("a b", "x"),)), "data"),
        (InstanceSearch(data=(("note", "x" * 201),)), "data"),
        (InstanceSearch(started_from=datetime(2026, 1, 1)), "started_from"),
        (InstanceSearch(ended_to=datetime(2026, 1, 1)), "ended_to"),
        (InstanceSearch(version=1), "version"),
        (InstanceSearch(model_key="m", version=0), "version"),
        (InstanceSearch(business_key="*"), "business_key"),
        (InstanceSearch(after="not-a-cursor"), "after"),
        (InstanceSearch(after="WyJzdGFydGVkIix0cnVlLCJ4IiwxXQ"), "after"),  # ["started",true,"x",1]
        (InstanceSearch(after="WyJzdGFydGVkIix0cnVlLG51bGwsMV0"), "after"),  # a null started
        (InstanceSearch(after="WyJlbmRlZCIsdHJ1ZSxudWxsLDFd"), "after"),  # made for another order
    ],
)
def test_what_cannot_be_a_search_is_refused_naming_the_field(engine, search, field):
    with pytest.raises(InvalidInput) as refused:
        engine.runtime.search(SYSTEM, search)
    assert [p.field for p in refused.value.problems] == [field]
