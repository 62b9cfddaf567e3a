import json

import pytest
from sqlalchemy import delete, insert, select, update

from engine.actor import SYSTEM
from engine.errors import NotFound, PermissionDenied
from engine.store.schema import history_events
from engine.tasks.service import TaskQuery
from tests.conftest import BENCH_MODELS
from tests.factories import add_users, deploy_path


@pytest.fixture
def finished(engine):
    deploy_path(engine, BENCH_MODELS / "bench_approval.bpmn")
    people = add_users(engine, sam="sales", mia="manager", fay="finance")
    instance = engine.runtime.start("bench_approval", people["sam"])
    for user in ("sam", "mia", "fay"):
        task = engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance.id))[0]
        engine.tasks.complete(task.id, people[user], {})
    return instance.id


def test_every_step_is_recorded_with_actor_version_and_element(engine, finished):
    events = engine.history.events(finished, SYSTEM)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    kinds = [e.type for e in events]
    assert kinds[0] == "instance_started" and kinds[-1] == "instance_completed"
    completed = [e for e in events if e.type == "task_completed"]
    assert [(e.actor, e.element_id) for e in completed] == [
        ("sam", "submit"),
        ("mia", "manager_approve"),
        ("fay", "finance_review"),
    ]
    decision = next(e for e in events if e.type == "gateway_decision")
    assert decision.element_id == "gw_amount"
    assert decision.data["taken"] == [
        {"flow": "f_big", "target": "manager_approve", "condition": "amount > 100000"}
    ]
    script = next(e for e in events if e.type == "data_set")
    assert script.element_id == "prepare" and script.data["changed"] == {"amount": 250000, "approvals": []}
    assert {(e.model_key, e.model_version) for e in events} == {("bench_approval", 1)}
    assert engine.history.verify(finished, SYSTEM).ok


def _tamper(engine, statement):
    with engine.db.transaction() as conn:
        conn.execute(statement)


def test_an_altered_event_breaks_the_chain_at_that_event(engine, finished):
    row = next(
        e for e in engine.history.events(finished, SYSTEM) if e.type == "task_completed" and e.actor == "mia"
    )
    forged = json.dumps({"data": {"signed_by": "someone else"}})
    _tamper(
        engine,
        update(history_events)
        .where((history_events.c.instance_id == finished) & (history_events.c.seq == row.seq))
        .values(data=forged),
    )
    result = engine.history.verify(finished, SYSTEM)
    assert not result.ok and result.first_broken_seq == row.seq and "altered" in result.reason
    assert f"BROKEN at event {row.seq}" in result.describe()


def test_a_changed_actor_is_detected(engine, finished):
    _tamper(
        engine,
        update(history_events)
        .where((history_events.c.instance_id == finished) & (history_events.c.seq == 1))
        .values(actor="mallory"),
    )
    assert engine.history.verify(finished, SYSTEM).first_broken_seq == 1


def test_removed_events_are_detected_in_the_middle_and_at_the_end(engine, finished):
    last = engine.history.events(finished, SYSTEM)[-1].seq
    _tamper(
        engine,
        delete(history_events).where(
            (history_events.c.instance_id == finished) & (history_events.c.seq == last)
        ),
    )
    result = engine.history.verify(finished, SYSTEM)
    assert not result.ok and result.first_broken_seq == last

    _tamper(
        engine,
        delete(history_events).where(
            (history_events.c.instance_id == finished) & (history_events.c.seq == 3)
        ),
    )
    assert engine.history.verify(finished, SYSTEM).first_broken_seq == 3


def test_an_inserted_event_is_detected(engine, finished):
    with engine.db.read() as conn:
        row = conn.execute(
            select(history_events).where(
                (history_events.c.instance_id == finished) & (history_events.c.seq == 4)
            )
        ).one()
    values = dict(row._mapping)
    _tamper(
        engine,
        update(history_events)
        .where((history_events.c.instance_id == finished) & (history_events.c.seq >= 4))
        .values(seq=history_events.c.seq + 1000),
    )
    values.pop("id")
    values["type"] = "task_completed"
    _tamper(engine, insert(history_events).values(**values))
    assert engine.history.verify(finished, SYSTEM).first_broken_seq == 4


def test_unknown_instances(engine):
    with pytest.raises(NotFound):
        engine.history.verify(999, SYSTEM)
    with pytest.raises(NotFound):
        engine.history.events(999, SYSTEM)


def test_only_participants_auditors_and_owners_read_a_trail(engine, finished):
    outsider, auditor = add_users(engine, olaf="legal", ann="auditor").values()
    with pytest.raises(PermissionDenied):
        engine.history.events(finished, outsider)
    with pytest.raises(PermissionDenied):
        engine.history.verify(finished, outsider)
    assert engine.history.verify(finished, auditor).ok
    mia = engine.identity.actor("mia")  # approved one step
    assert engine.history.events(finished, mia)[0].type == "instance_started"
