"""The issue's acceptance path, through the real `approvals` executable in separate processes."""

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.call_activities import models as call_models
from tests.cli.conftest import APPROVALS
from tests.conftest import BENCH_MODELS, ON_POSTGRES
from tests.factories import MODELS

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="the CLI path is exercised on its default SQLite file")


def test_bench_approval_through_the_cli(cli):
    model = BENCH_MODELS / "bench_approval.bpmn"
    assert "deployed as version 1" in cli("deploy", str(model)).stdout
    assert "unchanged, still version 1" in cli("deploy", str(model)).stdout
    for name, group in (("sam", "sales"), ("mia", "manager"), ("fay", "finance")):
        assert "API token" in cli("users", "add", name, "--groups", group).stdout

    started = json.loads(
        cli("start", "bench_approval", "--user", "sam", "--data", '{"customer": "ACME"}', "--json").stdout
    )
    instance_id = started["instance"]["id"]
    assert started["instance"]["model_version"] == 1

    edited = cli.dir / "bench_approval.bpmn"
    edited.write_text(model.read_text().replace('name="Finance review"', 'name="Finance sign-off"'))
    assert "deployed as version 2" in cli("deploy", str(edited), "--note", "renamed").stdout

    def only_task():
        tasks = json.loads(cli("tasks", "--instance", str(instance_id), "--json").stdout)
        assert len(tasks) == 1
        return tasks[0]

    cli("complete", str(only_task()["id"]), "--user", "sam", "--data", '{"note": "urgent"}')
    manager_task = only_task()
    assert manager_task["candidate_groups"] == ["manager"]
    refused = cli("claim", str(manager_task["id"]), "--user", "fay", ok=False)
    assert refused.returncode == 1
    first_line = refused.stderr.splitlines()[0]
    assert (
        first_line
        == f"error: you are not a candidate for task {manager_task['id']} (Manager approval); "
        + ("candidates: group manager")
    )
    cli("claim", str(manager_task["id"]), "--user", "mia")
    cli("complete", str(manager_task["id"]), "--user", "mia")
    finance_task = only_task()
    assert finance_task["name"] == "Finance review"  # still version 1's name
    cli("complete", str(finance_task["id"]), "--user", "fay", "--data", '{"approved": true}')

    shown = json.loads(cli("instance", str(instance_id), "--json").stdout)["instance"]
    assert (shown["status"], shown["model_version"], shown["data"]["approved"]) == ("completed", 1, True)
    history = json.loads(cli("history", str(instance_id), "--json").stdout)
    assert {e["model_version"] for e in history} == {1}
    assert "history intact" in cli("verify", str(instance_id)).stdout

    with sqlite3.connect(cli.db) as conn:
        conn.execute(
            "UPDATE history_events SET actor = 'mallory' WHERE instance_id = ? AND seq = 5", (instance_id,)
        )
    broken = cli("verify", str(instance_id), ok=False)
    assert broken.returncode == 1 and "BROKEN at event 5" in broken.stdout


def test_errors_are_one_clear_line_and_a_non_zero_exit(cli):
    for args, message in (
        (("start", "nothing", "--user", "ghost"), "error: no user named 'ghost'"),
        (("instance", "42"), "error: no process instance 42"),
        (("deploy", "missing.bpmn"), "error: missing.bpmn does not exist"),
        (("complete", "1", "--user", "x", "--data", "{oops"), "error: --data is not valid JSON"),
    ):
        result = cli(*args, ok=False)
        assert result.returncode == 1
        assert result.stderr.startswith(message), result.stderr
        assert "Traceback" not in result.stderr


def test_a_broken_model_names_element_and_line(cli):
    broken = cli.dir / "broken.bpmn"
    broken.write_text(
        (BENCH_MODELS / "bench_approval.bpmn")
        .read_text()
        .replace('targetRef="finance_review" />', 'targetRef="nowhere" />')
    )
    result = cli("deploy", str(broken), ok=False)
    assert result.returncode == 1
    assert "broken.bpmn:39, element 'f5': sequence flow targetRef 'nowhere' names no element" in result.stderr


