"""Camunda's external-task REST API (/engine-rest) against a real HTTP server."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest

from engine.actor import SYSTEM
from tests.api.conftest import Api
from tests.external.models import PLAIN, SHIPPING
from tests.factories import deploy_files

LOCK = 60_000


@pytest.fixture
def rest(api: Api) -> Api:
    deploy_files(api.engine, {"shipping.bpmn": SHIPPING})
    deploy_files(api.engine, {"plain.bpmn": PLAIN})
    _, api.tokens["wendy"] = api.engine.identity.add_user("wendy", ["external_worker"])
    return api


def _client(api: Api, user: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {api.tokens[user]}"} if user else {}
    client = httpx.Client(base_url=api.url + "/engine-rest", headers=headers, timeout=30)
    api.clients.append(client)
    return client


def _fetch(client: httpx.Client, topic: str, worker: str = "w1", **extra: object) -> httpx.Response:
    body = {
        "workerId": worker,
        "maxTasks": 5,
        "topics": [{"topicName": topic, "lockDuration": LOCK}],
        **extra,
    }
    return client.post("/external-task/fetchAndLock", json=body)


def _error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body.get("message") and body["type"], body
    assert body["message"] and body["type"] and "Traceback" not in response.text
    return body


def test_a_worker_drives_the_process_to_its_end_with_typed_variables(rest: Api) -> None:
    instance = rest.engine.runtime.start(
        "shipping", rest.engine.identity.actor("sam"), {"amount": 5, "meta": {"a": [1]}}
    )
    worker = _client(rest, "wendy")
    fetched = _fetch(worker, "credit-check")
    assert fetched.status_code == 200, fetched.text
    (task,) = fetched.json()
    assert task["topicName"] == "credit-check" and task["activityId"] == "check_credit"
    assert task["processInstanceId"] == str(instance.id) and task["priority"] == 5
    assert task["lockExpirationTime"].endswith("+0000")
    assert task["variables"]["amount"] == {"value": 5, "type": "Integer", "valueInfo": {}}
    assert task["variables"]["meta"]["type"] == "Json"
    assert json.loads(task["variables"]["meta"]["value"]) == {"a": [1]}
    done = worker.post(
        f"/external-task/{task['id']}/complete",
        json={
            "workerId": "w1",
            "variables": {
                "credit_ok": {"value": True, "type": "Boolean"},
                "limit": {"value": 2**40, "type": "Long"},
                "report": {"value": '{"score": 7}', "type": "Json"},
                "note": {"value": "fine"},  # untyped, as the Python client sends it
            },
        },
    )
    assert done.status_code == 204, done.text
    (ship,) = _fetch(worker, "ship").json()
    assert ship["variables"]["limit"]["type"] == "Long"
    assert worker.post(f"/external-task/{ship['id']}/complete", json={"workerId": "w1"}).status_code == 204
    data = rest.engine.runtime.get(instance.id, SYSTEM).data
    assert data["report"] == {"score": 7} and data["note"] == "fine" and data["limit"] == 2**40


def test_camunda_errors_wrong_worker_unknown_task_unknown_type(rest: Api) -> None:
    rest.engine.runtime.start("plain", rest.engine.identity.actor("sam"), {})
    worker = _client(rest, "wendy")
    (task,) = _fetch(worker, "work").json()
    wrong = worker.post(f"/external-task/{task['id']}/complete", json={"workerId": "intruder"})
    assert "locked by worker 'w1'" in _error(wrong, 400)["message"]
    _error(worker.post("/external-task/nope/complete", json={"workerId": "w1"}), 404)
    typed = worker.post(
        f"/external-task/{task['id']}/complete",
        json={"workerId": "w1", "variables": {"blob": {"value": "x", "type": "Bytes"}}},
    )
    assert "blob" in json.dumps(_error(typed, 400))
    mismatch = worker.post(
        f"/external-task/{task['id']}/complete",
        json={"workerId": "w1", "variables": {"n": {"value": "seven", "type": "Integer"}}},
    )
    assert "variable 'n'" in _error(mismatch, 400)["message"]
    unknown_field = worker.post(
        "/external-task/fetchAndLock", json={"workerId": "w1", "topics": [], "tenantIdIn": ["x"]}
    )
    _error(unknown_field, 400)


def test_who_may_call_what(rest: Api) -> None:
    rest.engine.runtime.start("plain", rest.engine.identity.actor("sam"), {})
    _error(_fetch(_client(rest, None), "work"), 401)
    _error(_fetch(_client(rest, "fay"), "work"), 403)  # an employee
    _error(_fetch(_client(rest, "ann"), "work"), 403)  # an auditor reads only
    listed = _client(rest, "ann").get("/external-task", params={"topicName": "work"})
    assert listed.status_code == 200 and len(listed.json()) == 1
    task_id = listed.json()[0]["id"]
    _error(_client(rest, "wendy").put(f"/external-task/{task_id}/retries", json={"retries": 1}), 403)
    assert (
        _client(rest, "root").put(f"/external-task/{task_id}/retries", json={"retries": 1}).status_code == 204
    )
    _error(_client(rest, "fay").get(f"/external-task/{task_id}"), 403)


def test_failure_incident_retries_and_counts(rest: Api) -> None:
    rest.engine.runtime.start("plain", rest.engine.identity.actor("sam"), {})
    worker, admin = _client(rest, "wendy"), _client(rest, "root")
    (task,) = _fetch(worker, "work").json()
    failed = worker.post(
        f"/external-task/{task['id']}/failure",
        json={
            "workerId": "w1",
            "errorMessage": "down",
            "errorDetails": "stack",
            "retries": 0,
            "retryTimeout": 0,
        },
    )
    assert failed.status_code == 204, failed.text
    assert worker.get("/external-task/count", params={"noRetriesLeft": "true"}).json() == {"count": 1}
    assert worker.post("/external-task/count", json={"withRetriesLeft": True}).json() == {"count": 0}
    shown = worker.get(f"/external-task/{task['id']}").json()
    assert shown["retries"] == 0 and shown["errorMessage"] == "down" and shown["status"] == "incident"
    assert worker.get(f"/external-task/{task['id']}/errorDetails").text == "stack"
    assert _fetch(worker, "work").json() == []
    assert admin.put(f"/external-task/{task['id']}/retries", json={"retries": 3}).status_code == 204
    (again,) = _fetch(worker, "work").json()
    assert again["retries"] == 3
    assert (
        worker.post(
            f"/external-task/{again['id']}/extendLock", json={"workerId": "w1", "newDuration": 5000}
        ).status_code
        == 204
    )
    assert worker.post(f"/external-task/{again['id']}/unlock").status_code == 204
    assert worker.get("/external-task", params={"notLocked": "true"}).json()[0]["workerId"] is None


def test_a_bpmn_error_over_http_is_caught(rest: Api) -> None:
    instance = rest.engine.runtime.start("shipping", rest.engine.identity.actor("sam"), {})
    worker = _client(rest, "wendy")
    (task,) = _fetch(worker, "credit-check").json()
    answer = worker.post(
        f"/external-task/{task['id']}/bpmnError",
        json={"workerId": "w1", "errorCode": "CREDIT_BLOCKED", "errorMessage": "held"},
    )
    assert answer.status_code == 204, answer.text
    assert rest.engine.runtime.get(instance.id, SYSTEM).status == "completed"
    _error(worker.post(f"/external-task/{task['id']}/complete", json={"workerId": "w1"}), 404)


def test_long_polling_answers_when_a_task_appears(rest: Api) -> None:
    worker = _client(rest, "wendy")
    started = time.monotonic()
    assert _fetch(worker, "work", asyncResponseTimeout=600).json() == []
    assert 0.4 <= time.monotonic() - started < 5
    threading.Timer(
        0.5, lambda: rest.engine.runtime.start("plain", rest.engine.identity.actor("sam"), {})
    ).start()
    started = time.monotonic()
    found = _fetch(worker, "work", asyncResponseTimeout=20_000).json()
    assert len(found) == 1 and time.monotonic() - started < 10
    _error(_fetch(worker, "work", asyncResponseTimeout=3_600_000), 400)  # beyond the cap
