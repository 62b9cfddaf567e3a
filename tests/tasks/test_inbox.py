from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.actor import SYSTEM
from engine.errors import Conflict, DataValidationError, NotFound, PermissionDenied
from engine.store.schema import user_tasks
from engine.tasks.service import TaskQuery
from tests.factories import MODELS, add_users, deploy_path


def tasks_of(engine, instance_id, status="open"):
    return {
        t.element_id: t for t in engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance_id, status=status))
    }


@pytest.fixture
def countersign(engine):
    deploy_path(engine, MODELS / "countersign")
    people = add_users(
        engine, sam="sales,finance", fay="finance", fred="finance", lee="legal", ann="auditor", root="admin"
    )
    instance = engine.runtime.start("countersign", people["sam"], {"customer": "ACME", "amount": 100})
    return people, instance


def test_each_ready_user_task_is_a_row_with_its_candidates(engine, countersign):
    _, instance = countersign
    tasks = tasks_of(engine, instance.id)
    assert set(tasks) == {"finance_review", "legal_review"}
    finance = tasks["finance_review"]
    assert (finance.name, finance.candidate_groups, finance.assignee) == ("Finance review", ["finance"], None)
    assert finance.form_key == "approval" and finance.is_approval and finance.status == "open"
    assert finance.business_key is None and finance.model_key == "countersign"


def test_only_a_candidate_may_claim_and_only_the_assignee_completes(engine, countersign):
    people, instance = countersign
    legal = tasks_of(engine, instance.id)["legal_review"]
    with pytest.raises(PermissionDenied, match=r"not a candidate .* group legal"):
        engine.tasks.claim(legal.id, people["fay"])
    assert engine.tasks.claim(legal.id, people["lee"]).assignee == "lee"
    with pytest.raises(Conflict, match="already claimed by lee"):
        engine.tasks.claim(legal.id, people["root"])
    with pytest.raises(PermissionDenied, match="assigned to lee"):
        engine.tasks.complete(legal.id, people["fay"], {"decision": "approve"})
    with pytest.raises(PermissionDenied):
        engine.tasks.unclaim(legal.id, people["fay"])
    engine.tasks.unclaim(legal.id, people["lee"])
    assert tasks_of(engine, instance.id)["legal_review"].assignee is None


def test_completing_an_unclaimed_task_claims_it_first(engine, countersign):
    people, instance = countersign
    finance = tasks_of(engine, instance.id)["finance_review"]
    engine.tasks.complete(finance.id, people["fay"], {"decision": "approve"})
    events = [
        (e.type, e.actor) for e in engine.history.events(instance.id, SYSTEM) if e.task_id == finance.id
    ]
    assert events == [("task_created", "sam"), ("task_claimed", "fay"), ("task_completed", "fay")]


def test_the_requester_never_approves_their_own_request(engine, countersign):
    people, instance = countersign  # sam started it and is in finance
    finance = tasks_of(engine, instance.id)["finance_review"]
    with pytest.raises(PermissionDenied, match="segregation of duties"):
        engine.tasks.claim(finance.id, people["sam"])
    with pytest.raises(PermissionDenied, match="segregation of duties"):
        engine.tasks.complete(finance.id, people["sam"], {"decision": "approve"})
    with pytest.raises(PermissionDenied, match="segregation of duties"):
        engine.tasks.assign(finance.id, people["root"], "sam")
    assert tasks_of(engine, instance.id)["finance_review"].assignee is None


def test_assignment_by_admin_assignee_or_candidate(engine, countersign):
    people, instance = countersign
    finance = tasks_of(engine, instance.id)["finance_review"]
    with pytest.raises(PermissionDenied):
        engine.tasks.assign(finance.id, people["lee"], "fay")  # not a candidate, not admin
    with pytest.raises(PermissionDenied, match="lee is not a candidate"):
        engine.tasks.assign(finance.id, people["root"], "lee")
    assert engine.tasks.assign(finance.id, people["fred"], "fay").assignee == "fay"
    assert engine.tasks.assign(finance.id, people["fay"], "fred").assignee == "fred"
    with pytest.raises(NotFound):
        engine.tasks.assign(finance.id, people["root"], "nobody")
    kinds = [e.type for e in engine.history.events(instance.id, SYSTEM) if e.task_id == finance.id]
    assert kinds == ["task_created", "task_assigned", "task_assigned"]


