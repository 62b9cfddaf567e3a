"""A task's page asks the engine what its reader may do (TaskDetail.may): the same rules as the
commands (engine/access.py), so a button is shown exactly when its command would succeed."""

from __future__ import annotations

import pytest

from engine.errors import ApprovalsError
from tests.factories import MODELS, add_users, deploy_path
from tests.tasks.test_inbox import tasks_of


@pytest.fixture
def countersign(engine):
    deploy_path(engine, MODELS / "countersign")
    people = add_users(
        engine,
        sam="sales,finance",
        fay="finance",
        fred="finance",
        ann="auditor,finance",
        root="admin,finance",
    )
    instance = engine.runtime.start("countersign", people["sam"], {"customer": "ACME", "amount": 100})
    return people, tasks_of(engine, instance.id)["finance_review"]


def succeeds(command) -> bool:
    try:
        command()
    except ApprovalsError:
        return False
    return True


def test_each_right_is_shown_exactly_when_its_command_succeeds(engine, countersign):
    people, task = countersign
    claimable = {name: engine.tasks.get(task.id, who).may.claim for name, who in people.items()}
    # The requester (sam, in finance) may not; an auditor never changes anything; a candidate may.
    assert claimable == {"sam": False, "fay": True, "fred": True, "ann": False, "root": True}
    for name, who in people.items():
        if name != "fay":
            assert succeeds(lambda who=who: engine.tasks.claim(task.id, who)) is claimable[name]
            if claimable[name]:
                engine.tasks.unclaim(task.id, who)
    engine.tasks.claim(task.id, people["fay"])
    fay, fred, root = (engine.tasks.get(task.id, people[n]).may for n in ("fay", "fred", "root"))
    assert (fay.claim, fay.unclaim, fay.complete) == (False, True, True)
    assert (fred.claim, fred.unclaim, fred.complete) == (False, False, False)
    assert (root.unclaim, root.complete) == (True, False)  # an admin may release it, not decide it
    assert not succeeds(lambda: engine.tasks.complete(task.id, people["fred"], {"decision": "approve"}))
    engine.tasks.complete(task.id, people["fay"], {"decision": "approve"})
    done = engine.tasks.get(task.id, people["fay"]).may
    assert (done.claim, done.unclaim, done.complete) == (False, False, False)


def test_a_suspended_instance_offers_nothing(engine, countersign):
    people, task = countersign
    engine.runtime.suspend(task.instance_id, people["root"], reason="audit")
    rights = engine.tasks.get(task.id, people["fay"]).may
    assert (rights.claim, rights.complete) == (False, False)
    assert not succeeds(lambda: engine.tasks.claim(task.id, people["fay"]))


def test_a_requester_lists_the_steps_of_his_own_requests_only(engine, countersign):
    people, task = countersign
    people.update(add_users(engine, sue="sales"))
    others = engine.runtime.start("countersign", people["sue"], {"customer": "Other", "amount": 5})
    from engine.tasks import TaskQuery

    listed = {t.instance_id for t in engine.tasks.list(people["sam"], TaskQuery(instance_id=None, limit=500))}
    # sam, in finance, also sees sue's finance review (a candidate); sue sees only her own request's.
    assert listed == {task.instance_id, others.id}
    sue_sees = {t.instance_id for t in engine.tasks.list(people["sue"], TaskQuery(limit=500))}
    assert sue_sees == {others.id}
    assert engine.tasks.get(task.id, people["sam"]).task.id == task.id


def test_tasks_of_several_instances_in_one_query_keep_to_what_the_reader_may_see(engine, countersign):
    people, task = countersign
    people.update(add_users(engine, sue="sales"))
    other = engine.runtime.start("countersign", people["sue"], {"customer": "Other", "amount": 5})
    from engine.tasks import TaskQuery

    def instances(who, ids):
        return {t.instance_id for t in engine.tasks.list(people[who], TaskQuery(instance_ids=ids, limit=500))}

    assert instances("fay", (task.instance_id,)) == {task.instance_id}
    assert instances("fay", (task.instance_id, other.id)) == {task.instance_id, other.id}
    assert instances("fay", ()) == set()
    assert instances("sue", (task.instance_id, other.id)) == {other.id}  # not sam's request


def test_a_candidate_still_reads_the_request_once_a_colleague_claimed_its_task(engine, countersign):
    people, task = countersign
    engine.tasks.claim(task.id, people["fay"])
    # fred may open the task (see_task), so he may read what it is about: instance and trail.
    assert engine.tasks.get(task.id, people["fred"]).task.assignee == "fay"
    assert engine.runtime.get(task.instance_id, people["fred"]).id == task.instance_id
    assert engine.history.events(task.instance_id, people["fred"])
    # Someone in no candidate group still may not.
    outsider = add_users(engine, ed="marketing")["ed"]
    with pytest.raises(ApprovalsError):
        engine.runtime.get(task.instance_id, outsider)
