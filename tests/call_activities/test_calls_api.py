"""Call activities over HTTP: an instance shows its parent and children; a file's processes deploy apart."""

from __future__ import annotations

from tests.api.conftest import Api, assert_problem
from tests.call_activities import models
from tests.factories import deploy_files


def test_an_instance_shows_its_parent_and_its_children(api: Api) -> None:
    deploy_files(api.engine, {"child.bpmn": models.child_model()})
    deploy_files(api.engine, {"plain.bpmn": models.caller("plain", "child")})
    started = api.client("sam").post("/instances", json={"model": "plain", "data": {}})
    assert started.status_code == 201, started.text
    parent = started.json()
    [child_link] = parent["children"]
    assert (
        parent["parent"] is None
        and child_link["status"] == "running"
        and child_link["element_id"] == "call_it"
    )
    assert api.client("sam").get(f"/instances/{parent['id']}").json()["children"] == [child_link]
    child = api.client("sam").get(f"/instances/{child_link['instance_id']}").json()
    assert (
        child["parent"] == {"instance_id": parent["id"], "element_id": "call_it"} and child["children"] == []
    )
    listed = {i["id"]: i for i in api.client("sam").get("/instances").json()["items"]}
    assert listed[parent["id"]]["children"] == [child_link]
    history = api.client("sam").get(f"/instances/{child['id']}/history").json()["events"]
    assert (
        next(e for e in history if e["type"] == "started_by_call_activity")["data"]["parent_instance_id"]
        == parent["id"]
    )
    cancelled = api.client("sam").post(f"/instances/{parent['id']}/cancel", json={"reason": "no"}).json()
    assert cancelled["children"][0]["status"] == "cancelled"
    assert api.client("sam").get(f"/instances/{child['id']}").json()["status"] == "cancelled"


def test_deploying_a_file_with_two_processes_answers_with_both(api: Api) -> None:
    response = api.as_role("process_owner").post(
        "/models", files={"pair.bpmn": ("pair.bpmn", models.PAIR.encode())}
    )
    assert response.status_code == 201, response.text
    assert response.json()["deployed"] == [
        {"model_key": "main", "version": 1, "created": True},
        {"model_key": "part", "version": 1, "created": True},
    ]


def test_an_admin_retries_a_call_whose_model_was_missing(api: Api) -> None:
    deploy_files(api.engine, {"plain.bpmn": models.caller("plain", "child")})
    started = api.client("sam").post("/instances", json={"model": "plain", "data": {}}).json()
    assert started["children"][0]["status"] == "incident"
    assert "'child'" in " ".join(started["waiting_for"])
    retry = f"/instances/{started['id']}/calls/retry"
    assert_problem(api.client("sam").post(retry), 403)
    deploy_files(api.engine, {"child.bpmn": models.child_model()})
    retried = api.as_role("admin").post(retry)
    assert retried.status_code == 200, retried.text
    assert [c["status"] for c in retried.json()["children"]] == ["resolved", "running"]
    assert_problem(api.as_role("admin").post(retry), 409)