DMN_WITH_SPACES = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="Guarantee" namespace="x">
  <decision id="needs_guarantee" name="Needs guarantee">
    <decisionTable id="t" hitPolicy="UNIQUE">
      <input id="i1" label="Customer Type">
        <inputExpression id="e1" typeRef="string"><text>Customer Type</text></inputExpression>
      </input>
      <output id="o1" name="guarantee required" typeRef="boolean" />
      <rule id="r1"><inputEntry id="r1i"><text>"new","overseas"</text></inputEntry><outputEntry id="r1o"><text>true</text></outputEntry></rule>
      <rule id="r2"><inputEntry id="r2i"><text>not("new","overseas")</text></inputEntry><outputEntry id="r2o"><text>false</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
"""


def test_decide_evaluates_a_table_before_it_is_deployed(cli):
    dmn = cli.dir / "guarantee.dmn"
    dmn.write_text(DMN_WITH_SPACES)
    result = cli("decide", str(dmn), "--input", '{"Customer Type": "overseas"}', "--json")
    assert json.loads(result.stdout) == {"Needs guarantee": True}
    traced = json.loads(
        cli("decide", str(dmn), "--input", '{"Customer Type": "existing"}', "--trace", "--json").stdout
    )
    assert traced["results"] == {"Needs guarantee": False}
    assert traced["trace"][0]["matched_rules"] == ["r2"]
    broken = cli("decide", str(dmn), "--decision", "nope", "--input", "{}", ok=False)
    assert broken.returncode == 1 and "no decision 'nope'" in broken.stderr


def test_timers_messages_and_records_from_the_command_line(cli):
    models = Path(__file__).resolve().parent.parent / "fixtures" / "models"
    cli("deploy", str(models / "confirmation"))
    cli("users", "add", "cara", "--groups", "customer_service")
    started = json.loads(
        cli("start", "confirmation", "--user", "cara", "--data", '{"complaint_no": "TS-7"}', "--json").stdout
    )
    instance_id = started["instance"]["id"]
    (timer,) = json.loads(cli("timers", "--json").stdout)
    assert (timer["instance_id"], timer["element_id"], timer["status"]) == (
        instance_id,
        "seven_days",
        "pending",
    )
    assert json.loads(cli("timers", "--due", "--json").stdout) == []
    refused = cli("message", "customer_confirmed", "--key", "TS-8", ok=False)
    assert refused.returncode == 1 and "no process waits for message 'customer_confirmed'" in refused.stderr
    delivered = cli(
        "message", "customer_confirmed", "--key", "TS-7", "--user", "cara", "--data", '{"ok": true}'
    )
    assert f"delivered to instance {instance_id} (confirmed)" in delivered.stdout
    assert json.loads(cli("instance", str(instance_id), "--json").stdout)["instance"]["status"] == "completed"
    assert "fired 0, failed 0" in cli("worker", "--once").stdout
    assert (
        json.loads(cli("timers", "--status", "cancelled", "--json").stdout)[0]["element_id"] == "seven_days"
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("APPROVALS_TIMER_POLL_SECONDS", "soon", "APPROVALS_TIMER_POLL_SECONDS must be a number, got 'soon'"),
        ("APPROVALS_PORT", "99999", "APPROVALS_PORT must be at most 65535, got 99999"),
        ("APPROVALS_TIMEZONE", "Mars/Base", "APPROVALS_TIMEZONE names no known time zone: 'Mars/Base'"),
        ("APPROVALS_SERVE_TIMERS", "maybe", "APPROVALS_SERVE_TIMERS must be 1 or 0"),
    ],
)
def test_a_bad_setting_stops_the_command_with_one_line_naming_it(cli, variable, value, message):
    result = cli("serve", ok=False, extra_env={variable: value})
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: environment variable {message}")


def test_a_reader_that_stops_early_gets_no_traceback(cli, tmp_path):
    """`approvals history 1 | head -c 1`: the reader is gone before the output is written."""
    cli("users", "add", "sam", "--groups", "sales")
    cli("deploy", str(BENCH_MODELS / "bench_approval.bpmn"))
    cli("start", "bench_approval", "--user", "sam")
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [APPROVALS, "history", "1", "--json"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "APPROVALS_DATABASE_URL": f"sqlite:///{cli.db}"},
            cwd=tmp_path,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in result.stderr
    assert result.returncode == 0


def test_a_panel_completed_one_process_per_command_reaches_its_end(cli):
    """Each CLI command is a new process that parses the model again (issue 10's stall)."""
    cli("users", "add", "sam", "--groups", "sales")
    cli("users", "add", "fay", "--groups", "finance")
    cli("deploy", str(MODELS / "panel" / "panel.bpmn"))
    cli("start", "panel", "--user", "sam", "--data", '{"signers": ["ann", "bob", "cy"]}')
    for task in ("1", "2", "3"):
        cli("complete", task, "--user", "fay", "--data", '{"decision": "approve"}')
    instance = json.loads(cli("instances", "--json").stdout)[0]
    assert instance["status"] == "completed"


def test_cancel_suspend_and_resume_need_a_reason(cli):
    cli("deploy", str(BENCH_MODELS / "bench_approval.bpmn"))
    cli("users", "add", "sam", "--groups", "sales")
    started = json.loads(cli("start", "bench_approval", "--user", "sam", "--json").stdout)
    instance_id = str(started["instance"]["id"])
    missing = cli("suspend", instance_id, ok=False)
    assert missing.returncode == 2 and "--reason" in missing.stderr
    blank = cli("cancel", instance_id, "--reason", " ", ok=False)
    assert blank.returncode == 1 and "reason" in blank.stderr and "is required" in blank.stderr
    assert json.loads(cli("instance", instance_id, "--json").stdout)["instance"]["status"] == "running"
    cli("suspend", instance_id, "--reason", "customer on holiday")
    cli("resume", instance_id, "--reason", "customer back")
    cli("cancel", instance_id, "--reason", "customer withdrew", "--user", "sam")
    events = json.loads(cli("history", instance_id, "--json").stdout)
    reasons = [e["data"]["reason"] for e in events if "reason" in e["data"]]
    assert reasons == ["customer on holiday", "customer back", "customer withdrew"]


def test_incidents_are_listed_and_retried_from_the_command_line(cli):
    (cli.dir / "parent.bpmn").write_text(call_models.PARENT)
    cli("deploy", str(cli.dir / "parent.bpmn"))
    cli("users", "add", "sam", "--groups", "sales")
    started = json.loads(cli("start", "parent", "--user", "sam", "--data", '{"amount": 1}', "--json").stdout)
    [incident] = json.loads(cli("incidents", "--json").stdout)
    assert incident["kind"] == "call_activity" and incident["instance_id"] == started["instance"]["id"]
    assert "cannot start 'child'" in incident["cause"]
    assert "call_activity" in cli("incidents", "--kind", "call_activity").stdout
    refused = cli("incidents", "retry", "call_activity", incident["id"], "--user", "sam", ok=False)
    assert refused.returncode == 1 and "only admins" in refused.stderr
    (cli.dir / "child.bpmn").write_text(call_models.child_model())
    cli("deploy", str(cli.dir / "child.bpmn"))
    assert "retried" in cli("incidents", "retry", "call_activity", incident["id"]).stdout
    assert json.loads(cli("incidents", "--json").stdout) == []
    again = cli("incidents", "retry", "call_activity", incident["id"], ok=False)
    assert again.returncode == 1 and "no longer an incident" in again.stderr
