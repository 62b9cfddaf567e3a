import json

import pytest
from sqlalchemy import func, select

from engine.actor import SYSTEM
from engine.errors import (
    Conflict,
    DataValidationError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    WorkflowError,
)
from engine.history import recorder
from engine.store.schema import history_events, instance_task_states, process_instances, user_tasks
from engine.tasks import projection
from engine.tasks.service import TaskQuery
from tests.conftest import BENCH_MODELS
from tests.factories import MODELS, add_users, deploy_files, deploy_path

APPROVAL = BENCH_MODELS / "bench_approval.bpmn"


@pytest.fixture
def people(engine):
    return add_users(
        engine, sam="sales", mia="manager", fay="finance", lee="legal", ann="auditor", olga="process_owner"
    )


def open_task(engine, instance_id, element_id):
    tasks = engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance_id))
    return next(t for t in tasks if t.element_id == element_id)


def finish(engine, people, instance_id):
    for element, user in (("submit", "sam"), ("manager_approve", "mia"), ("finance_review", "fay")):
        engine.tasks.complete(open_task(engine, instance_id, element).id, people[user], {"by": user})


def test_an_instance_runs_to_completion_through_the_inbox(engine, people):
    deploy_path(engine, APPROVAL)
    started = engine.runtime.start("bench_approval", people["sam"], {"customer": "ACME"})
    assert started.status == "running" and started.model_version == 1
    assert started.data["amount"] == 250000 and started.data["initiator"] == "sam"
    finish(engine, people, started.id)
    done = engine.runtime.get(started.id, SYSTEM)
    assert done.status == "completed" and done.ended_at is not None
    assert done.data["by"] == "fay" and done.data["customer"] == "ACME"
    assert engine.tasks.list(SYSTEM, TaskQuery(instance_id=started.id)) == []


def test_a_running_instance_stays_on_its_version_when_a_new_one_is_deployed(engine, people):
    original = APPROVAL.read_text()
    deploy_files(engine, {"bench_approval.bpmn": original})
    old = engine.runtime.start("bench_approval", people["sam"])
    # Version 2 skips the manager for every amount.
    deploy_files(engine, {"bench_approval.bpmn": original.replace("amount &gt; 100000", "amount &gt; 10**9")})
    new = engine.runtime.start("bench_approval", people["sam"])
    assert (old.model_version, new.model_version) == (1, 2)
    for instance_id in (old.id, new.id):
        engine.tasks.complete(open_task(engine, instance_id, "submit").id, people["sam"])
    assert open_task(engine, old.id, "manager_approve")
    assert open_task(engine, new.id, "finance_review")
    finish_old = [("manager_approve", "mia"), ("finance_review", "fay")]
    for element, user in finish_old:
        engine.tasks.complete(open_task(engine, old.id, element).id, people[user])
    assert engine.runtime.get(old.id, SYSTEM).status == "completed"
    assert {e.model_version for e in engine.history.events(old.id, SYSTEM)} == {1}


def test_an_explicit_version_can_be_started(engine, people):
    original = APPROVAL.read_text()
    deploy_files(engine, {"bench_approval.bpmn": original})
    deploy_files(engine, {"bench_approval.bpmn": original.replace('name="Prepare"', 'name="P"')})
    assert engine.runtime.start("bench_approval", people["sam"], version=1).model_version == 1
    with pytest.raises(NotFound, match="has no version 7"):
        engine.runtime.start("bench_approval", people["sam"], version=7)


def test_the_state_survives_a_restart_of_the_engine(make_engine, people, engine):
    deploy_path(engine, APPROVAL)
    instance = engine.runtime.start("bench_approval", people["sam"], {"customer": "ACME"})
    engine.tasks.complete(open_task(engine, instance.id, "submit").id, people["sam"], {"note": "x"})
    fresh = make_engine()  # another process: no cache, rebuilds from the task rows
    fresh.tasks.complete(open_task(fresh, instance.id, "manager_approve").id, people["mia"])
    fresh.tasks.complete(open_task(fresh, instance.id, "finance_review").id, people["fay"])
    info = fresh.runtime.get(instance.id, SYSTEM)
    assert info.status == "completed" and info.data["note"] == "x"


def test_the_instance_data_shows_work_done_inside_an_embedded_subprocess(make_engine, people, engine):
    deploy_path(engine, MODELS / "embedded")
    instance = engine.runtime.start("embedded", people["sam"], {"customer": "ACME"})
    assert engine.runtime.get(instance.id, SYSTEM).data["prepared"] == "yes"  # a script in the subprocess
    engine.tasks.complete(open_task(engine, instance.id, "first").id, people["mia"], {"note": "checked"})
    assert engine.runtime.get(instance.id, SYSTEM).data["note"] == "checked"
    fresh = make_engine()
    fresh.tasks.complete(open_task(fresh, instance.id, "second").id, people["mia"], {"more": 1})
    info = fresh.runtime.get(instance.id, SYSTEM)
    assert info.status == "completed"
    assert {k: info.data[k] for k in ("customer", "prepared", "note", "more")} == {
        "customer": "ACME",
        "prepared": "yes",
        "note": "checked",
        "more": 1,
    }


