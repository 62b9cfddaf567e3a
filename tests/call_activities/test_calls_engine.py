"""Call activities through the engine: child instances of separately deployed models."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.actor import SYSTEM
from engine.errors import Conflict, ModelValidationError, NotFound, PermissionDenied, WorkflowError
from engine.runtime.calls import MAX_CALL_DEPTH
from engine.store.schema import instance_calls
from engine.tasks.service import TaskQuery
from tests.call_activities import models
from tests.factories import add_users, deploy_files


@pytest.fixture
def people(engine):
    return add_users(engine, sam="sales", ada="admin", olga="process_owner")


def open_task(engine, instance_id, element_id=None):
    tasks = [t for t in engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance_id))]
    if element_id is not None:
        tasks = [t for t in tasks if t.element_id == element_id]
    assert len(tasks) == 1, tasks
    return tasks[0]


def children(engine, instance_id):
    with engine.db.read() as conn:
        return conn.execute(
            select(instance_calls)
            .where(instance_calls.c.parent_instance_id == instance_id)
            .order_by(instance_calls.c.id)
        ).all()


def deploy_chain(engine):
    for name, text in (("grandchild", models.GRANDCHILD), ("child", models.CHILD), ("parent", models.PARENT)):
        deploy_files(engine, {f"{name}.bpmn": text})


def test_parent_child_grandchild_with_mappings_and_business_key(engine, people):
    deploy_chain(engine)
    parent = engine.runtime.start("parent", people["sam"], {"amount": 42}, business_key="REQ-1")
    assert parent.status == "running"
    [call] = children(engine, parent.id)
    assert call.status == "running" and call.parent_element_id == "call_child"
    child = engine.runtime.get(call.child_instance_id, SYSTEM)
    assert child.model_key == "child" and child.business_key == "REQ-1" and child.initiator == "sam"
    assert child.data["amount"] == 42
    engine.tasks.complete(open_task(engine, child.id, "review").id, people["sam"], {})
    [grand_call] = children(engine, child.id)
    grandchild = engine.runtime.get(grand_call.child_instance_id, SYSTEM)
    assert grandchild.business_key == "REQ-1" and grandchild.data["verdict"] == "small"
    engine.tasks.complete(open_task(engine, grandchild.id, "confirm").id, people["sam"], {"reviewer": "sam"})
    # The grandchild's completion completed the child (no wait after it) and moved the parent on.
    assert engine.runtime.get(grandchild.id, SYSTEM).status == "completed"
    assert engine.runtime.get(child.id, SYSTEM).status == "completed"
    parent_now = engine.runtime.get(parent.id, SYSTEM)
    assert parent_now.data["verdict"] == "small" and parent_now.data["child_reviewer"] == "sam"
    engine.tasks.complete(open_task(engine, parent.id, "after").id, people["sam"], {})
    assert engine.runtime.get(parent.id, SYSTEM).status == "completed"
    types = [e.type for e in engine.history.events(parent.id, SYSTEM)]
    assert "call_activity_started" in types and "call_activity_completed" in types


def history_types(engine, instance_id):
    return [e.type for e in engine.history.events(instance_id, SYSTEM)]


def test_latest_binding_takes_the_newest_version_and_a_pinned_version_stays(engine, people):
    deploy_files(engine, {"child.bpmn": models.child_model("review")})
    deploy_files(engine, {"child.bpmn": models.child_model("review_again")})
    deploy_files(engine, {"latest.bpmn": models.caller("latest", "child")})
    pinned = 'camunda:calledElementBinding="version" camunda:calledElementVersion="1"'
    deploy_files(engine, {"pinned.bpmn": models.caller("pinned", "child", attrs=pinned)})
    for key, version, task in (("latest", 2, "review_again"), ("pinned", 1, "review")):
        parent = engine.runtime.start(key, people["sam"])
        [call] = children(engine, parent.id)
        child = engine.runtime.get(call.child_instance_id, SYSTEM)
        assert (child.model_version, child.parent) == (
            version,
            {"instance_id": parent.id, "element_id": "call_it"},
        )
        open_task(engine, child.id, task)
        assert engine.runtime.get(parent.id, SYSTEM).children == [
            {
                "instance_id": child.id,
                "element_id": "call_it",
                "model_key": "child",
                "status": "running",
                "error": None,
            }
        ]


def test_without_mappings_nothing_passes_either_way(engine, people):
    deploy_files(engine, {"child.bpmn": models.child_model()})
    deploy_files(engine, {"plain.bpmn": models.caller("plain", "child")})
    parent = engine.runtime.start("plain", people["sam"], {"secret": 1}, business_key="P-1")
    child_id = children(engine, parent.id)[0].child_instance_id
    child = engine.runtime.get(child_id, SYSTEM)
    assert "secret" not in child.data and child.business_key is None and child.initiator == "sam"
    engine.tasks.complete(open_task(engine, child_id).id, people["sam"], {})
    after = engine.runtime.get(parent.id, SYSTEM)
    assert after.data["secret"] == 1 and after.data["business_key"] == "P-1"
    open_task(engine, parent.id, "after")


def test_a_missing_called_model_is_a_deploy_warning_and_an_incident_not_a_stall(engine, people):
    result = deploy_files(engine, {"parent.bpmn": models.PARENT})
    [warning] = [w for w in result.warnings if w.element_id == "call_child"]
    assert warning.file == "parent.bpmn" and warning.line and "'child'" in warning.message
    parent = engine.runtime.start("parent", people["sam"], {"amount": 1})
    info = engine.runtime.get(parent.id, SYSTEM)
    assert info.status == "running"
    [child] = info.children
    assert child["status"] == "incident" and child["instance_id"] is None and "'child'" in child["error"]
    assert "incident" in history_types(engine, parent.id)
    # Deployed later, an admin retries: the call starts its child now.
    deploy_files(engine, {"grandchild.bpmn": models.GRANDCHILD})
    deploy_files(engine, {"child.bpmn": models.CHILD})
    with pytest.raises(PermissionDenied):
        engine.runtime.retry_calls(parent.id, people["sam"])
    assert engine.runtime.retry_calls(parent.id, people["ada"]) == 1
    statuses = [c["status"] for c in engine.runtime.get(parent.id, SYSTEM).children]
    assert statuses == ["resolved", "running"]
    with pytest.raises(Conflict):
        engine.runtime.retry_calls(parent.id, people["ada"])


def test_cancelling_the_parent_cancels_children_and_grandchildren(engine, people):
    deploy_chain(engine)
    parent = engine.runtime.start("parent", people["sam"], {"amount": 7})
    child_id = children(engine, parent.id)[0].child_instance_id
    engine.tasks.complete(open_task(engine, child_id, "review").id, people["sam"], {})
    grandchild_id = children(engine, child_id)[0].child_instance_id
    engine.runtime.cancel(parent.id, people["sam"], "changed my mind")
    for instance_id, reason in (
        (child_id, f"parent instance {parent.id} was cancelled"),
        (grandchild_id, f"parent instance {child_id} was cancelled"),
    ):
        assert engine.runtime.get(instance_id, SYSTEM).status == "cancelled"
        [event] = [e for e in engine.history.events(instance_id, SYSTEM) if e.type == "instance_cancelled"]
        assert event.data["reason"] == reason and event.actor == "sam"
        assert engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance_id)) == []
        assert engine.history.verify(instance_id, SYSTEM).ok
    assert [c["status"] for c in engine.runtime.get(parent.id, SYSTEM).children] == ["cancelled"]


def test_a_child_cancelled_on_its_own_leaves_an_incident_on_the_parent(engine, people):
    deploy_files(engine, {"child.bpmn": models.child_model()})
    deploy_files(engine, {"plain.bpmn": models.caller("plain", "child")})
    parent = engine.runtime.start("plain", people["sam"])
    child_id = children(engine, parent.id)[0].child_instance_id
    engine.runtime.cancel(child_id, people["ada"], "wrong supplier")
    [call] = engine.runtime.get(parent.id, SYSTEM).children
    assert call["status"] == "incident" and f"child instance {child_id}" in call["error"]
    assert engine.runtime.get(parent.id, SYSTEM).status == "running"
    assert "incident" in history_types(engine, parent.id)
    engine.runtime.retry_calls(parent.id, people["ada"])
    new_child = engine.runtime.get(parent.id, SYSTEM).children[-1]
    assert new_child["status"] == "running" and new_child["instance_id"] != child_id


def test_two_executable_processes_in_one_file_are_two_models_bound_by_deployment(engine, people):
    first = engine.repository.deploy(
        [
            engine.repository.bundle_from_files(
                {"pair.bpmn": models.PAIR.encode(), "model.toml": b'key = "part"\nname = "Part"\n'}
            )
        ],
        SYSTEM,
    )
    assert [(r.version.model_key, r.version.version) for r in first] == [("main", 1), ("part", 1)]
    assert {m.model_key: m.name for m in engine.repository.list_models()} == {"main": None, "part": "Part"}
    changed = models.PAIR.replace("part_task", "part_task_v2")
    second = engine.repository.deploy(
        [engine.repository.bundle_from_files({"pair.bpmn": changed.encode()})], SYSTEM
    )
    assert [(r.version.model_key, r.version.version) for r in second] == [("main", 2), ("part", 2)]
    # binding "deployment": version 1 of main calls version 1 of part, though part 2 is the latest.
    for main_version, task in ((1, "part_task"), (2, "part_task_v2")):
        parent = engine.runtime.start("main", people["sam"], version=main_version)
        child = engine.runtime.get(children(engine, parent.id)[0].child_instance_id, SYSTEM)
        assert child.model_version == main_version
        open_task(engine, child.id, task)
    with pytest.raises(NotFound):
        engine.repository.versions("sketch")


def test_a_call_to_a_process_that_is_not_executable_warns_at_deploy(engine, people):
    text = models.definitions(
        models.chain("outer", [models.call("call_sketch", "sketch")]),
        models.chain("sketch", [models.user_task("idea")], executable=False),
    )
    result = deploy_files(engine, {"outer.bpmn": text})
    [warning] = [w for w in result.warnings if w.element_id == "call_sketch"]
    assert "not executable" in warning.message and warning.file == "outer.bpmn"
    parent = engine.runtime.start("outer", people["sam"])
    assert engine.runtime.get(parent.id, SYSTEM).children[0]["status"] == "incident"


def test_a_model_calling_itself_stops_at_the_depth_limit_with_an_incident(engine, people):
    deploy_files(engine, {"recursive.bpmn": models.RECURSIVE})
    top = engine.runtime.get(engine.runtime.start("recursive", people["sam"]).id, SYSTEM)
    chain_ids, current = [top.id], top
    while current.children and current.children[0]["instance_id"]:
        current = engine.runtime.get(current.children[0]["instance_id"], SYSTEM)
        chain_ids.append(current.id)
    assert len(chain_ids) == MAX_CALL_DEPTH + 1
    [incident] = current.children
    assert incident["status"] == "incident" and "nested more than" in incident["error"]
    engine.runtime.cancel(top.id, people["sam"], "too deep")
    assert {engine.runtime.get(i, SYSTEM).status for i in chain_ids} == {"cancelled"}


def test_the_engine_starts_a_child_its_starter_groups_would_refuse_and_visibility_follows_the_work(engine):
    people = add_users(engine, kim="legal", bob="sales", fay="finance")
    deploy_files(
        engine,
        {
            "child.bpmn": models.child_model(starters="finance").replace(
                'candidateGroups="sales"', 'candidateGroups="finance"'
            )
        },
    )
    deploy_files(engine, {"plain.bpmn": models.caller("plain", "child")})
    with pytest.raises(PermissionDenied):
        engine.runtime.start("child", people["kim"])
    parent = engine.runtime.start("plain", people["kim"])
    child_id = children(engine, parent.id)[0].child_instance_id
    # The child belongs to the parent's requester; whoever works on it reads it; nobody else does.
    assert engine.runtime.get(child_id, people["kim"]).initiator == "kim"
    assert engine.runtime.get(child_id, people["fay"]).id == child_id
    with pytest.raises(PermissionDenied):
        engine.runtime.get(parent.id, people["fay"])
    for instance_id in (parent.id, child_id):
        with pytest.raises(PermissionDenied):
            engine.runtime.get(instance_id, people["bob"])


def test_a_multi_instance_call_activity_runs_its_children_in_parallel(engine, people):
    deploy_files(engine, {"grandchild.bpmn": models.GRANDCHILD})
    deploy_files(engine, {"multi.bpmn": models.MULTI})
    parent = engine.runtime.start("multi", people["sam"], {"items": [5, 500, 50]})
    calls = children(engine, parent.id)
    assert [c.status for c in calls] == ["running"] * 3
    kids = [engine.runtime.get(c.child_instance_id, SYSTEM) for c in calls]
    assert [k.data["amount"] for k in kids] == [5, 500, 50]
    for kid in (kids[1], kids[0], kids[2]):  # in any order
        engine.tasks.complete(open_task(engine, kid.id, "confirm").id, people["sam"], {"reviewer": "sam"})
    done = engine.runtime.get(parent.id, SYSTEM)
    # A parallel multi-instance collects outputs in completion order (SpiffWorkflow's rule).
    assert done.data["verdicts"] == ["large", "small", "small"]
    open_task(engine, parent.id, "after")


def test_a_sequential_multi_instance_call_activity_runs_one_child_after_the_other(engine, people):
    deploy_files(engine, {"grandchild.bpmn": models.GRANDCHILD})
    sequential = models.MULTI.replace(
        "<bpmn:multiInstanceLoopCharacteristics>",
        '<bpmn:multiInstanceLoopCharacteristics isSequential="true">',
    )
    deploy_files(engine, {"multi.bpmn": sequential})
    parent = engine.runtime.start("multi", people["sam"], {"items": [5, 500]})
    for round_ in range(2):
        calls = children(engine, parent.id)
        assert [c.status for c in calls] == ["completed"] * round_ + ["running"]
        engine.tasks.complete(
            open_task(engine, calls[-1].child_instance_id, "confirm").id, people["sam"], {"reviewer": "sam"}
        )
    done = engine.runtime.get(parent.id, SYSTEM)
    assert done.data["verdicts"] == ["small", "large"]
    open_task(engine, parent.id, "after")


@pytest.mark.parametrize("with_boundary", [True, False], ids=["caught", "uncaught"])
def test_an_error_end_event_in_the_child_is_a_bpmn_error_at_the_call_activity(engine, people, with_boundary):
    deploy_files(engine, {"failing.bpmn": models.FAILING_CHILD})
    deploy_files(engine, {"guarded.bpmn": models.guarded_caller(with_boundary)})
    parent = engine.runtime.start("guarded", people["sam"])
    child_id = children(engine, parent.id)[0].child_instance_id
    engine.tasks.complete(open_task(engine, child_id, "look").id, people["sam"], {})
    assert engine.runtime.get(child_id, SYSTEM).status == "completed"
    [event] = [e for e in engine.history.events(parent.id, SYSTEM) if e.type == "call_activity_error"]
    assert event.data["error_code"] == "REJECTED"
    if with_boundary:
        assert event.data["caught_by"] == "on_rejected"
        open_task(engine, parent.id, "handle")
    else:
        # Uncaught (as in Camunda 7): the call activity's path ends; with nothing else open, so does the parent.
        assert event.data["caught_by"] is None
        assert engine.runtime.get(parent.id, SYSTEM).status == "completed"


def test_an_interrupting_timer_on_the_call_activity_cancels_the_child(engine, people, clock):
    deploy_files(engine, {"child.bpmn": models.child_model()})
    deploy_files(engine, {"timed.bpmn": models.timed_caller()})
    parent = engine.runtime.start("timed", people["sam"])
    child_id = children(engine, parent.id)[0].child_instance_id
    clock.advance(timedelta(hours=2))
    assert engine.timers.fire_due().fired == 1
    assert engine.runtime.get(child_id, SYSTEM).status == "cancelled"
    [event] = [e for e in engine.history.events(child_id, SYSTEM) if e.type == "instance_cancelled"]
    assert event.data["reason"] == f"call activity 'call_it' of instance {parent.id} was interrupted"
    assert engine.runtime.get(parent.id, SYSTEM).children[0]["status"] == "cancelled"
    open_task(engine, parent.id, "chase")


def test_a_child_cannot_end_while_its_parent_is_suspended(engine, people):
    deploy_files(engine, {"child.bpmn": models.child_model()})
    deploy_files(engine, {"plain.bpmn": models.caller("plain", "child")})
    parent = engine.runtime.start("plain", people["sam"])
    child_id = children(engine, parent.id)[0].child_instance_id
    engine.runtime.suspend(parent.id, people["olga"], "audit")
    review = open_task(engine, child_id)
    with pytest.raises(Conflict, match=f"parent instance {parent.id}"):
        engine.tasks.complete(review.id, people["sam"], {})
    assert engine.runtime.get(child_id, SYSTEM).status == "running"  # nothing half done
    engine.runtime.resume(parent.id, people["olga"], "done")
    engine.tasks.complete(review.id, people["sam"], {})
    assert engine.runtime.get(child_id, SYSTEM).status == "completed"
    open_task(engine, parent.id, "after")


def test_deployment_binding_to_a_model_of_another_file_warns_and_is_an_incident(engine, people):
    deploy_files(engine, {"child.bpmn": models.child_model()})
    result = deploy_files(
        engine,
        {"bound.bpmn": models.caller("bound", "child", attrs='camunda:calledElementBinding="deployment"')},
    )
    [warning] = [w for w in result.warnings if w.element_id == "call_it"]
    assert "never deployed together" in warning.message and warning.line
    parent = engine.runtime.get(engine.runtime.start("bound", people["sam"]).id, SYSTEM)
    assert parent.children[0]["status"] == "incident" and "deployed together" in parent.children[0]["error"]


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ('camunda:calledElementBinding="versionTag"', "not supported"),
        ('camunda:calledElementBinding="version"', "calledElementVersion"),
        ('camunda:calledElementBinding="version" camunda:calledElementVersion="two"', "calledElementVersion"),
    ],
)
def test_a_binding_that_cannot_work_is_refused_at_deploy_naming_the_element(engine, attrs, message):
    with pytest.raises(ModelValidationError) as err:
        deploy_files(engine, {"bad.bpmn": models.caller("bad", "child", attrs=attrs)})
    [problem] = err.value.problems
    assert (problem.file, problem.element_id) == ("bad.bpmn", "call_it") and problem.line
    assert message in problem.message


def test_called_element_and_mappings_may_be_expressions_and_a_bad_one_is_an_incident(engine, people):
    deploy_files(engine, {"child.bpmn": models.child_model()})
    ins = '<camunda:in sourceExpression="${amount * 2}" target="doubled"/>'
    deploy_files(engine, {"chooser.bpmn": models.caller("chooser", "${which}", ins=ins)})
    good = engine.runtime.start("chooser", people["sam"], {"which": "child", "amount": 4})
    child = engine.runtime.get(children(engine, good.id)[0].child_instance_id, SYSTEM)
    assert child.model_key == "child" and child.data["doubled"] == 8
    bad = engine.runtime.get(
        engine.runtime.start("chooser", people["sam"], {"which": 7, "amount": 1}).id, SYSTEM
    )
    assert bad.status == "running" and bad.children[0]["status"] == "incident"
    assert "not a model key" in bad.children[0]["error"]


def test_a_mapping_without_a_target_is_refused_at_deploy(engine):
    with pytest.raises(ModelValidationError) as err:
        deploy_files(engine, {"bad.bpmn": models.caller("bad", "child", ins='<camunda:in source="amount"/>')})
    [problem] = err.value.problems
    assert problem.element_id and "target" in problem.message and problem.line


def test_a_failing_output_expression_fails_the_childs_last_step_and_changes_nothing(engine, people):
    deploy_files(engine, {"child.bpmn": models.child_model()})
    outs = '<camunda:out sourceExpression="${1 / 0}" target="broken"/>'
    deploy_files(engine, {"plain.bpmn": models.caller("plain", "child", outs=outs)})
    parent = engine.runtime.start("plain", people["sam"])
    child_id = children(engine, parent.id)[0].child_instance_id
    with pytest.raises(WorkflowError) as err:
        engine.tasks.complete(open_task(engine, child_id).id, people["sam"], {})
    assert err.value.problems[0].element_id == "call_it"
    assert engine.runtime.get(child_id, SYSTEM).status == "running"
    assert children(engine, parent.id)[0].status == "running"
    open_task(engine, child_id)
