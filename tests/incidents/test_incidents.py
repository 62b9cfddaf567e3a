"""The operators' incidents through the engine: one list across the four sources, each with its cause,
newest first, filtered and paged; a retry of each kind moves its instance on and is in the trail;
who may read and who may retry."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.actor import SYSTEM
from engine.errors import Conflict, InvalidInput, PermissionDenied
from engine.external import TopicRequest
from engine.incidents import IncidentQuery
from engine.tasks import TaskQuery
from tests.call_activities.models import child_model
from tests.factories import add_users, deploy_files
from tests.incidents.scenario import make_incidents
from tests.runtime.test_concurrency import race


def _events(engine, instance_id, *types):
    return [e for e in engine.history.events(instance_id, SYSTEM) if e.type in types]


def test_each_kind_of_incident_is_listed_with_its_cause_and_each_retry_moves_it_on(make_engine, clock):
    engine = make_engine()
    made = make_incidents(engine, clock)
    people = add_users(engine, root="admin", olga="process_owner", ann="auditor", sam="sales")

    listed = engine.incidents.list(people["olga"])
    assert [(i.kind, i.instance_id, i.business_key) for i in listed] == [
        ("timer", made.timer, "TIMER-1"),
        ("external_task", made.external, "EXT-1"),
        ("call_activity", made.call, "CALL-1"),
        ("stalled", made.stalled, "STALL-1"),
    ]
    timer, external, call, stalled = listed
    assert "ZeroDivisionError" in timer.cause and "export" in timer.cause
    assert timer.attempts == engine.settings.timer_max_attempts and timer.element_id == "wait_hour"
    assert (
        external.cause == "the ledger is down" and external.element_id == "work" and external.attempts is None
    )
    assert "cannot start 'child'" in call.cause and call.element_id == "call_child"
    assert "waits for nothing" in stalled.cause and "join" in stalled.cause
    assert [i.model_key for i in listed] == ["nightly", "plain", "parent", "deadlock"]
    assert {i.model_version for i in listed} == {1}
    assert listed == sorted(listed, key=lambda i: i.since, reverse=True) and stalled.since < call.since
    assert timer.retry and external.retry and call.retry and stalled.retry is None
    assert not any(i.may_retry for i in listed)  # a process owner reads, an admin retries
    by_admin = engine.incidents.list(people["root"])
    assert [i.may_retry for i in by_admin] == [True, True, True, False]
    assert [i.may_retry for i in engine.incidents.list(people["ann"])] == [False] * 4

    # Filters and pages.
    assert [i.kind for i in engine.incidents.list(SYSTEM, IncidentQuery(kind="timer"))] == ["timer"]
    assert [i.kind for i in engine.incidents.list(SYSTEM, IncidentQuery(model_key="plain"))] == [
        "external_task"
    ]
    second_page = engine.incidents.list(SYSTEM, IncidentQuery(limit=2, offset=2))
    assert [i.kind for i in second_page] == ["call_activity", "stalled"]
    assert engine.incidents.counts(SYSTEM) == {
        "timer": 1,
        "external_task": 1,
        "call_activity": 1,
        "stalled": 1,
    }
    assert engine.incidents.counts(SYSTEM, "parent")["call_activity"] == 1
    assert sum(engine.incidents.counts(SYSTEM, "parent").values()) == 1

    # Hostile: who may not, and input that is not a kind.
    with pytest.raises(PermissionDenied):
        engine.incidents.list(people["sam"])
    with pytest.raises(InvalidInput, match="kind must be one of"):
        engine.incidents.list(SYSTEM, IncidentQuery(kind="volcano"))
    for who in ("ann", "olga", "sam"):
        with pytest.raises(PermissionDenied):
            engine.incidents.retry("timer", timer.id, people[who])
    with pytest.raises(InvalidInput):
        engine.incidents.retry("timer", "1; drop", people["root"])
    with pytest.raises(Conflict, match="waits for nothing"):
        engine.incidents.retry("stalled", stalled.id, people["root"])
    rights = engine.runtime.rights(made.timer, people["root"])
    assert rights.retry and rights.cancel and rights.suspend and not rights.resume
    assert not engine.runtime.rights(made.stalled, people["root"]).retry  # a stall is cancelled instead
    assert engine.runtime.rights(made.timer, people["ann"]) == type(rights)()  # an auditor: nothing

    # The timer: once its day has come, a retry fires it and the instance reaches the finance check.
    clock.advance(timedelta(days=3))
    assert engine.incidents.retry("timer", timer.id, people["root"]) == made.timer
    [retried] = _events(engine, made.timer, "incident_retried")
    assert retried.actor == "root" and retried.data["kind"] == "timer" and retried.element_id == "wait_hour"
    assert engine.timers.fire_due().fired == 1
    assert [t.element_id for t in engine.tasks.list(SYSTEM, TaskQuery(instance_id=made.timer))] == ["check"]

    # The external task: one retry, a worker fetches it again.
    engine.incidents.retry("external_task", external.id, people["root"])
    [reset] = _events(engine, made.external, "external_task_retries_set")
    assert reset.actor == "root" and (reset.data["retries"], reset.data["previous"]) == (1, 0)
    worker = engine.identity.actor("ops_worker")
    assert [
        t.id for t in engine.external.fetch_and_lock(worker, "w2", 1, [TopicRequest("work", 60_000)])
    ] == [external.id]

    # The call activity: its model deployed since, a retry starts the child.
    deploy_files(engine, {"child.bpmn": child_model()})
    engine.incidents.retry("call_activity", call.id, people["root"])
    assert [c["status"] for c in engine.runtime.get(made.call, SYSTEM).children] == ["resolved", "running"]
    assert _events(engine, made.call, "incident_retried")[0].data["call_id"] == int(call.id)

    # The stall is ended by a cancel, with its reason in the trail.
    engine.runtime.cancel(made.stalled, people["olga"], "  the model is being fixed  ")
    [cancelled] = _events(engine, made.stalled, "instance_cancelled")
    assert cancelled.data["reason"] == "the model is being fixed"
    assert engine.incidents.list(SYSTEM) == []
    for instance_id in (made.timer, made.external, made.call, made.stalled):
        assert engine.history.verify(instance_id, SYSTEM).ok


def test_two_admins_retrying_the_same_incident_at_once_one_retries_the_other_is_told(make_engine, clock):
    engine = make_engine()
    other = make_engine()  # a second server process
    made = make_incidents(engine, clock)
    people = add_users(engine, root="admin", ada="admin")
    deploy_files(engine, {"child.bpmn": child_model()})
    for kind, incident_id, instance_id in (
        ("timer", str(made.timer_id), made.timer),
        ("external_task", made.external_task_id, made.external),
        ("call_activity", str(made.call_id), made.call),
    ):
        results = race(
            lambda k=kind, i=incident_id: engine.incidents.retry(k, i, people["root"]),
            lambda k=kind, i=incident_id: other.incidents.retry(k, i, people["ada"]),
        )
        assert sorted(type(r).__name__ for r in results) == ["Conflict", "int"], (kind, results)
        kept = _events(engine, instance_id, "incident_retried", "external_task_retries_set")
        assert len(kept) == 1, (kind, kept)  # one retry in the trail, not two


def test_cancel_suspend_and_resume_need_a_reason_and_keep_it_in_the_trail(make_engine, clock):
    engine = make_engine()
    made = make_incidents(engine, clock)
    olga = add_users(engine, olga="process_owner")["olga"]
    before = engine.runtime.get(made.external, SYSTEM)
    for command in (engine.runtime.cancel, engine.runtime.suspend):
        for reason in (None, "", "   ", "x" * 2001):
            with pytest.raises(InvalidInput) as refused:
                command(made.external, olga, reason)
            assert [p.field for p in refused.value.problems] == ["reason"]
    after = engine.runtime.get(made.external, SYSTEM)
    assert (after.status, after.updated_at) == (before.status, before.updated_at)
    engine.runtime.suspend(made.external, olga, "waiting for the ledger")
    with pytest.raises(InvalidInput):
        engine.runtime.resume(made.external, olga, None)
    engine.runtime.resume(made.external, olga, "x" * 2000)
    reasons = [
        e.data["reason"] for e in _events(engine, made.external, "instance_suspended", "instance_resumed")
    ]
    assert reasons == ["waiting for the ledger", "x" * 2000]
