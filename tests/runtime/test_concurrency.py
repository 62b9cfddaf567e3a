"""Commands racing on one instance, from threads holding separate engines (as separate server
processes would): no update may be lost, and exactly one of several claims wins."""

import threading

import pytest

from engine.actor import SYSTEM
from engine.errors import Conflict
from engine.tasks.service import TaskQuery
from tests.factories import MODELS, add_users, deploy_path


def race(*jobs):
    """Run the jobs at the same moment; return what each returned or raised."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(i, job):
        barrier.wait()
        try:
            results[i] = job()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.mark.parametrize("shared_engine", [True, False], ids=["one-engine", "two-engines"])
def test_parallel_countersign_completions_are_both_kept(make_engine, shared_engine):
    engine = make_engine()
    other = engine if shared_engine else make_engine()
    people = add_users(engine, sam="sales", fay="finance", lee="legal")
    deploy_path(engine, MODELS / "countersign")
    for _ in range(5):
        instance = engine.runtime.start("countersign", people["sam"], {"customer": "ACME", "amount": 10})
        tasks = {t.element_id: t.id for t in engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance.id))}
        finance, legal = tasks["finance_review"], tasks["legal_review"]
        results = race(
            lambda f=finance: engine.tasks.complete(
                f, people["fay"], {"decision": "approve", "finance_decision": "approve"}
            ),
            lambda g=legal: other.tasks.complete(
                g, people["lee"], {"decision": "approve", "legal_decision": "approve"}
            ),
        )
        assert not [r for r in results if isinstance(r, Exception)], results
        final = engine.runtime.get(instance.id, SYSTEM)
        assert final.status == "completed"
        assert (final.data["finance_decision"], final.data["legal_decision"]) == ("approve", "approve")
        events = [e.type for e in engine.history.events(instance.id, SYSTEM)]
        assert events.count("task_completed") == 2 and "end_event" in events
        assert engine.history.verify(instance.id, SYSTEM).ok


def test_of_several_simultaneous_claims_exactly_one_wins(make_engine):
    engine = make_engine()
    people = add_users(engine, sam="sales", f1="finance", f2="finance", f3="finance", f4="finance")
    deploy_path(engine, MODELS / "countersign")
    instance = engine.runtime.start("countersign", people["sam"], {"customer": "ACME", "amount": 10})
    task = next(
        t
        for t in engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance.id))
        if t.element_id == "finance_review"
    )
    engines = [make_engine() for _ in range(4)]
    results = race(
        *[
            lambda e=e, u=u: e.tasks.claim(task.id, people[u])
            for e, u in zip(engines, ["f1", "f2", "f3", "f4"], strict=True)
        ]
    )
    winners = [r for r in results if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1 and len(losers) == 3
    assert all(isinstance(r, Conflict) and "already claimed" in r.message for r in losers)
    claimed = [e for e in engine.history.events(instance.id, SYSTEM) if e.type == "task_claimed"]
    assert [e.data["assignee"] for e in claimed] == [winners[0].assignee]
