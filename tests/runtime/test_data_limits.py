"""Process data is bounded: its nesting (APPROVALS_MAX_DATA_DEPTH) and its size after each command
(APPROVALS_MAX_DATA_BYTES). Past either bound the command fails with DataTooLarge naming the bound
and where, and rolls back: no instance, task, history or state row of it is left behind."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine import Engine
from engine.actor import SYSTEM
from engine.datalimits import check_depth, too_deep
from engine.errors import DataTooLarge, InvalidInput
from engine.store.schema import history_events, instance_task_states, process_instances, timers
from engine.tasks.service import TaskQuery
from tests.factories import MODELS, add_users, deploy_files, deploy_path

CAP = 8 * 1024

SCRIPTED = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"
    targetNamespace="http://example.com/approvals">
  <bpmn:process id="scripted" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="fill"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:scriptTask id="build"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>SCRIPT</bpmn:script></bpmn:scriptTask>
    <bpmn:userTask id="check"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fill" />
    <bpmn:sequenceFlow id="f2" sourceRef="fill" targetRef="build" />
    <bpmn:sequenceFlow id="f3" sourceRef="build" targetRef="check" />
    <bpmn:sequenceFlow id="f4" sourceRef="check" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""

NESTING = "x = []\nfor i in range(LEVELS):\n    x = [x]"

# One branch's script makes a large variable; the branch that runs last does not have it, so only
# the task rows (not the instance's data, which is the latest task's) show it.
BRANCHES = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"
    targetNamespace="http://example.com/approvals">
  <bpmn:process id="branches" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:parallelGateway id="split"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>fa</bpmn:outgoing><bpmn:outgoing>fb</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:scriptTask id="big"><bpmn:incoming>fa</bpmn:incoming><bpmn:outgoing>fa2</bpmn:outgoing>
      <bpmn:script>notes = "n" * SIZE</bpmn:script></bpmn:scriptTask>
    <bpmn:scriptTask id="small"><bpmn:incoming>fb</bpmn:incoming><bpmn:outgoing>fb2</bpmn:outgoing>
      <bpmn:script>flag = 1</bpmn:script></bpmn:scriptTask>
    <bpmn:userTask id="ta"><bpmn:incoming>fa2</bpmn:incoming><bpmn:outgoing>fa3</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="tb"><bpmn:incoming>fb2</bpmn:incoming><bpmn:outgoing>fb3</bpmn:outgoing></bpmn:userTask>
    <bpmn:parallelGateway id="join"><bpmn:incoming>fa3</bpmn:incoming><bpmn:incoming>fb3</bpmn:incoming>
      <bpmn:outgoing>f9</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:endEvent id="end"><bpmn:incoming>f9</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="split" />
    <bpmn:sequenceFlow id="fa" sourceRef="split" targetRef="big" />
    <bpmn:sequenceFlow id="fb" sourceRef="split" targetRef="small" />
    <bpmn:sequenceFlow id="fa2" sourceRef="big" targetRef="ta" />
    <bpmn:sequenceFlow id="fb2" sourceRef="small" targetRef="tb" />
    <bpmn:sequenceFlow id="fa3" sourceRef="ta" targetRef="join" />
    <bpmn:sequenceFlow id="fb3" sourceRef="tb" targetRef="join" />
    <bpmn:sequenceFlow id="f9" sourceRef="join" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


@pytest.fixture
def capped(make_engine: Callable[..., Engine]) -> Engine:
    return make_engine(max_data_bytes=CAP)


def nested(levels: int) -> list:
    value: list = []
    for _ in range(levels - 1):
        value = [value]
    return value


def counts(engine: Engine) -> tuple[int, int, int]:
    with engine.db.read() as conn:
        return tuple(
            conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (process_instances, instance_task_states, history_events)
        )


def open_task(engine: Engine, instance_id: int, element_id: str):
    tasks = engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance_id))
    return next(t for t in tasks if t.element_id == element_id)


# --- the walk itself ------------------------------------------------------------------------


def test_depth_is_counted_in_containers_and_the_path_says_where() -> None:
    assert too_deep({"a": 1}, 1) is None
    assert too_deep({"a": [1]}, 1) == ["a"]
    assert too_deep({"a": [1], "b": {"c": {"d": 1}}}, 2) == ["b", "c"]
    assert too_deep(nested(32), 32) is None
    assert too_deep(nested(33), 32) == ["0"] * 32
    # Far deeper than Python's recursion limit: the walk does not recurse.
    assert too_deep(nested(100_000), 32) == ["0"] * 32
    with pytest.raises(InvalidInput) as caught:
        check_depth({"items": nested(40)}, 32, "--data")
    assert "--data nests more than 32 levels" in caught.value.message
    assert "items/0/0" in caught.value.message and "more)" in caught.value.message


# --- depth ----------------------------------------------------------------------------------


def test_start_data_deeper_than_the_limit_is_refused_and_nothing_is_stored(engine: Engine) -> None:
    deploy_files(engine, {"scripted.bpmn": SCRIPTED.replace("SCRIPT", "y = 1")})
    before = counts(engine)
    with pytest.raises(DataTooLarge) as caught:
        engine.runtime.start("scripted", SYSTEM, {"request": {"lines": nested(31)}})
    assert "APPROVALS_MAX_DATA_DEPTH=32" in caught.value.message
    assert caught.value.problems[0].field.startswith("request/lines/0")
    assert counts(engine) == before
    # The neighbour at the limit is fine.
    info = engine.runtime.start("scripted", SYSTEM, {"request": {"lines": nested(30)}})
    assert info.status == "running"


def test_a_script_cannot_build_data_deeper_than_the_limit(engine: Engine) -> None:
    deploy_files(engine, {"scripted.bpmn": SCRIPTED.replace("SCRIPT", NESTING.replace("LEVELS", "40"))})
    info = engine.runtime.start("scripted", SYSTEM, {})
    task = open_task(engine, info.id, "fill")
    before = counts(engine)
    with pytest.raises(DataTooLarge) as caught:
        engine.tasks.complete(task.id, SYSTEM, {})
    assert "x/0/0" in caught.value.message and "32 levels" in caught.value.message
    assert counts(engine) == before  # not even an "error" event: the command left nothing behind
    assert open_task(engine, info.id, "fill").status == task.status


def test_a_script_building_data_within_the_limit_runs(engine: Engine) -> None:
    deploy_files(engine, {"scripted.bpmn": SCRIPTED.replace("SCRIPT", NESTING.replace("LEVELS", "30"))})
    info = engine.runtime.start("scripted", SYSTEM, {})
    engine.tasks.complete(open_task(engine, info.id, "fill").id, SYSTEM, {})
    assert too_deep(engine.runtime.get(info.id, SYSTEM).data, 32) is None
    assert open_task(engine, info.id, "check")


# --- size -----------------------------------------------------------------------------------


def test_start_data_over_the_cap_is_refused_naming_the_cap_and_the_largest_fields(capped: Engine) -> None:
    deploy_files(capped, {"scripted.bpmn": SCRIPTED.replace("SCRIPT", "y = 1")})
    before = counts(capped)
    with pytest.raises(DataTooLarge) as caught:
        capped.runtime.start("scripted", SYSTEM, {"memo": "m" * CAP, "customer": "ACME", "note": "n" * 100})
    message = caught.value.message
    assert f"the limit is {CAP:,} bytes (APPROVALS_MAX_DATA_BYTES)" in message
    assert "memo (8,194 bytes)" in message
    assert [p.field for p in caught.value.problems][:2] == ["memo", "note"]
    assert counts(capped) == before
    assert capped.runtime.start("scripted", SYSTEM, {"memo": "m" * (CAP // 2)}).status == "running"


def test_a_completion_over_the_cap_changes_nothing(capped: Engine) -> None:
    deploy_path(capped, MODELS / "countersign")
    add_users(capped, fay="finance")
    fay = capped.identity.actor("fay")
    info = capped.runtime.start("countersign", SYSTEM, {"customer": "ACME", "amount": 100})
    task = open_task(capped, info.id, "finance_review")
    capped.tasks.claim(task.id, fay)
    before, data_before = counts(capped), capped.runtime.get(info.id, SYSTEM).data
    claimed = open_task(capped, info.id, "finance_review")
    with pytest.raises(DataTooLarge) as caught:
        capped.tasks.complete(task.id, fay, {"decision": "reject", "comment": "c" * CAP})
    assert "comment" in caught.value.message
    assert counts(capped) == before
    assert capped.runtime.get(info.id, SYSTEM).data == data_before
    assert open_task(capped, info.id, "finance_review") == claimed
    # The same completion with a comment of a sensible length goes through.
    capped.tasks.complete(task.id, fay, {"decision": "reject", "comment": "too expensive"})


def test_a_script_over_the_cap_is_refused(capped: Engine) -> None:
    deploy_files(capped, {"scripted.bpmn": SCRIPTED.replace("SCRIPT", f'blob = "b" * {CAP}')})
    info = capped.runtime.start("scripted", SYSTEM, {})
    before = counts(capped)
    with pytest.raises(DataTooLarge) as caught:
        capped.tasks.complete(open_task(capped, info.id, "fill").id, SYSTEM, {})
    assert "blob" in caught.value.message
    assert counts(capped) == before


def test_a_parallel_branch_over_the_cap_is_refused_too(capped: Engine) -> None:
    deploy_files(capped, {"branches.bpmn": BRANCHES.replace("SIZE", str(CAP))})
    before = counts(capped)
    with pytest.raises(DataTooLarge) as caught:
        capped.runtime.start("branches", SYSTEM, {})
    assert "notes" in caught.value.message
    assert counts(capped) == before
    deploy_files(capped, {"branches.bpmn": BRANCHES.replace("SIZE", str(CAP // 4))})
    assert capped.runtime.start("branches", SYSTEM, {}).status == "running"


def test_a_message_payload_over_the_cap_is_refused_and_the_instance_keeps_waiting(capped: Engine) -> None:
    deploy_path(capped, MODELS / "confirmation")
    add_users(capped, cs="customer_service")
    cs = capped.identity.actor("cs")
    info = capped.runtime.start("confirmation", SYSTEM, {"complaint_no": "C-1"})
    before = counts(capped)
    with pytest.raises(DataTooLarge) as caught:
        capped.events.correlate_message("customer_confirmed", "C-1", {"note": "n" * CAP}, cs)
    assert "note" in caught.value.message
    assert counts(capped) == before
    assert capped.runtime.get(info.id, SYSTEM).status == "running"
    capped.events.correlate_message("customer_confirmed", "C-1", {"note": "fine", "satisfied": True}, cs)
    assert capped.runtime.get(info.id, SYSTEM).status == "completed"


def test_the_cap_holds_for_the_data_a_command_leaves_not_only_for_what_it_adds(capped: Engine) -> None:
    # Each command adds less than the cap; the second leaves more than it in the instance's data.
    deploy_path(capped, MODELS / "countersign")
    add_users(capped, fay="finance")
    fay = capped.identity.actor("fay")
    info = capped.runtime.start("countersign", SYSTEM, {"customer": "a" * (CAP // 2 + 100), "amount": 1})
    task = open_task(capped, info.id, "finance_review")
    before = counts(capped)
    with pytest.raises(DataTooLarge) as caught:
        capped.tasks.complete(task.id, fay, {"decision": "reject", "comment": "b" * (CAP // 2)})
    assert [p.field for p in caught.value.problems][:2] == ["customer", "comment"]
    assert counts(capped) == before
    capped.tasks.complete(task.id, fay, {"decision": "reject", "comment": "short"})


TIMED = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="http://example.com/approvals">
  <bpmn:process id="timed" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="later"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition id="t1"><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT1H</bpmn:timeDuration>
      </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:scriptTask id="build"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>blob = "b" * SIZE</bpmn:script></bpmn:scriptTask>
    <bpmn:userTask id="check"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="later" />
    <bpmn:sequenceFlow id="f2" sourceRef="later" targetRef="build" />
    <bpmn:sequenceFlow id="f3" sourceRef="build" targetRef="check" />
    <bpmn:sequenceFlow id="f4" sourceRef="check" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


def test_a_timer_whose_step_goes_over_the_cap_fails_and_stays_pending(capped: Engine, clock) -> None:
    deploy_files(capped, {"timed.bpmn": TIMED.replace("SIZE", str(CAP))})
    info = capped.runtime.start("timed", SYSTEM, {})
    before = capped.runtime.get(info.id, SYSTEM)
    clock.advance(timedelta(hours=2))
    assert capped.timers.fire_due().failed == 1
    with capped.db.read() as conn:
        (timer,) = conn.execute(select(timers).where(timers.c.instance_id == info.id)).all()
    assert timer.status == "pending" and "APPROVALS_MAX_DATA_BYTES" in timer.last_error
    assert capped.runtime.get(info.id, SYSTEM).data == before.data  # the failure is recorded, nothing else
    # The same model with a variable within the cap moves on when its timer fires.
    deploy_files(capped, {"timed.bpmn": TIMED.replace("SIZE", str(CAP // 4))})
    small = capped.runtime.start("timed", SYSTEM, {})
    clock.advance(timedelta(hours=2))
    capped.timers.fire_due()
    assert open_task(capped, small.id, "check")


def test_an_instance_stored_under_a_higher_cap_keeps_moving_while_its_data_does_not_grow(
    make_engine: Callable[..., Engine], capped: Engine
) -> None:
    roomy = make_engine(max_data_bytes=4 * CAP)  # the same database, before the cap was lowered
    deploy_files(roomy, {"scripted.bpmn": SCRIPTED.replace("SCRIPT", "pass")})
    info = roomy.runtime.start("scripted", SYSTEM, {"memo": "m" * (2 * CAP)})
    capped.tasks.complete(open_task(capped, info.id, "fill").id, SYSTEM, {})  # the data stays as it was
    assert capped.runtime.suspend(info.id, SYSTEM, "too large").status == "suspended"
    assert capped.runtime.resume(info.id, SYSTEM, "looked at").status == "running"
    assert capped.runtime.cancel(info.id, SYSTEM, "too large").status == "cancelled"
    # A command that makes the data different is held to today's cap.
    deploy_files(roomy, {"scripted.bpmn": SCRIPTED.replace("SCRIPT", "y = 1")})
    grown = roomy.runtime.start("scripted", SYSTEM, {"memo": "m" * (2 * CAP)})
    with pytest.raises(DataTooLarge):
        capped.tasks.complete(open_task(capped, grown.id, "fill").id, SYSTEM, {})
