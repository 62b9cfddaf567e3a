"""End to end: Camunda's own Python worker (camunda-external-task-client-python3) works the
external tasks of a process over /engine-rest, first against the live test server, then against a
real `approvals serve` restarted between the steps, with every other step an `approvals` process."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from camunda.external_task.external_task import ExternalTask, TaskResult
from camunda.external_task.external_task_worker import ExternalTaskWorker, NoExternalTaskFound

from engine.actor import SYSTEM
from tests.api.conftest import Api
from tests.cli.conftest import APPROVALS
from tests.external.models import SHIPPING
from tests.factories import deploy_files

CONFIG = {"maxTasks": 1, "lockDuration": 10_000, "asyncResponseTimeout": 500, "sleepSeconds": 0}


def _worker(base_url: str, token: str, name: str) -> ExternalTaskWorker:
    return ExternalTaskWorker(name, base_url, {**CONFIG, "auth_bearer": {"access_token": token}})


def _work(worker: ExternalTaskWorker, topic: str, handler: Callable[[ExternalTask], TaskResult]) -> bool:
    try:
        worker.fetch_and_execute(topic, handler)
    except NoExternalTaskFound:
        return False
    return True


def test_the_camunda_python_worker_takes_the_process_through_both_topics(api: Api) -> None:
    deploy_files(api.engine, {"shipping.bpmn": SHIPPING})
    _, token = api.engine.identity.add_user("bot", ["external_worker"])
    sam = api.engine.identity.actor("sam")
    approved = api.engine.runtime.start("shipping", sam, {"amount": 120})
    blocked = api.engine.runtime.start("shipping", sam, {"amount": -1})
    worker = _worker(api.url + "/engine-rest", token, "py-worker")
    attempts: dict[str, int] = {}

    def check_credit(task: ExternalTask) -> TaskResult:
        amount = task.get_variable("amount")
        if amount < 0:
            return task.bpmn_error("CREDIT_BLOCKED", "negative amount", {"blocked_amount": amount})
        return task.complete({"credit_ok": amount < 1000, "score": 7})

    def ship(task: ExternalTask) -> TaskResult:
        attempts[task.get_task_id()] = attempts.get(task.get_task_id(), 0) + 1
        if attempts[task.get_task_id()] == 1:  # the carrier is down the first time: retry at once
            return task.failure("carrier down", "HTTP 503", max_retries=2, retry_timeout=0)
        assert task.get_variable("credit_ok") is True
        return task.complete({"tracking": f"T-{task.get_process_instance_id()}"})

    assert _work(worker, "credit-check", check_credit)
    assert _work(worker, "credit-check", check_credit)
    assert _work(worker, "ship", ship)
    assert _work(worker, "ship", ship)
    assert not _work(worker, "ship", ship)
    done = api.engine.runtime.get(approved.id, SYSTEM)
    assert done.status == "completed" and done.data["tracking"] == f"T-{approved.id}"
    assert done.data["score"] == 7
    stopped = api.engine.runtime.get(blocked.id, SYSTEM)
    assert stopped.status == "completed" and stopped.data["blocked_amount"] == -1
    events = [e.type for e in api.engine.history.events(approved.id, SYSTEM)]
    assert "external_task_failed" in events and events.count("external_task_completed") == 2


# --- one process per step -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_server(env: dict[str, str], cwd: str, token: str) -> tuple[subprocess.Popen, str] | None:
    """`approvals serve` on a free port, once it answers; None if another process took the port
    between our probe and its bind (other tests run servers too): ours then exits, and the other
    does not know our worker's token."""
    port = _free_port()
    server = subprocess.Popen(
        [APPROVALS, "serve", "--port", str(port), "--workers", "1", "--no-timers"],
        env={**env, "APPROVALS_COLD_COMMANDS": "1"},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        if server.poll() is not None:
            return None
        try:
            if httpx.get(url + "/api/v1/health", timeout=1).status_code < 500:
                with _rest(url, token) as client:
                    if client.get("/external-task/count").status_code == 200 and server.poll() is None:
                        return server, url
                server.terminate()
                server.wait(timeout=20)
                return None
        except httpx.TransportError:
            time.sleep(0.1)
    server.terminate()
    server.wait(timeout=20)
    raise AssertionError("approvals serve did not come up")


@contextmanager
def _serve(env: dict[str, str], cwd: str, token: str) -> Iterator[str]:
    """A real `approvals serve` (gunicorn) on the test database, stopped on leaving."""
    for _ in range(5):
        started = _start_server(env, cwd, token)
        if started is not None:
            break
    else:
        raise AssertionError("no free port for approvals serve")
    server, url = started
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


def _rest(url: str, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=url + "/engine-rest", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def _fetch_one(client: httpx.Client, topic: str) -> dict[str, Any]:
    body = {"workerId": "w", "maxTasks": 1, "topics": [{"topicName": topic, "lockDuration": 60_000}]}
    answer = client.post("/external-task/fetchAndLock", json=body)
    assert answer.status_code == 200, answer.text
    (task,) = answer.json()
    return task


@pytest.mark.slow  # four `approvals serve` and as many commands: among the long tests, run first
def test_the_process_reaches_its_end_with_each_step_in_a_process_of_its_own(cli: Any, tmp_path: Any) -> None:
    models = tmp_path / "shipping.bpmn"
    models.write_text(SHIPPING)
    cli("users", "add", "sam", "--groups", "sales")
    added = cli("users", "add", "wendy", "--groups", "external_worker")
    found = re.search(r"apr_[A-Za-z0-9_-]+", added.stdout + added.stderr)
    assert found, (added.stdout, added.stderr)
    token = found.group(0)
    cli("deploy", str(models))
    cli("start", "shipping", "--user", "sam", "--data", '{"amount": 10}')
    env = {**os.environ, "APPROVALS_DATABASE_URL": f"sqlite:///{cli.db}"}
    with _serve(env, str(cli.dir), token) as url, _rest(url, token) as client:
        credit = _fetch_one(client, "credit-check")
    with (
        _serve(env, str(cli.dir), token) as url,
        _rest(url, token) as client,
    ):  # a restart between fetch and complete
        done = client.post(
            f"/external-task/{credit['id']}/complete",
            json={"workerId": "w", "variables": {"credit_ok": {"value": True, "type": "Boolean"}}},
        )
        assert done.status_code == 204, done.text
    with _serve(env, str(cli.dir), token) as url, _rest(url, token) as client:
        ship = _fetch_one(client, "ship")
        assert ship["variables"]["credit_ok"] == {"value": True, "type": "Boolean", "valueInfo": {}}
    with _serve(env, str(cli.dir), token) as url, _rest(url, token) as client:
        assert client.post(f"/external-task/{ship['id']}/complete", json={"workerId": "w"}).status_code == 204
    instance = json.loads(cli("instances", "--json").stdout)[0]
    assert instance["status"] == "completed"
    history = cli("history", str(instance["id"])).stdout
    assert "external_task_completed" in history
