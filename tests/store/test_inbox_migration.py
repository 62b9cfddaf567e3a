"""Migration 0004: tasks stored before it that name no candidates stay claimable by anyone."""

from sqlalchemy import select

from engine import Engine
from engine.actor import SYSTEM
from engine.config import Settings
from engine.store import migrate
from engine.store.schema import user_task_candidates
from engine.tasks.service import TaskQuery
from tests.factories import MODELS, add_users, deploy_files


def test_upgrading_gives_tasks_addressed_to_nobody_their_anyone_row(tmp_path):
    engine = Engine(Settings.from_env(database_url=f"sqlite:///{tmp_path / 'old.db'}"))
    try:
        engine.upgrade_schema()
        people = add_users(engine, sam="sales_rep", ed="marketing")
        bpmn = (MODELS / "deadlines" / "deadlines.bpmn").read_text()
        deploy_files(engine, {"deadlines.bpmn": bpmn.replace(' camunda:candidateGroups="sales_manager"', "")})
        instance = engine.runtime.start("deadlines", people["sam"], {"valid_until": "2026-04-30T18:00:00Z"})
        migrate.downgrade(engine.db, "0003")
        with engine.db.read() as conn:  # as a 0003 database held it: no candidate row at all
            assert conn.execute(select(user_task_candidates)).all() == []
        migrate.upgrade(engine.db)
        with engine.db.read() as conn:
            assert [(r.kind, r.name) for r in conn.execute(select(user_task_candidates))] == [("anyone", "*")]
        (task,) = engine.tasks.list(people["ed"], TaskQuery(claimable_by=people["ed"]))
        assert task.instance_id == instance.id and task.candidate_groups == []
        assert engine.history.verify(instance.id, SYSTEM).ok
    finally:
        engine.close()