def test_start_data_is_validated_against_the_start_form(engine, people):
    deploy_path(engine, MODELS / "countersign")
    with pytest.raises(DataValidationError) as err:
        engine.runtime.start("countersign", people["sam"], {"customer": "", "amount": -5})
    assert [p.field for p in err.value.problems] == ["amount", "customer"]
    with pytest.raises(DataValidationError) as err:
        engine.runtime.start("countersign", people["sam"], {"amount": 5})
    assert err.value.problems[0].field == "customer" and err.value.problems[0].message == "is required"
    assert engine.runtime.list(SYSTEM) == []


NESTED_REQUEST = {
    "type": "object",
    "required": ["customer", "amount"],
    "properties": {
        "amount": {"type": "number"},
        "customer": {
            "type": "object",
            "required": ["name", "country"],
            "properties": {"name": {"type": "string"}, "country": {"type": "string"}},
        },
    },
}


def test_every_missing_required_field_is_named_once_with_its_own_path(engine, people):
    bundle = engine.repository.bundles_from_paths([MODELS / "countersign"])[0]
    files = {**bundle.files, "forms/request.json": json.dumps(NESTED_REQUEST).encode()}
    deploy_files(engine, files)
    with pytest.raises(DataValidationError) as err:
        engine.runtime.start("countersign", people["sam"], {})
    assert [(p.field, p.message) for p in err.value.problems] == [
        ("customer", "is required"),
        ("amount", "is required"),
    ]
    assert err.value.message.endswith("2 invalid field(s)")
    with pytest.raises(DataValidationError) as err:
        engine.runtime.start("countersign", people["sam"], {"customer": {}, "amount": "lots"})
    assert sorted(p.field for p in err.value.problems) == ["amount", "customer/country", "customer/name"]
    assert engine.runtime.list(SYSTEM) == []


def test_start_data_may_not_set_engine_variables(engine, people):
    deploy_path(engine, APPROVAL)
    with pytest.raises(InvalidInput, match="initiator"):
        engine.runtime.start("bench_approval", people["sam"], {"initiator": "someone else"})


def test_business_keys_are_unique_per_model(engine, people):
    deploy_path(engine, APPROVAL)
    engine.runtime.start("bench_approval", people["sam"], business_key="REQ-1")
    with pytest.raises(Conflict, match="REQ-1"):
        engine.runtime.start("bench_approval", people["sam"], business_key="REQ-1")
    with pytest.raises(InvalidInput):
        engine.runtime.start("bench_approval", people["sam"], business_key="no spaces please")


def test_cancel_closes_the_open_tasks_and_only_the_initiator_or_an_owner_may(engine, people):
    deploy_path(engine, APPROVAL)
    instance = engine.runtime.start("bench_approval", people["sam"])
    with pytest.raises(PermissionDenied):
        engine.runtime.cancel(instance.id, people["mia"], "not mine")
    cancelled = engine.runtime.cancel(instance.id, people["sam"], reason="duplicate")
    assert cancelled.status == "cancelled"
    tasks = engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance.id, status=None))
    assert [t.status for t in tasks] == ["cancelled"]
    # Causal order: the command closes the instance's tasks, then the instance ends.
    assert [e.type for e in engine.history.events(instance.id, SYSTEM)][-2:] == [
        "task_cancelled",
        "instance_cancelled",
    ]
    with pytest.raises(Conflict, match="cancelled"):
        engine.runtime.cancel(instance.id, people["sam"], "twice")


def test_a_suspended_instance_refuses_work_until_resumed(engine, people):
    deploy_path(engine, APPROVAL)
    instance = engine.runtime.start("bench_approval", people["sam"])
    task = open_task(engine, instance.id, "submit")
    with pytest.raises(PermissionDenied):
        engine.runtime.suspend(instance.id, people["sam"], "not mine")
    engine.runtime.suspend(instance.id, people["olga"], reason="audit")
    assert engine.tasks.list(people["sam"], TaskQuery(mine=people["sam"])) == []
    with pytest.raises(Conflict, match="suspended"):
        engine.tasks.complete(task.id, people["sam"])
    engine.runtime.resume(instance.id, people["olga"], "audit done")
    engine.tasks.complete(task.id, people["sam"])
    assert open_task(engine, instance.id, "manager_approve")


