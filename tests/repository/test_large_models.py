"""Models longer than Python's recursion limit and wider than a few hundred branches deploy, start,
run, restore and cancel. SpiffWorkflow walks its task tree by recursion and the tree is as deep as
the longest path, so a chain of more than ~483 tasks could not even be deployed; a parallel split
of n branches cost n² to start. The sizes here are past the old limit but quick; bench/
bench_wide_models.py measures how time grows with size."""

from __future__ import annotations

from engine.actor import SYSTEM
from engine.tasks.service import TaskQuery
from tests.factories import deploy_files
from tests.repository.big_models import Flow

LONG = 1500  # the old limit was ~483 tasks; the recursion limit is 1000 frames


def open_tasks(engine, instance_id: int) -> list:
    return engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance_id, limit=1000))


def test_a_long_chain_deploys_and_runs_to_its_end(engine):
    deploy_files(engine, Flow("long_chain").chain(LONG).files())
    info = engine.runtime.start("long_chain", SYSTEM, {})
    assert info.status == "completed"
    assert info.data["step"] == LONG - 1
    events = engine.history.events(info.id, SYSTEM)
    assert sum(1 for e in events if e.type == "data_set") == LONG


def test_a_long_chain_waiting_for_a_person_is_restored_by_another_process_and_finishes(make_engine):
    first = make_engine()
    deploy_files(first, Flow("waits_first").user("approve").chain(LONG).files())
    info = first.runtime.start("waits_first", SYSTEM, {})
    [task] = open_tasks(first, info.id)
    # Another process: no cached workflow, the spec compiled from the stored files, the state
    # (the 1,500 predicted tasks below the open one) read back from the database.
    second = make_engine()
    second.tasks.complete(task.id, SYSTEM, {})
    assert second.runtime.get(info.id, SYSTEM).status == "completed"


def test_cancelling_drops_a_long_predicted_path(make_engine):
    engine = make_engine()
    deploy_files(engine, Flow("cancel_long").user("approve").chain(LONG).files())
    info = engine.runtime.start("cancel_long", SYSTEM, {})
    assert make_engine().runtime.cancel(info.id, SYSTEM, "no longer needed").status == "cancelled"
    assert open_tasks(engine, info.id) == []


def test_a_join_followed_by_a_long_chain_runs_to_its_end(engine):
    # Each branch's copy of the join predicts the chain after it; the join, firing, drops those copies.
    deploy_files(engine, Flow("join_then_long").wide(3).chain(LONG).files())
    info = engine.runtime.start("join_then_long", SYSTEM, {})
    assert info.status == "completed"
    assert (info.data["b0"], info.data["b2"], info.data["step"]) == (0, 2, LONG - 1)


def test_a_join_after_a_long_chain_fires(engine):
    deploy_files(engine, Flow("long_then_join").chain(LONG).wide(4).files())
    info = engine.runtime.start("long_then_join", SYSTEM, {})
    assert info.status == "completed"
    assert [info.data[f"b{i}"] for i in range(4)] == [0, 1, 2, 3]


def test_a_wide_parallel_model_starts_and_joins(engine):
    deploy_files(engine, Flow("wide_scripts").wide(400).files())
    info = engine.runtime.start("wide_scripts", SYSTEM, {})
    assert info.status == "completed"
    assert all(info.data[f"b{i}"] == i for i in range(400))


def test_a_wide_model_of_user_tasks_opens_one_inbox_row_per_branch_and_joins_after_the_last(make_engine):
    engine, other = make_engine(), make_engine()
    deploy_files(engine, Flow("wide_people").wide(60, user_tasks=True).files())
    info = engine.runtime.start("wide_people", SYSTEM, {})
    tasks = open_tasks(engine, info.id)
    assert sorted(t.element_id for t in tasks) == sorted(f"p{i}" for i in range(60))
    for n, task in enumerate(tasks):
        # Every other one completed by another process, which restores the instance from the database.
        (engine if n % 2 else other).tasks.complete(task.id, SYSTEM, {})
        expected = "completed" if n == len(tasks) - 1 else "running"
        assert engine.runtime.get(info.id, SYSTEM).status == expected


def test_cancelling_an_instance_waiting_deeper_than_a_thousand_tasks_closes_its_task(make_engine):
    # SpiffWorkflow's cancel walked the tree only 1,000 deep: the instance said "cancelled" while the
    # task at the end of the chain stayed in the inbox.
    engine = make_engine()
    deploy_files(engine, Flow("deep_wait").chain(LONG).user("last").files())
    info = engine.runtime.start("deep_wait", SYSTEM, {})
    assert [t.element_id for t in open_tasks(engine, info.id)] == ["last"]
    assert make_engine().runtime.cancel(info.id, SYSTEM, "withdrawn").status == "cancelled"
    assert open_tasks(engine, info.id) == []


def test_a_process_deeper_than_a_thousand_tasks_ends_only_when_every_branch_has(make_engine):
    # SpiffWorkflow looked for unfinished tasks only 1,000 deep: one branch reaching its end event
    # completed the instance while the other still waited for a person.
    engine = make_engine()
    flow = Flow("two_ends").chain(LONG)
    flow.add('<bpmn:parallelGateway id="split"/>', "split")
    flow.parts += [
        '<bpmn:scriptTask id="quick"><bpmn:script>q = 1</bpmn:script></bpmn:scriptTask>',
        '<bpmn:endEvent id="quick_end"/>',
        '<bpmn:userTask id="slow"/>',
    ]
    flow.connect("split", "quick")
    flow.connect("quick", "quick_end")
    flow.connect("split", "slow")
    flow.last = "slow"  # the flow's own end event follows it
    deploy_files(engine, flow.files())
    info = engine.runtime.start("two_ends", SYSTEM, {})
    assert info.status == "running"
    [slow] = open_tasks(engine, info.id)
    assert slow.element_id == "slow"
    make_engine().tasks.complete(slow.id, SYSTEM, {})
    assert engine.runtime.get(info.id, SYSTEM).status == "completed"
