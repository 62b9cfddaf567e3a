"""GET /instances/{id} says what a running instance waits for, and names the incident of one that waits
for nothing."""

from __future__ import annotations

from engine.actor import SYSTEM
from engine.tasks.service import TaskQuery
from tests.api.conftest import Api
from tests.factories import deploy_files
from tests.runtime.test_stalls import DEADLOCK


def test_the_instance_view_lists_its_waits_and_its_incident(api: Api) -> None:
    engine = api.engine
    deploy_files(engine, {"deadlock.bpmn": DEADLOCK})
    fay = api.client("fay")
    started = fay.post("/instances", json={"model": "deadlock", "data": {"go_a": True}})
    assert started.status_code == 201, started.text
    instance = started.json()
    assert instance["waiting_for"] == ["user task prepare"]
    assert fay.get(f"/instances/{instance['id']}").json()["waiting_for"] == ["user task prepare"]
    # A list does not probe each instance's waits.
    assert all(i["waiting_for"] is None for i in api.client("root").get("/instances").json()["items"])

    (task,) = engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance["id"]))
    assert fay.post(f"/tasks/{task.id}/claim").status_code == 200
    done = fay.post(f"/tasks/{task.id}/complete", json={"data": {}})
    assert done.status_code == 200, done.text  # the person's work is kept; the stall is the model's

    view = fay.get(f"/instances/{instance['id']}").json()
    assert view["status"] == "running"
    assert view["waiting_for"] == ["incident: the process waits for nothing: its tokens stopped at join"]
    history = api.client("root").get(f"/instances/{instance['id']}/history").json()["events"]
    assert [e["element_id"] for e in history if e["type"] == "incident"] == ["join"]

    cancelled = api.client("root").post(f"/instances/{instance['id']}/cancel", json={"reason": "stuck"})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["waiting_for"] == []
