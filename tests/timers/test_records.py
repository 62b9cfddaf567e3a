import pytest

from engine.actor import SYSTEM
from engine.tasks.service import TaskQuery
from tests.factories import MODELS, add_users, deploy_files, deploy_path

MI_SEQUENTIAL = '<bpmn:multiInstanceLoopCharacteristics isSequential="true">'


def test_a_grant_is_filed_with_the_fields_the_model_names(engine):
    deploy_path(engine, MODELS / "grant")
    people = add_users(engine, sam="sales_rep", mona="sales_manager", ann="auditor", lee="legal")
    instance = engine.runtime.start(
        "grant",
        people["sam"],
        {
            "amount": 950.0,
            "quantity": 10,
            "reason": "competitor",
            "recipient": "ACME",
            "internal_note": "not kept",
        },
    )
    task = engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance.id))[0]
    engine.tasks.complete(task.id, people["mona"], {"approved": True})
    (record,) = engine.records.list(people["ann"], kind="discount_grant")
    assert record.data == {"amount": 950.0, "quantity": 10, "reason": "competitor", "recipient": "ACME"}
    assert (record.instance_id, record.element_id, record.model_key) == (instance.id, "granted", "grant")
    filed = [e for e in engine.history.events(instance.id, SYSTEM) if e.type == "record_filed"]
    assert filed[0].data == {"kind": "discount_grant", "data": record.data}
    assert engine.records.list(people["lee"], kind="discount_grant") == []  # takes no part
    assert engine.records.list(people["mona"], kind="discount_grant")[0].id == record.id
    assert engine.records.list(people["ann"], kind="other") == []


@pytest.mark.parametrize("sequential", [False, True], ids=["parallel", "sequential"])
def test_a_multi_instance_task_files_one_record_per_instance_and_none_for_the_whole(engine, sequential):
    bpmn = (MODELS / "panel" / "panel.bpmn").read_text()
    if sequential:
        bpmn = bpmn.replace("<bpmn:multiInstanceLoopCharacteristics>", MI_SEQUENTIAL)
    deploy_files(engine, {"panel.bpmn": bpmn})
    people = add_users(engine, sam="sales_rep", fay="finance", ann="auditor")
    instance = engine.runtime.start("panel", people["sam"], {"signers": ["fay", "fred"]})
    for decision in ("approve", "reject"):
        first = engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance.id))[0]
        engine.tasks.complete(first.id, people["fay"], {"decision": decision})
    assert engine.runtime.get(instance.id, SYSTEM).status == "completed"
    filed = engine.records.list(people["ann"], kind="countersignature")
    assert [(r.element_id, r.data) for r in filed] == [
        ("countersign", {"signer": "fay", "decision": "approve"}),
        ("countersign", {"signer": "fred", "decision": "reject"}),
    ]
    events = [e for e in engine.history.events(instance.id, SYSTEM) if e.type == "record_filed"]
    assert [e.data["data"] for e in events] == [r.data for r in filed]
