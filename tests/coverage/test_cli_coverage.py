"""The coverage models driven through the `approvals` command, every command in its own process."""

from __future__ import annotations

import json

import pytest

from tests.coverage.helpers import bpmn, flow, script, user_task
from tests.coverage.test_event_subprocesses import PROCESS_LEVEL, event_subprocess
from tests.coverage.test_events import ERRORS

# Every command a process of its own: among the long tests, which run first (tests/conftest.py).
pytestmark = pytest.mark.slow


def _setup(cli, name: str, model: str) -> None:
    path = cli.dir / f"{name}.bpmn"
    path.write_text(model)
    cli("groups", "add", "staff", ok=False)  # may already exist, or be created by `users add`
    cli("users", "add", "sam", "--groups", "sales")
    cli("users", "add", "stu", "--groups", "staff")
    assert "deployed as version 1" in cli("deploy", str(path)).stdout


def _start(cli, key: str, business_key: str | None = None) -> int:
    args = ["start", key, "--user", "sam", "--json"]
    if business_key:
        args += ["--business-key", business_key]
    return json.loads(cli(*args).stdout)["instance"]["id"]


def _tasks(cli, instance_id: int, status: str = "open") -> list[dict]:
    return json.loads(cli("tasks", "--instance", str(instance_id), "--status", status, "--json").stdout)


def _status(cli, instance_id: int) -> str:
    return json.loads(cli("instance", str(instance_id), "--json").stdout)["instance"]["status"]


def _history(cli, instance_id: int) -> list[dict]:
    return json.loads(cli("history", str(instance_id), "--json").stdout)


def test_event_subprocesses_one_process_per_command(cli):
    _setup(cli, "watched_review", PROCESS_LEVEL)
    instance_id = _start(cli, "watched_review", "R-9")
    cli("message", "ping", "--key", "R-9")
    cli("message", "ping", "--key", "R-9")
    open_tasks = _tasks(cli, instance_id)
    assert sorted(t["element_id"] for t in open_tasks) == ["answer_ping", "answer_ping", "review"]
    answered = next(t for t in open_tasks if t["element_id"] == "answer_ping")
    cli("complete", str(answered["id"]), "--user", "stu")
    # Interrupting: the review and the other open ping are cancelled, the instance ends.
    cli("message", "cancel_request", "--key", "R-9")
    assert _status(cli, instance_id) == "completed"
    assert _tasks(cli, instance_id) == []
    assert sorted(t["element_id"] for t in _tasks(cli, instance_id, "cancelled")) == ["answer_ping", "review"]
    assert json.loads(cli("timers", "--instance", str(instance_id), "--json").stdout) == []
    types = [(e["type"], e["element_id"]) for e in _history(cli, instance_id)]
    assert types.count(("event_caught", "on_ping_start")) == 2
    assert ("event_caught", "on_cancel_start") in types
    assert ("timer_cancelled", "on_late_start") in types
    assert "history intact" in cli("verify", str(instance_id)).stdout
    refused = cli("message", "ping", "--key", "R-9", ok=False)
    assert refused.returncode != 0 and "no process waits" in refused.stderr


PAST_DEADLINE = bpmn(
    "past_deadline",
    '<bpmn:startEvent id="start" />'
    + user_task("review")
    + '<bpmn:endEvent id="end" />'
    + flow("f1", "start", "review")
    + flow("f2", "review", "end")
    + event_subprocess(
        "overdue",
        "<bpmn:timerEventDefinition><bpmn:timeDate>2020-01-01T00:00:00Z</bpmn:timeDate></bpmn:timerEventDefinition>",
        script("mark_overdue", "overdue = True") + flow("o1", "overdue_start", "mark_overdue"),
    ),
)


def test_a_timer_event_subprocess_fired_by_the_worker_interrupts_the_process(cli):
    _setup(cli, "past_deadline", PAST_DEADLINE)
    instance_id = _start(cli, "past_deadline")
    (timer,) = json.loads(cli("timers", "--instance", str(instance_id), "--json").stdout)
    assert timer["element_id"] == "overdue_start"
    assert "fired 1, failed 0" in cli("worker", "--once").stdout
    assert _status(cli, instance_id) == "completed"
    assert [t["element_id"] for t in _tasks(cli, instance_id, "cancelled")] == ["review"]
    shown = json.loads(cli("instance", str(instance_id), "--json").stdout)["instance"]
    assert shown["data"]["overdue"] is True


FLOW_NODES = bpmn(
    "flow_nodes_cli",
    '<bpmn:startEvent id="start" />'
    '<bpmn:task id="plain" />'
    '<bpmn:manualTask id="by_hand" />'
    '<bpmn:subProcess id="check"><bpmn:startEvent id="check_start" />'
    + user_task("decide", fields=("outcome",))
    + '<bpmn:exclusiveGateway id="which" default="fine" />'
    '<bpmn:endEvent id="throw_budget"><bpmn:errorEventDefinition errorRef="e_budget" /></bpmn:endEvent>'
    + flow("c1", "check_start", "decide")
    + flow("c2", "decide", "which")
    + flow("budget", "which", "throw_budget", "outcome == 'budget'")
    + script("checked", "checked = True")
    + flow("fine", "which", "checked")
    + "</bpmn:subProcess>"
    '<bpmn:boundaryEvent id="on_budget" attachedToRef="check">'
    '<bpmn:errorEventDefinition errorRef="e_budget" /></bpmn:boundaryEvent>'
    + script("rejected", "rejected = True")
    + user_task("after")
    + flow("f1", "start", "plain")
    + flow("f2", "plain", "by_hand")
    + flow("f3", "by_hand", "check")
    + flow("f4", "check", "after")
    + flow("b1", "on_budget", "rejected"),
    ERRORS,
)


def test_implicit_ends_passing_tasks_and_an_error_boundary_one_process_per_command(cli):
    _setup(cli, "flow_nodes_cli", FLOW_NODES)
    fine = _start(cli, "flow_nodes_cli")
    (decide,) = _tasks(cli, fine)
    cli("complete", str(decide["id"]), "--user", "stu", "--data", '{"outcome": "fine"}')
    (after,) = _tasks(cli, fine)
    assert after["element_id"] == "after"
    cli("complete", str(after["id"]), "--user", "stu")
    assert _status(cli, fine) == "completed"
    types = [(e["type"], e["element_id"]) for e in _history(cli, fine)]
    assert ("task_passed", "plain") in types and ("task_passed", "by_hand") in types

    failing = _start(cli, "flow_nodes_cli")
    (decide,) = _tasks(cli, failing)
    cli("complete", str(decide["id"]), "--user", "stu", "--data", '{"outcome": "budget"}')
    # Caught on the boundary; the path after it ends without an end event, and so does the instance.
    assert _status(cli, failing) == "completed"
    types = [(e["type"], e["element_id"]) for e in _history(cli, failing)]
    assert ("event_caught", "on_budget") in types
    assert ("end_event", "throw_budget") in types
    assert "history intact" in cli("verify", str(failing)).stdout
