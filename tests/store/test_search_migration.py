"""Migration 0013: instances stored before it are found by their data once it ran."""

from engine.actor import SYSTEM
from engine.runtime import InstanceSearch
from engine.store import migrate
from tests.conftest import BENCH_MODELS
from tests.factories import add_users, deploy_path


def test_upgrading_fills_the_values_of_every_existing_instance(engine):
    people = add_users(engine, sam="sales")
    deploy_path(engine, BENCH_MODELS / "bench_approval.bpmn")
    ids = [
        engine.runtime.start("bench_approval", people["sam"], {"customer": c}).id for c in ("ACME", "Zeta")
    ]
    migrate.downgrade(engine.db, "0012")  # as a 0012 database held them: no values table at all
    migrate.upgrade(engine.db)

    def found(**search):
        return [i.id for i in engine.runtime.search(SYSTEM, InstanceSearch(**search)).items]

    assert found(data=(("customer", "ACME"),)) == [ids[0]]
    assert found(data=(("amount", "250000"),), descending=False) == ids
