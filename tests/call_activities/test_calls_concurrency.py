"""A child's completion (child, then parent) racing a cancel of its parent (descendants, then parent):
both orders lock children before parents, so neither deadlocks, and the end state is consistent."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.actor import SYSTEM
from engine.errors import Conflict
from engine.store.schema import instance_calls
from engine.tasks.service import TaskQuery
from tests.call_activities import models
from tests.factories import add_users, deploy_files
from tests.runtime.test_concurrency import race


@pytest.mark.parametrize("shared_engine", [True, False], ids=["one-engine", "two-engines"])
def test_completing_a_child_while_its_parent_is_cancelled(make_engine, shared_engine):
    engine = make_engine()
    other = engine if shared_engine else make_engine()
    people = add_users(engine, sam="sales")
    for name, text in (("grandchild", models.GRANDCHILD), ("child", models.CHILD), ("parent", models.PARENT)):
        deploy_files(engine, {f"{name}.bpmn": text})
    outcomes = set()
    for round_ in range(6):
        parent = engine.runtime.start("parent", people["sam"], {"amount": round_})
        child_id = _child(engine, parent.id)
        review = engine.tasks.list(SYSTEM, TaskQuery(instance_id=child_id))[0]
        engine.tasks.complete(review.id, people["sam"], {})
        grandchild_id = _child(engine, child_id)
        confirm = engine.tasks.list(SYSTEM, TaskQuery(instance_id=grandchild_id))[0]
        jobs = [
            lambda t=confirm.id: engine.tasks.complete(t, people["sam"], {"reviewer": "sam"}),
            lambda p=parent.id: other.runtime.cancel(p, people["sam"], "race"),
        ]
        results = race(*(jobs if round_ % 2 else reversed(jobs)))
        # The loser may only be told the instance moved on (409), never a deadlock or a 500.
        assert all(r is None or not isinstance(r, Exception) or isinstance(r, Conflict) for r in results), (
            results
        )
        statuses = tuple(engine.runtime.get(i, SYSTEM).status for i in (parent.id, child_id, grandchild_id))
        assert statuses in {
            ("cancelled", "completed", "completed"),  # completion first: the parent reached "after"
            ("cancelled", "cancelled", "cancelled"),  # cancel first: the completion found nothing to do
        }, statuses
        outcomes.add(statuses)
        for instance_id in (parent.id, child_id, grandchild_id):
            assert engine.history.verify(instance_id, SYSTEM).ok
            assert engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance_id)) == []
    assert outcomes


def _child(engine, parent_id):
    with engine.db.read() as conn:
        return conn.scalar(
            select(instance_calls.c.child_instance_id).where(instance_calls.c.parent_instance_id == parent_id)
        )


@pytest.mark.parametrize("shared_engine", [True, False], ids=["one-engine", "two-engines"])
def test_parallel_children_completing_at_once_both_reach_the_parent(make_engine, shared_engine):
    engine = make_engine()
    other = engine if shared_engine else make_engine()
    people = add_users(engine, sam="sales")
    deploy_files(engine, {"grandchild.bpmn": models.GRANDCHILD})
    deploy_files(engine, {"multi.bpmn": models.MULTI})
    for _ in range(4):
        parent = engine.runtime.start("multi", people["sam"], {"items": [1, 1000]})
        with engine.db.read() as conn:
            kids = conn.scalars(
                select(instance_calls.c.child_instance_id)
                .where(instance_calls.c.parent_instance_id == parent.id)
                .order_by(instance_calls.c.id)
            ).all()
        tasks = [engine.tasks.list(SYSTEM, TaskQuery(instance_id=k))[0].id for k in kids]
        results = race(
            lambda t=tasks[0]: engine.tasks.complete(t, people["sam"], {"reviewer": "a"}),
            lambda t=tasks[1]: other.tasks.complete(t, people["sam"], {"reviewer": "b"}),
        )
        assert not [r for r in results if isinstance(r, Exception)], results
        done = engine.runtime.get(parent.id, SYSTEM)
        # A parallel multi-instance collects outputs in completion order (SpiffWorkflow's rule).
        assert sorted(done.data["verdicts"]) == ["large", "small"]
        assert [t.element_id for t in engine.tasks.list(SYSTEM, TaskQuery(instance_id=parent.id))] == [
            "after"
        ]
        assert engine.history.verify(parent.id, SYSTEM).ok
