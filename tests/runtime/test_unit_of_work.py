"""The unit of work: one transaction per command, the cache touched only after commit, the
projections called in the order the facade handed them over."""

import pytest
from sqlalchemy import select

from engine.actor import SYSTEM
from engine.runtime.unit_of_work import LoadedInstance, Projection
from engine.store.schema import process_instances
from engine.tasks import TaskQuery
from tests.conftest import BENCH_MODELS
from tests.factories import add_users, deploy_path

APPROVAL = BENCH_MODELS / "bench_approval.bpmn"


@pytest.fixture
def people(engine):
    return add_users(engine, sam="sales")


def _revision(engine, instance_id):
    with engine.db.read() as conn:
        return conn.scalar(select(process_instances.c.revision).where(process_instances.c.id == instance_id))


def _submit_task(engine, instance_id):
    return engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance_id))[0]


def test_a_transaction_that_fails_after_a_command_commits_nothing_and_caches_nothing(engine, people):
    deploy_path(engine, APPROVAL)
    instance = engine.runtime.start("bench_approval", people["sam"])
    before = _revision(engine, instance.id)

    def note(loaded: LoadedInstance) -> None:
        loaded.history.add("noted", loaded.actor.name, loaded.now)
        loaded.advance()

    with pytest.raises(RuntimeError, match="after the command"), engine.uow.transaction() as tx:
        tx.run(instance.id, people["sam"], note)
        assert tx.written[instance.id][1] == before + 1  # written, not committed
        raise RuntimeError("after the command")
    assert _revision(engine, instance.id) == before
    assert engine.uow.cache.take(instance.id, before + 1) is None
    assert engine.uow.cache.take(instance.id, before) is None  # taken out by the failed command
    assert "noted" not in [e.type for e in engine.history.events(instance.id, people["sam"])]
    # The next command rebuilds the instance from the database and goes on as if nothing happened.
    task = _submit_task(engine, instance.id)
    engine.tasks.complete(task.id, people["sam"], {"note": "ok"})
    assert _revision(engine, instance.id) == before + 1


def test_after_commit_every_instance_the_transaction_wrote_is_cached_at_its_new_revision(engine, people):
    deploy_path(engine, APPROVAL)
    first = engine.runtime.start("bench_approval", people["sam"])
    second = engine.runtime.start("bench_approval", people["sam"])
    with engine.uow.transaction() as tx:
        for instance in (first, second):
            tx.run(instance.id, people["sam"], lambda loaded: loaded.advance())
    cached = not engine.settings.cold_commands  # the cold pass keeps no workflow between commands
    for instance in (first, second):
        revision = _revision(engine, instance.id)
        assert (engine.uow.cache.take(instance.id, revision) is not None) == cached


class _Recorder(Projection):
    def __init__(self, calls: list, with_workflow_only: bool) -> None:
        self.calls = calls
        self.with_workflow_only = with_workflow_only

    def step(self, instance, step):
        self.calls.append(("step", step.element_id))

    def settle(self, instance):
        self.calls.append(("settle", instance.status))

    def project(self, instance):
        self.calls.append(("project", instance.status, instance.workflow is not None))


@pytest.mark.parametrize("with_workflow_only", [True, False])
def test_projections_hear_steps_then_settle_then_project_in_the_order_given(
    engine, people, with_workflow_only
):
    calls: list = []
    order: list = []

    class First(Projection):
        def project(self, instance):
            order.append("first")

    class Second(Projection):
        def project(self, instance):
            order.append("second")

    engine.uow.project_with(*engine.uow.projections, First(), _Recorder(calls, with_workflow_only), Second())
    deploy_path(engine, APPROVAL)
    instance = engine.runtime.start("bench_approval", people["sam"])
    assert calls[-1] == ("project", "running", True)
    assert calls[-2] == ("settle", "running")
    assert all(c[0] == "step" for c in calls[:-2]) and calls[:-2]
    assert order == ["first", "second"]

    calls.clear()
    task = _submit_task(engine, instance.id)
    engine.tasks.claim(task.id, people["sam"])  # leaves the workflow alone
    assert calls == ([] if with_workflow_only else [("project", "running", False)])
