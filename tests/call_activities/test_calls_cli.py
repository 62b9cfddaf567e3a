"""Parent → child → grandchild with every command in its own `approvals` process (cold each time)."""

from __future__ import annotations

import json

import pytest

from tests.call_activities import models

# Every command a process of its own: among the long tests, which run first (tests/conftest.py).
pytestmark = pytest.mark.slow


def test_a_call_chain_reaches_its_end_one_process_per_command(cli):
    cli("users", "add", "sam", "--groups", "sales")
    for name, text in (("grandchild", models.GRANDCHILD), ("child", models.CHILD), ("parent", models.PARENT)):
        (cli.dir / f"{name}.bpmn").write_text(text)
        cli("deploy", str(cli.dir / f"{name}.bpmn"))
    cli("start", "parent", "--user", "sam", "--data", '{"amount": 500}', "--business-key", "REQ-9")

    def show(instance_id):
        return json.loads(cli("instance", str(instance_id), "--json").stdout)

    def only_open_task(shown):
        [task] = [t for t in shown["tasks"] if t["status"] == "open"]
        return task

    parent = show(1)["instance"]
    [child_link] = parent["children"]
    child_id = child_link["instance_id"]
    assert child_link["status"] == "running"
    cli("complete", str(only_open_task(show(child_id))["id"]), "--user", "sam", "--data", "{}")
    grandchild_id = show(child_id)["instance"]["children"][0]["instance_id"]
    shown = show(grandchild_id)
    grandchild = shown["instance"]
    assert grandchild["business_key"] == "REQ-9" and grandchild["parent"]["instance_id"] == child_id
    cli("complete", str(only_open_task(shown)["id"]), "--user", "sam", "--data", '{"reviewer": "sam"}')
    shown = show(1)
    parent = shown["instance"]
    assert parent["data"]["verdict"] == "large" and parent["data"]["child_reviewer"] == "sam"
    cli("complete", str(only_open_task(shown)["id"]), "--user", "sam", "--data", "{}")
    assert [show(i)["instance"]["status"] for i in (1, child_id, grandchild_id)] == ["completed"] * 3
    text = cli("instance", str(child_id)).stdout
    assert (
        "parent:       instance 1 (call activity call_child)" in text
        and "of grandchild at call_grandchild" in text
    )
    for instance_id in (1, child_id, grandchild_id):
        cli("verify", str(instance_id))
    history = cli("history", "1", "--json").stdout
    assert "call_activity_started" in history and "call_activity_completed" in history


def test_deploy_reports_each_process_of_a_file(cli):
    (cli.dir / "pair.bpmn").write_text(models.PAIR)
    checked = cli("validate", str(cli.dir / "pair.bpmn")).stdout
    assert "main: valid" in checked and "part: valid" in checked
    out = cli("deploy", str(cli.dir / "pair.bpmn")).stdout
    assert "main: deployed as version 1" in out and "part: deployed as version 1" in out
    assert "sketch" not in out
