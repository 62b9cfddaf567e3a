"""External tasks through the engine: deploy rules, the wait, fetch-and-lock, reports, incidents."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest

from engine import Engine
from engine.actor import SYSTEM, Actor
from engine.clock import ManualClock
from engine.errors import DataTooLarge, InvalidInput, ModelValidationError, NotFound, PermissionDenied
from engine.external.service import ExternalTaskQuery, TopicRequest
from engine.runtime.stalls import why_waiting
from tests.external.models import PLAIN, SHIPPING, service_task
from tests.factories import add_users, deploy_files

MINUTE = 60_000


@pytest.fixture
def people(engine: Engine) -> dict[str, Actor]:
    return add_users(
        engine, w="external_worker", w2="external_worker", sam="sales", ann="auditor", root="admin"
    )


def _deploy(engine: Engine) -> None:
    deploy_files(engine, {"shipping.bpmn": SHIPPING})
    deploy_files(engine, {"plain.bpmn": PLAIN})


def _fetch(engine: Engine, actor: Actor, topic: str, worker: str = "w1", **kwargs: object) -> list:
    return engine.external.fetch_and_lock(actor, worker, 10, [TopicRequest(topic, MINUTE, **kwargs)])


def _events(engine: Engine, instance_id: int) -> list[str]:
    return [e.type for e in engine.history.events(instance_id, SYSTEM)]


# --- deploy -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "extension", "words"),
    [
        ('camunda:class="com.acme.Ship"', "", "camunda:class: a Java delegate cannot run here"),
        ('camunda:delegateExpression="${ship}"', "", "camunda:delegateExpression"),
        ('camunda:expression="${ship.go()}"', "", "camunda:expression"),
        (
            "",
            "<camunda:connector><camunda:connectorId>http-connector</camunda:connectorId></camunda:connector>",
            "camunda:connector",
        ),
        ("", "", "serviceTask has no implementation"),
        ('camunda:type="external"', "", "needs camunda:topic"),
        ('camunda:type="external" camunda:topic="${topic}"', "", "is an expression"),
        ('camunda:type="external" camunda:topic="t" camunda:taskPriority="${p}"', "", "whole number"),
        ('camunda:type="mail"', "", 'camunda:type="mail" cannot run here'),
    ],
)
def test_a_service_task_that_cannot_run_here_is_refused_naming_file_line_and_element(
    engine: Engine, attributes: str, extension: str, words: str
) -> None:
    with pytest.raises(ModelValidationError) as caught:
        deploy_files(engine, {"svc.bpmn": service_task(attributes, extension)})
    problems = [p for p in caught.value.problems if p.element_id == "task"]
    assert problems, caught.value.problems
    assert words in problems[0].message
    assert problems[0].file == "svc.bpmn" and problems[0].line == 7
    if "camunda:class" in words:
        assert 'camunda:type="external"' in problems[0].message  # the hint says what to do instead


def test_a_java_send_task_is_refused_and_a_plain_one_still_deploys(engine: Engine) -> None:
    with pytest.raises(ModelValidationError):
        deploy_files(engine, {"svc.bpmn": service_task('camunda:class="x.Y"', tag="sendTask")})
    deploy_files(engine, {"svc.bpmn": service_task("", tag="sendTask")})


# --- the happy path -----------------------------------------------------------------------------


def test_two_workers_drive_the_process_through_its_gateway_to_the_end(
    engine: Engine, people: dict[str, Actor]
) -> None:
    _deploy(engine)
    instance = engine.runtime.start("shipping", people["sam"], {"amount": 5}, business_key="PO-1")
    assert engine.runtime.get(instance.id, SYSTEM).status == "running"
    assert engine.tasks.list(SYSTEM) == []  # an external task never reaches the inbox
    (credit,) = _fetch(engine, people["w"], "credit-check")
    assert (credit.element_id, credit.priority, credit.business_key) == ("check_credit", 5, "PO-1")
    assert credit.variables["amount"] == 5 and credit.worker_id == "w1"
    assert _fetch(engine, people["w"], "credit-check", worker="other") == []  # locked
    engine.external.complete(credit.id, people["w"], "w1", {"credit_ok": True})
    (ship,) = _fetch(engine, people["w2"], "ship", worker="w2", variables=["credit_ok"])
    assert ship.variables == {"credit_ok": True}
    engine.external.complete(ship.id, people["w2"], "w2", {"tracking": "T-1"})
    done = engine.runtime.get(instance.id, SYSTEM)
    assert done.status == "completed" and done.data["tracking"] == "T-1"
    events = _events(engine, instance.id)
    assert events.count("external_task_created") == 2 and events.count("external_task_completed") == 2
    assert "external_task_locked" in events
    closed = engine.external.list(SYSTEM, ExternalTaskQuery(status="completed"))
    assert {t.element_id for t in closed} == {"check_credit", "ship"}
    assert engine.external.list(SYSTEM) == []
    assert engine.history.verify(instance.id, SYSTEM).ok


def test_a_worker_setting_the_gateway_variable_false_ends_elsewhere(engine: Engine, people: dict) -> None:
    _deploy(engine)
    instance = engine.runtime.start("shipping", people["sam"], {})
    (credit,) = _fetch(engine, people["w"], "credit-check")
    engine.external.complete(credit.id, people["w"], "w1", {"credit_ok": False})
    assert engine.runtime.get(instance.id, SYSTEM).status == "completed"
    assert _fetch(engine, people["w"], "ship") == []


def test_priority_orders_the_fetch_when_asked(engine: Engine, people: dict) -> None:
    _deploy(engine)
    engine.runtime.start("plain", people["sam"], {})
    engine.runtime.start("shipping", people["sam"], {})
    topics = [TopicRequest("work", MINUTE), TopicRequest("credit-check", MINUTE)]
    first = engine.external.fetch_and_lock(people["w"], "w1", 1, topics, use_priority=True)
    assert [t.topic for t in first] == ["credit-check"]


# --- hostile --------------------------------------------------------------------------------------


def test_only_the_worker_holding_the_lock_completes(engine: Engine, people: dict) -> None:
    _deploy(engine)
    engine.runtime.start("plain", people["sam"], {})
    (task,) = _fetch(engine, people["w"], "work")
    with pytest.raises(InvalidInput, match="locked by worker 'w1'"):
        engine.external.complete(task.id, people["w"], "intruder", {})
    with pytest.raises(NotFound):
        engine.external.complete("nope", people["w"], "w1", {})


def test_an_expired_lock_is_taken_by_another_worker_and_the_first_can_no_longer_report(
    engine: Engine, people: dict, clock: ManualClock
) -> None:
    _deploy(engine)
    instance = engine.runtime.start("plain", people["sam"], {})
    (task,) = _fetch(engine, people["w"], "work")
    clock.advance(timedelta(minutes=2))
    (again,) = _fetch(engine, people["w2"], "work", worker="w2")
    assert again.id == task.id and again.worker_id == "w2"
    with pytest.raises(InvalidInput):
        engine.external.complete(task.id, people["w"], "w1", {"x": 1})
    engine.external.complete(task.id, people["w2"], "w2", {"x": 2})
    assert engine.runtime.get(instance.id, SYSTEM).data["x"] == 2


def test_two_workers_fetching_at_once_never_get_the_same_task(
    make_engine: Callable[..., Engine], people: dict
) -> None:
    first, second = make_engine(), make_engine()
    _deploy(first)
    for _ in range(12):
        first.runtime.start("plain", people["sam"], {})
    got: dict[str, list[str]] = {"a": [], "b": []}
    barrier = threading.Barrier(2)

    def fetch(engine: Engine, name: str) -> None:
        barrier.wait()
        for _ in range(4):
            got[name] += [t.id for t in _fetch(engine, people["w"], "work", worker=name)]

    threads = [threading.Thread(target=fetch, args=(e, n)) for e, n in ((first, "a"), (second, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not set(got["a"]) & set(got["b"])
    assert len(got["a"]) + len(got["b"]) == 12


def test_failures_count_down_to_an_incident_that_an_admin_retries(
    engine: Engine, people: dict, clock: ManualClock
) -> None:
    _deploy(engine)
    instance = engine.runtime.start("plain", people["sam"], {})
    (task,) = _fetch(engine, people["w"], "work")
    engine.external.failure(
        task.id, people["w"], "w1", "SMTP down", "trace…", retries=1, retry_timeout_ms=5000
    )
    assert _fetch(engine, people["w"], "work") == []  # not before the retry timeout
    clock.advance(timedelta(seconds=6))
    (again,) = _fetch(engine, people["w"], "work")
    assert again.retries == 1 and again.error_message == "SMTP down"
    assert engine.external.error_details(task.id, people["ann"]) == "trace…"
    engine.external.failure(task.id, people["w"], "w1", "still down", retries=0)
    stuck = engine.external.get(task.id, people["ann"])
    assert stuck.status == "incident" and stuck.retries == 0
    assert engine.external.count(people["ann"], ExternalTaskQuery(no_retries_left=True)) == 1
    assert _fetch(engine, people["w"], "work") == []
    assert "incident" in _events(engine, instance.id)
    with engine.db.transaction() as conn:
        assert any("external task work has no retries left" in w for w in why_waiting(conn, instance.id))
    with pytest.raises(PermissionDenied):
        engine.external.set_retries(task.id, people["w"], 3)
    assert engine.external.set_retries(task.id, people["root"], 2).status == "open"
    (back,) = _fetch(engine, people["w"], "work")
    engine.external.complete(back.id, people["w"], "w1", {})
    assert engine.runtime.get(instance.id, SYSTEM).status == "completed"


def test_a_bpmn_error_is_caught_by_the_matching_boundary_event(engine: Engine, people: dict) -> None:
    _deploy(engine)
    instance = engine.runtime.start("shipping", people["sam"], {})
    (task,) = _fetch(engine, people["w"], "credit-check")
    caught = engine.external.bpmn_error(
        task.id, people["w"], "w1", "CREDIT_BLOCKED", "on hold", {"why": "debt"}
    )
    assert caught == "blocked"
    done = engine.runtime.get(instance.id, SYSTEM)
    assert done.status == "completed" and done.data["why"] == "debt"
    events = engine.history.events(instance.id, SYSTEM)
    assert any(e.type == "end_event" and e.element_id == "blocked_end" for e in events)
    assert _fetch(engine, people["w"], "ship") == []


def test_an_uncaught_bpmn_error_ends_the_path_as_in_camunda(engine: Engine, people: dict) -> None:
    _deploy(engine)
    instance = engine.runtime.start("plain", people["sam"], {})
    (task,) = _fetch(engine, people["w"], "work")
    assert engine.external.bpmn_error(task.id, people["w"], "w1", "UNKNOWN") is None
    done = engine.runtime.get(instance.id, SYSTEM)
    assert done.status == "completed" and "after" not in done.data
    other = engine.runtime.start("shipping", people["sam"], {})
    (credit,) = _fetch(engine, people["w"], "credit-check")
    assert engine.external.bpmn_error(credit.id, people["w"], "w1", "OTHER_CODE") is None
    assert engine.runtime.get(other.id, SYSTEM).status == "completed"


def test_a_task_of_a_cancelled_instance_cannot_be_completed(engine: Engine, people: dict) -> None:
    _deploy(engine)
    instance = engine.runtime.start("plain", people["sam"], {})
    (task,) = _fetch(engine, people["w"], "work")
    engine.runtime.cancel(instance.id, people["root"], "not needed")
    with pytest.raises(NotFound, match="cancelled"):
        engine.external.complete(task.id, people["w"], "w1", {})
    assert engine.external.get(task.id, people["root"]).status == "cancelled"
    assert "external_task_cancelled" in _events(engine, instance.id)


def test_an_interrupting_timer_cancels_the_external_task(
    engine: Engine, people: dict, clock: ManualClock
) -> None:
    _deploy(engine)
    instance = engine.runtime.start("shipping", people["sam"], {})
    (credit,) = _fetch(engine, people["w"], "credit-check")
    engine.external.complete(credit.id, people["w"], "w1", {"credit_ok": True})
    (ship,) = _fetch(engine, people["w"], "ship")
    clock.advance(timedelta(hours=2))
    engine.timers.fire_due()
    assert engine.runtime.get(instance.id, SYSTEM).status == "completed"
    assert engine.external.get(ship.id, SYSTEM).status == "cancelled"
    with pytest.raises(NotFound):
        engine.external.complete(ship.id, people["w"], "w1", {})


def test_a_suspended_instance_hands_out_no_work(engine: Engine, people: dict) -> None:
    _deploy(engine)
    instance = engine.runtime.start("plain", people["sam"], {})
    engine.runtime.suspend(instance.id, people["root"], "hold")
    assert _fetch(engine, people["w"], "work") == []
    engine.runtime.resume(instance.id, people["root"], "go on")
    assert len(_fetch(engine, people["w"], "work")) == 1


def test_variables_are_held_to_the_data_limits(make_engine: Callable[..., Engine], people: dict) -> None:
    engine = make_engine(max_data_bytes=4096, max_data_depth=8)
    _deploy(engine)
    instance = engine.runtime.start("plain", people["sam"], {})
    (task,) = _fetch(engine, people["w"], "work")
    with pytest.raises(DataTooLarge):
        engine.external.complete(task.id, people["w"], "w1", {"blob": "x" * 10_000})
    deep: dict = {}
    for _ in range(20):
        deep = {"d": deep}
    with pytest.raises(InvalidInput, match="levels deep"):
        engine.external.complete(task.id, people["w"], "w1", {"deep": deep})
    assert engine.runtime.get(instance.id, SYSTEM).status == "running"  # nothing half-done
    engine.external.complete(task.id, people["w"], "w1", {"small": 1})


def test_only_workers_and_admins_act_and_auditors_only_read(engine: Engine, people: dict) -> None:
    _deploy(engine)
    engine.runtime.start("plain", people["sam"], {})
    for who in ("sam", "ann"):
        with pytest.raises(PermissionDenied):
            _fetch(engine, people[who], "work")
    with pytest.raises(PermissionDenied):
        engine.external.list(people["sam"])
    (task,) = engine.external.list(people["ann"])
    with pytest.raises(PermissionDenied):
        engine.external.complete(task.id, people["ann"], "w1", {})
    assert len(_fetch(engine, people["root"], "work")) == 1  # an admin may act as a worker


def test_a_restart_between_fetch_and_complete_changes_nothing(
    make_engine: Callable[..., Engine], people: dict
) -> None:
    before = make_engine()
    _deploy(before)
    instance = before.runtime.start("shipping", people["sam"], {})
    (credit,) = _fetch(before, people["w"], "credit-check")
    before.close()
    after = make_engine()  # a new process: no cached workflow, the model compiled again
    after.external.complete(credit.id, people["w"], "w1", {"credit_ok": True})
    restarted = make_engine()
    (ship,) = _fetch(restarted, people["w"], "ship")
    make_engine().external.complete(ship.id, people["w"], "w1", {})
    assert make_engine().runtime.get(instance.id, SYSTEM).status == "completed"


def test_extend_lock_and_unlock(engine: Engine, people: dict, clock: ManualClock) -> None:
    _deploy(engine)
    engine.runtime.start("plain", people["sam"], {})
    (task,) = _fetch(engine, people["w"], "work")
    with pytest.raises(InvalidInput):
        engine.external.extend_lock(task.id, people["w"], "w2", MINUTE)
    engine.external.extend_lock(task.id, people["w"], "w1", 10 * MINUTE)
    clock.advance(timedelta(minutes=5))
    assert _fetch(engine, people["w"], "work", worker="w2") == []
    assert engine.external.count(people["ann"], ExternalTaskQuery(locked=True, worker_id="w1")) == 1
    engine.external.unlock(task.id, people["w"])
    assert engine.external.count(people["ann"], ExternalTaskQuery(not_locked=True)) == 1
    assert len(_fetch(engine, people["w"], "work", worker="w2")) == 1


def test_a_message_event_with_a_camunda_implementation_is_refused(engine: Engine) -> None:
    throw = (
        '<bpmn:intermediateThrowEvent id="task"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>'
        '<bpmn:messageEventDefinition camunda:type="external" camunda:topic="t" /></bpmn:intermediateThrowEvent>'
    )
    bpmn = service_task('camunda:type="external" camunda:topic="t"')
    start = bpmn.index("<bpmn:serviceTask")
    end = bpmn.index("</bpmn:serviceTask>") + len("</bpmn:serviceTask>")
    with pytest.raises(ModelValidationError) as caught:
        deploy_files(engine, {"svc.bpmn": bpmn[:start] + throw + bpmn[end:]})
    assert any(p.element_id == "task" and "outbox" in p.message for p in caught.value.problems)
