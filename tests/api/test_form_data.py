"""camunda:formData over HTTP: the task view shows its JSON Schema, a wrong type or a read-only field
written is a 422 naming the field, and the start event's formData checks a start request."""

from engine.actor import SYSTEM
from engine.tasks.service import TaskQuery
from tests.api.conftest import assert_problem
from tests.factories import deploy_files
from tests.tasks.test_form_data_schema import model


def test_over_http_the_view_shows_the_schema_and_a_wrong_type_is_a_422_naming_the_field(api):
    engine = api.engine
    deploy_files(engine, {"booking.bpmn": model()})
    _, api.tokens["mia"] = engine.identity.add_user("mia", ["manager"])
    instance = engine.runtime.start("booking", engine.identity.actor("sam"), {"customer": "ACME"})
    (task,) = engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance.id))
    mia = api.client("mia")
    view = mia.get(f"/tasks/{task.id}")
    assert view.status_code == 200, view.text
    assert view.json()["form"]["properties"]["seats"]["type"] == "integer"
    body = assert_problem(mia.post(f"/tasks/{task.id}/complete", json={"data": {"seats": "three"}}), 422)
    assert [p["field"] for p in body["problems"]] == ["seats"]
    body = assert_problem(
        mia.post(f"/tasks/{task.id}/complete", json={"data": {"seats": 2, "customer": "X"}}), 422
    )
    assert [p["field"] for p in body["problems"]] == ["customer"]
    done = mia.post(f"/tasks/{task.id}/complete", json={"data": {"seats": 2, "level": "low"}})
    assert done.status_code == 200, done.text
    assert done.json()["instance_status"] == "completed"
    started = api.client("sam").post("/instances", json={"model": "booking", "data": {"customer": 7}})
    assert [p["field"] for p in assert_problem(started, 422)["problems"]] == ["customer"]