def _snapshot(engine, instance_id):
    with engine.db.read() as conn:
        return (
            conn.execute(select(process_instances).where(process_instances.c.id == instance_id)).one(),
            conn.execute(select(instance_task_states).order_by(instance_task_states.c.task_id)).all(),
            conn.execute(select(user_tasks).order_by(user_tasks.c.id)).all(),
            conn.scalar(select(func.count()).select_from(history_events)),
        )


@pytest.mark.parametrize("target, name", [(projection, "sync_inbox"), (recorder.HistoryRecorder, "flush")])
def test_a_fault_in_the_middle_of_a_command_leaves_the_last_committed_state(
    engine, people, monkeypatch, target, name
):
    deploy_path(engine, APPROVAL)
    instance = engine.runtime.start("bench_approval", people["sam"])
    task = open_task(engine, instance.id, "submit")
    before = _snapshot(engine, instance.id)
    original = getattr(target, name)
    calls = []

    def failing(*args, **kwargs):
        original(*args, **kwargs)  # part of the writes happen, then the crash
        calls.append(1)
        raise RuntimeError("injected fault")

    monkeypatch.setattr(target, name, failing)
    with pytest.raises(RuntimeError, match="injected fault"):
        engine.tasks.complete(task.id, people["sam"], {"note": "lost"})
    assert calls
    assert _snapshot(engine, instance.id) == before
    monkeypatch.undo()
    engine.tasks.complete(task.id, people["sam"], {"note": "kept"})
    assert engine.runtime.get(instance.id, SYSTEM).data["note"] == "kept"
    assert engine.history.verify(instance.id, SYSTEM).ok


def test_a_failing_script_is_reported_with_its_element_and_changes_nothing(engine, people):
    model = APPROVAL.read_text().replace("amount &gt; 100000", "amount / divisor &gt; 1")
    deploy_files(engine, {"bench_approval.bpmn": model})
    instance = engine.runtime.start("bench_approval", people["sam"])
    task = open_task(engine, instance.id, "submit")
    before = _snapshot(engine, instance.id)
    with pytest.raises(WorkflowError) as err:
        engine.tasks.complete(task.id, people["sam"], {"divisor": 0})
    assert "gw_amount" in err.value.message and "ZeroDivisionError" in err.value.message
    state_before, tasks_before, inbox_before, events_before = before
    state_after, tasks_after, inbox_after, events_after = _snapshot(engine, instance.id)
    assert (state_after.revision, state_after.state, tasks_after, inbox_after) == (
        state_before.revision,
        state_before.state,
        tasks_before,
        inbox_before,
    )
    # Only the failed attempt was added to the audit trail.
    assert events_after == events_before + 1
    error = engine.history.events(instance.id, SYSTEM)[-1]
    assert (error.type, error.actor, error.element_id, error.task_id) == (
        "error",
        "sam",
        "gw_amount",
        task.id,
    )
    assert engine.history.verify(instance.id, SYSTEM).ok
    engine.tasks.complete(task.id, people["sam"], {"divisor": 1})
    assert open_task(engine, instance.id, "manager_approve")


def test_instance_data_is_readable_without_rebuilding_the_workflow(engine, people):
    deploy_path(engine, APPROVAL)
    engine.runtime.start("bench_approval", people["sam"], {"lines": [{"p": "x", "q": 2}]})
    with engine.db.read() as conn:
        stored = json.loads(conn.scalar(select(process_instances.c.data)))
    assert stored["lines"] == [{"p": "x", "q": 2}]


def test_employees_see_only_instances_they_take_part_in(engine, people):
    deploy_path(engine, APPROVAL)
    instance = engine.runtime.start("bench_approval", people["sam"])
    assert engine.runtime.get(instance.id, people["ann"]).id == instance.id  # auditor
    with pytest.raises(PermissionDenied):
        engine.runtime.get(instance.id, people["fay"])  # finance has no task yet
    assert engine.runtime.list(people["fay"]) == []
    engine.tasks.complete(open_task(engine, instance.id, "submit").id, people["sam"])
    assert [i.id for i in engine.runtime.list(people["mia"])] == [instance.id]  # a candidate now


def test_start_data_holds_only_what_the_start_form_declares(engine):
    """A requester cannot decide in advance a variable the model sets later (an approval level, a flag
    a gateway reads): start data is the start form's fields, like every other step's."""
    people = add_users(engine, sam="sales")
    deploy_path(engine, MODELS / "countersign")
    with pytest.raises(DataValidationError) as refused:
        engine.runtime.start(
            "countersign", people["sam"], {"customer": "ACME", "amount": 100, "finance_approved": True}
        )
    assert [p.field for p in refused.value.problems] == ["finance_approved"]
    assert "declares: amount, customer, lines" in refused.value.problems[0].message
    assert engine.runtime.list(SYSTEM) == []
    assert engine.runtime.start("countersign", people["sam"], {"customer": "ACME", "amount": 100}).id == 1