def test_invalid_form_data_is_refused_with_field_paths_and_nothing_changes(engine, countersign):
    people, instance = countersign
    finance = tasks_of(engine, instance.id)["finance_review"]
    with engine.db.read() as conn:
        before = conn.execute(select(user_tasks)).all()
    with pytest.raises(DataValidationError) as err:
        engine.tasks.complete(finance.id, people["fay"], {"decision": "reject", "comment": ""})
    assert [(p.field, p.message) for p in err.value.problems] == [("comment", "'' should be non-empty")]
    with pytest.raises(DataValidationError) as err:
        engine.tasks.complete(finance.id, people["fay"], {"decision": "maybe"})
    assert err.value.problems[0].field == "decision" and "approve" in err.value.problems[0].message
    with engine.db.read() as conn:
        assert conn.execute(select(user_tasks)).all() == before
    engine.tasks.complete(finance.id, people["fay"], {"decision": "reject", "comment": "margin too low"})


def test_inbox_listing_for_employees(engine, countersign):
    people, instance = countersign
    assert engine.tasks.list(people["lee"], TaskQuery(mine=people["lee"]))[0].element_id == "legal_review"
    assert [t.element_id for t in engine.tasks.list(people["lee"])] == ["legal_review"]
    assert len(engine.tasks.list(people["ann"])) == 2  # auditors read everything
    finance = tasks_of(engine, instance.id)["finance_review"]
    engine.tasks.claim(finance.id, people["fay"])
    assert engine.tasks.list(people["fred"], TaskQuery(claimable_by=people["fred"])) == []
    assert [t.id for t in engine.tasks.list(people["fay"], TaskQuery(assigned_to="fay"))] == [finance.id]
    detail = engine.tasks.get(finance.id, people["fay"])
    assert detail.form["properties"]["decision"]["enum"] == ["approve", "reject"]
    assert detail.data["customer"] == "ACME"
    with pytest.raises(PermissionDenied):
        engine.tasks.get(finance.id, people["lee"])


def test_camunda_assignment_attributes(engine, clock):
    deploy_path(engine, MODELS / "assignment")
    people = add_users(engine, sam="sales", vera="", mona="sales_manager", otto="sales")
    instance = engine.runtime.start(
        "assignment",
        people["sam"],
        {"urgency": 80, "approver_group": "sales_manager", "deadline": "2026-03-09T18:00:00+08:00"},
    )
    own = tasks_of(engine, instance.id)["own_edit"]
    assert (own.assignee, own.priority, own.candidate_groups) == ("sam", 80, [])
    engine.tasks.complete(own.id, people["sam"])
    level = tasks_of(engine, instance.id)["level_approval"]
    assert level.candidate_groups == ["auditors_backup", "sales_manager"] and level.candidate_users == [
        "vera"
    ]
    assert level.due_at == clock.now() + timedelta(days=2) and not level.overdue and level.is_approval
    engine.tasks.claim(level.id, people["vera"])  # a candidate user
    clock.advance(timedelta(days=3))
    assert engine.tasks.list(SYSTEM, TaskQuery(overdue=True))[0].id == level.id
    engine.tasks.complete(level.id, people["vera"], {"decision": "approve"})
    flagged = tasks_of(engine, instance.id)["flagged"]
    assert flagged.is_approval and flagged.due_at.isoformat() == "2026-03-09T10:00:00+00:00"
    with pytest.raises(PermissionDenied, match="segregation"):
        engine.tasks.claim(flagged.id, people["sam"])
    engine.tasks.complete(flagged.id, people["otto"])
    assert engine.runtime.get(instance.id, SYSTEM).status == "completed"


def test_sorting_by_priority_and_due(engine):
    deploy_path(engine, MODELS / "assignment")
    people = add_users(engine, sam="sales")
    for urgency in (10, 90, 50):
        engine.runtime.start(
            "assignment", people["sam"], {"urgency": urgency, "approver_group": "x", "deadline": None}
        )
    by_priority = engine.tasks.list(people["sam"], TaskQuery(sort="priority"))
    assert [t.priority for t in by_priority] == [90, 50, 10]
    ascending = engine.tasks.list(people["sam"], TaskQuery(sort="priority", descending=True))
    assert [t.priority for t in ascending] == [10, 50, 90]
