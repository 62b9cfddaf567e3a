"""Timers with a moved clock: boundary (reminder, escalation, expiry), intermediate date, event-based
gateway, cycle start events, catch-up, retries and incidents."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from engine.actor import SYSTEM
from engine.errors import Conflict
from engine.store.schema import outbox
from engine.tasks.service import TaskQuery
from tests.factories import MODELS, add_users, deploy_files, deploy_path


def open_tasks(engine, instance_id):
    return {t.element_id: t for t in engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance_id))}


def pending(engine, instance_id=None):
    return {t.element_id: t for t in engine.timers.list(SYSTEM, instance_id=instance_id)}


def events(engine, instance_id, *types):
    return [e for e in engine.history.events(instance_id, SYSTEM) if not types or e.type in types]


@pytest.fixture
def people(engine):
    deploy_path(engine, MODELS / "deadlines")
    return add_users(engine, sam="sales_rep", mona="sales_manager", vic="sales_vp", root="admin")


def start(engine, people, **data):
    data.setdefault("valid_until", "2026-04-30T18:00:00+08:00")
    return engine.runtime.start("deadlines", people["sam"], data)


def test_boundary_timers_are_rows_created_with_the_instance(engine, people, clock):
    instance = start(engine, people)
    timers = pending(engine, instance.id)
    assert {k: v.due_at - clock.now() for k, v in timers.items()} == {
        "remind_after_2d": timedelta(days=2),
        "escalate_after_3d": timedelta(days=3),
        "expire_after_14d": timedelta(days=14),
    }
    assert {t.kind for t in timers.values()} == {"boundary"}
    assert engine.timers.fire_due().fired == 0  # nothing is due yet
    assert len(events(engine, instance.id, "timer_scheduled")) == 3


def test_reminder_then_escalation_as_the_model_says(engine, people, clock):
    instance = start(engine, people)
    review = open_tasks(engine, instance.id)["review"]
    engine.tasks.claim(review.id, people["mona"])
    clock.advance(timedelta(days=2, seconds=1))
    assert engine.timers.fire_due().fired == 1
    reminder = events(engine, instance.id, "task_reminder")[0]
    assert reminder.data["to"] == ["mona"] and reminder.actor == "timer"
    with engine.db.read() as conn:
        assert [r.kind for r in conn.execute(select(outbox))] == ["reminder"]
    clock.advance(timedelta(days=1))
    assert engine.timers.fire_due().fired == 1
    review = open_tasks(engine, instance.id)["review"]
    assert review.candidate_groups == ["sales_manager", "sales_vp"] and review.assignee is None
    escalated = events(engine, instance.id, "task_escalated")[0]
    assert escalated.data["added_groups"] == ["sales_vp"] and escalated.data["released_from"] == "mona"
    engine.tasks.complete(review.id, people["vic"])
    timers = pending(engine, instance.id)
    assert list(timers) == ["valid_until"]  # the expiry was cancelled with the task
    assert timers["valid_until"].due_at == datetime(2026, 4, 30, 10, 0, tzinfo=UTC)
    assert [e.element_id for e in events(engine, instance.id, "timer_cancelled")] == ["expire_after_14d"]
    assert engine.history.verify(instance.id, SYSTEM).ok


def test_an_interrupting_timer_expires_the_task(engine, people, clock):
    instance = start(engine, people)
    clock.advance(timedelta(days=15))
    report = engine.timers.fire_due()
    assert report.fired >= 1 and report.failed == 0
    done = engine.runtime.get(instance.id, SYSTEM)
    assert done.status == "completed" and done.data["outcome"] == "expired"
    assert open_tasks(engine, instance.id) == {}
    assert pending(engine, instance.id) == {}
    fired = {e.element_id for e in events(engine, instance.id, "timer_fired")}
    assert "expire_after_14d" in fired
    assert [e.type for e in events(engine, instance.id) if e.element_id == "review"][-1] == "task_cancelled"


def test_a_date_timer_from_the_form_and_catch_up_after_downtime(engine, people, clock):
    instance = start(engine, people, valid_until="2026-03-05")  # a date without offset: Asia/Shanghai
    engine.tasks.complete(open_tasks(engine, instance.id)["review"].id, people["mona"])
    due = pending(engine, instance.id)["valid_until"].due_at
    assert due == datetime(2026, 3, 4, 16, 0, tzinfo=UTC)
    clock.advance(timedelta(days=60))  # nothing ran meanwhile: it fires once on the next poll
    assert engine.timers.fire_due().fired == 1
    assert engine.runtime.get(instance.id, SYSTEM).data["outcome"] == "lapsed after approval"


def test_a_suspended_instance_keeps_its_timers_until_resumed(engine, people, clock):
    owner = add_users(engine, olga="process_owner")["olga"]
    instance = start(engine, people)
    engine.runtime.suspend(instance.id, owner, "hold")
    clock.advance(timedelta(days=20))
    assert engine.timers.fire_due().fired == 0
    engine.runtime.resume(instance.id, owner, "go on")
    assert engine.timers.fire_due().fired >= 1
    assert engine.runtime.get(instance.id, SYSTEM).status == "completed"


def test_a_cycle_start_event_starts_an_instance_on_the_last_day_of_every_month(engine, clock):
    clock.set(datetime(2026, 1, 20, 0, 0, tzinfo=UTC))
    deploy_path(engine, MODELS / "monthly")
    start_timer = pending(engine)["month_end"]
    assert start_timer.kind == "start" and start_timer.instance_id is None
    assert start_timer.due_at == datetime(2026, 1, 31, 10, 0, tzinfo=UTC)
    fired_on = []
    for _ in range(4):
        clock.set(pending(engine)["month_end"].due_at)
        assert engine.timers.fire_due().fired == 1
        fired_on.append(clock.now().astimezone().date().isoformat())
    assert [d[5:] for d in fired_on] == ["01-31", "02-28", "03-31", "04-30"]
    started = engine.runtime.list(SYSTEM)
    assert len(started) == 4 and {i.initiator for i in started} == {"timer"}
    assert events(engine, started[0].id)[0].data["trigger"]["kind"] == "timer"


def test_a_new_version_moves_the_start_timer_and_catch_up_fires_once(engine, clock):
    clock.set(datetime(2026, 1, 20, 0, 0, tzinfo=UTC))
    first = deploy_path(engine, MODELS / "monthly")
    text = (
        (MODELS / "monthly" / "monthly.bpmn")
        .read_text()
        .replace('name="Review receivables"', 'name="Review"')
    )
    deploy_files(engine, {"monthly.bpmn": text})
    timers = engine.timers.list(SYSTEM, status=None)
    assert sorted((t.status, t.model_key) for t in timers) == [
        ("cancelled", "monthly"),
        ("pending", "monthly"),
    ]
    clock.set(datetime(2026, 6, 15, tzinfo=UTC))  # down for months: one catch-up start, not five
    assert engine.timers.fire_due().fired == 1
    (instance,) = engine.runtime.list(SYSTEM)
    assert instance.model_version == 2 and first.version.version == 1
    assert pending(engine)["month_end"].due_at == datetime(2026, 6, 30, 10, 0, tzinfo=UTC)


def test_failing_timers_are_retried_with_backoff_then_become_an_incident(make_engine, clock):
    engine = make_engine(timer_max_attempts=3, timer_retry_seconds=60)
    people = add_users(engine, sam="sales_rep", root="admin")
    text = (
        (MODELS / "deadlines" / "deadlines.bpmn")
        .read_text()
        .replace('outcome = "expired"', "outcome = 1 / divisor")
    )
    deploy_files(engine, {"deadlines.bpmn": text})
    instance = engine.runtime.start("deadlines", people["sam"], {"valid_until": "2026-04-30", "divisor": 0})
    clock.advance(timedelta(days=15))
    assert engine.timers.fire_due().failed == 1  # the two others fire
    expiry = pending(engine, instance.id)["expire_after_14d"]
    assert (
        expiry.attempts == 1
        and "ZeroDivisionError" in expiry.last_error
        and "mark_expired" in expiry.last_error
    )
    assert engine.timers.fire_due().fired == 0  # backing off
    clock.advance(timedelta(seconds=61))
    assert engine.timers.fire_due().failed == 1
    clock.advance(timedelta(seconds=121))
    assert engine.timers.fire_due().failed == 1
    (incident,) = engine.timers.list(SYSTEM, status="incident")
    assert incident.attempts == 3
    assert [e.type for e in events(engine, instance.id, "timer_failed", "incident")] == [
        "timer_failed",
        "timer_failed",
        "incident",
    ]
    clock.advance(timedelta(days=1))
    assert engine.timers.fire_due().fired == 0  # incidents wait for a person
    with pytest.raises(Exception, match="only admins"):
        engine.timers.retry(incident.id, people["sam"])
    engine.timers.retry(incident.id, people["root"])
    assert engine.timers.fire_due().failed == 1  # still failing: the data has to change first
    assert engine.runtime.get(instance.id, SYSTEM).status == "running"
    assert engine.history.verify(instance.id, SYSTEM).ok


def test_a_timer_that_has_not_failed_is_not_retried(engine, people, clock):
    """Retrying a pending timer before its time recorded `timer_fired` while nothing fired."""
    instance = start(engine, people)
    reminder = pending(engine, instance.id)["remind_after_2d"]
    with pytest.raises(Conflict, match="has not failed"):
        engine.timers.retry(reminder.id, people["root"])
    assert pending(engine, instance.id)["remind_after_2d"].due_at == reminder.due_at
    assert engine.timers.fire_due().fired == 0
    assert events(engine, instance.id, "timer_fired") == []


def test_literal_timer_definitions_are_checked_at_deploy_time(engine):
    text = (MODELS / "deadlines" / "deadlines.bpmn").read_text().replace(">P3D<", ">P3X<")
    with pytest.raises(Exception) as err:
        deploy_files(engine, {"deadlines.bpmn": text})
    problem = err.value.problems[0]
    assert problem.element_id == "escalate_after_3d" and "P3X" in problem.message and problem.line


def test_the_poller_knows_when_the_next_timer_comes_due(engine, people, clock):
    owner = add_users(engine, olga="process_owner")["olga"]
    assert engine.timers.next_due() is None
    first = start(engine, people)
    clock.advance(timedelta(hours=1))
    second = start(engine, people)
    assert engine.timers.next_due() == clock.now() - timedelta(hours=1) + timedelta(days=2)
    engine.runtime.suspend(first.id, owner, "hold")  # a suspended instance's timers cannot fire
    assert engine.timers.next_due() == clock.now() + timedelta(days=2)
    assert second.id != first.id


def test_escalating_a_task_open_to_anyone_restricts_it_to_the_escalation_group(engine, clock):
    people = add_users(engine, sam="sales_rep", ed="marketing", vic="sales_vp")
    text = (
        (MODELS / "deadlines" / "deadlines.bpmn")
        .read_text()
        .replace(' camunda:candidateGroups="sales_manager"', "")
    )
    deploy_files(engine, {"deadlines.bpmn": text})
    instance = engine.runtime.start("deadlines", people["sam"], {"valid_until": "2026-04-30T18:00:00+08:00"})
    review = open_tasks(engine, instance.id)["review"]
    assert review.candidate_groups == [] and review.candidate_users == []
    ed_may_claim = TaskQuery(claimable_by=people["ed"])
    assert [t.id for t in engine.tasks.list(people["ed"], ed_may_claim)] == [review.id]
    clock.advance(timedelta(days=3, seconds=1))
    engine.timers.fire_due()
    assert open_tasks(engine, instance.id)["review"].candidate_groups == ["sales_vp"]
    assert engine.tasks.list(people["ed"], ed_may_claim) == []
    assert engine.tasks.claim(review.id, people["vic"]).assignee == "vic"


def test_escalation_on_an_embedded_subprocess_reaches_the_task_open_inside_it(engine, clock):
    deploy_path(engine, MODELS / "watched")
    people = add_users(engine, sam="sales_rep", mona="sales_manager", vic="sales_vp")
    instance = engine.runtime.start("watched", people["sam"])
    first = open_tasks(engine, instance.id)["first"]
    engine.tasks.claim(first.id, people["mona"])
    clock.advance(timedelta(days=2, seconds=1))
    assert engine.timers.fire_due().fired == 1
    first = open_tasks(engine, instance.id)["first"]
    assert first.candidate_groups == ["sales_manager", "sales_vp"] and first.assignee is None
    (escalated,) = events(engine, instance.id, "task_escalated")
    assert escalated.element_id == "first" and escalated.data["by_event"] == "escalate_after_2d"
    engine.tasks.complete(first.id, people["vic"])
    # the subprocess goes on; its next task is not escalated (the timer fired once, non-interrupting)
    assert open_tasks(engine, instance.id)["second"].candidate_groups == ["sales_manager"]
