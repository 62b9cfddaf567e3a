"""What a new user stumbled over at the command line, each through the real `approvals` executable."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess

import pytest

from cli.main import build_parser
from tests.cli.conftest import APPROVALS
from tests.conftest import ON_POSTGRES
from tests.factories import MODELS

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="the CLI path is exercised on its default SQLite file")

# serve streams its server's log and model-file writes a file's bytes: neither has a result to shape.
NO_RESULT = {"serve", "model-file"}


def leaf_commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> dict[str, argparse.ArgumentParser]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return {" ".join(path): parser}
    found = {}
    for action in subs:
        for name, child in action.choices.items():
            found.update(leaf_commands(child, (*path, name)))
    return found


def test_every_command_with_a_result_takes_json():
    commands = leaf_commands(build_parser())
    assert {"users token", "db current", "worker", "task"} <= commands.keys()
    without = [
        name
        for name, parser in commands.items()
        if name not in NO_RESULT and not any("--json" in a.option_strings for a in parser._actions)
    ]
    assert without == []


def test_json_answers_are_json(cli):
    cli("users", "add", "root", "--groups", "admin")
    assert json.loads(cli("db", "current", "--json").stdout)["revision"]
    assert json.loads(cli("users", "token", "root", "--json").stdout)["token"].startswith("apr_")
    assert json.loads(cli("worker", "--once", "--json").stdout) == {"fired": 0, "failed": 0}
    assert json.loads(cli("groups", "add", "legal", "--json").stdout) == {"created": ["legal"]}


def test_version(cli):
    result = cli("--version")
    assert result.stdout.startswith("approvals ") and result.stdout.split()[1][0].isdigit()


def test_a_mistyped_group_is_pointed_out(cli):
    cli("groups", "add", "sales_rep")
    added = cli("users", "add", "tom", "--groups", "salse_rep")
    assert "note: group 'salse_rep' did not exist and was created (did you mean 'sales_rep'?)" in added.stderr
    # a group that exists is not remarked upon
    assert "note" not in cli("users", "add", "tim", "--groups", "sales_rep").stderr
    # nothing is said when the command fails
    failed = cli("users", "add", "tom", "--groups", "other_group", ok=False)
    assert failed.returncode == 1 and "note" not in failed.stderr


def two_language_model(cli) -> None:
    model = cli.dir / "countersign"
    shutil.copytree(MODELS / "countersign", model)
    bpmn = model / "countersign.bpmn"
    bpmn.write_text(bpmn.read_text().replace('name="Finance review"', 'name="Finance review&#10;财务审核"'))
    cli("deploy", str(model))
    for name, group in (("sam", "sales"), ("fay", "finance"), ("ed", "marketing")):
        cli("users", "add", name, "--groups", group)


def test_a_task_shows_the_form_it_needs_and_two_language_names_stay_on_one_line(cli):
    two_language_model(cli)
    started = cli("start", "countersign", "--user", "sam", "--data", '{"customer": "ACME", "amount": 5}')
    assert "Finance review / 财务审核" in started.stdout
    listed = cli("tasks", "--user", "fay").stdout.splitlines()
    assert len(listed) == 2 and "Finance review / 财务审核" in listed[1]
    task_id = listed[1].split()[0]

    shown = cli("task", task_id, "--user", "fay").stdout
    assert f"task {task_id}: Finance review / 财务审核 (open)" in shown
    rows = {line.split()[0]: line for line in shown.splitlines() if line.startswith(("decision", "comment"))}
    assert "yes" in rows["decision"] and "approve, reject" in rows["decision"]
    assert "string" in rows["comment"] and " no " in rows["comment"]
    assert '"customer": "ACME"' in shown
    detail = json.loads(cli("task", task_id, "--user", "fay", "--json").stdout)
    assert detail["form"]["required"] == ["decision"]

    # ed (marketing) has nothing to do with it: refused in one line, no traceback
    refused = cli("task", task_id, "--user", "ed", ok=False)
    assert refused.returncode == 1 and len(refused.stderr.splitlines()) == 1

    # an error about the task keeps its two-language name on one line
    bad = cli("complete", task_id, "--user", "fay", "--data", '{"decision": "maybe"}', ok=False)
    first = bad.stderr.splitlines()[0]
    assert first.startswith("error: ") and "decision" in first, bad.stderr


def test_a_deploy_error_says_it_all_on_its_first_line(cli):
    broken = cli.dir / "broken.bpmn"
    text = (MODELS / "countersign" / "countersign.bpmn").read_text()
    broken.write_text(text.replace('targetRef="finance_review"', 'targetRef="nowhere"'))
    result = cli("deploy", str(broken), ok=False)
    first = result.stderr.splitlines()[0]
    assert "targetRef 'nowhere' names no element" in first and "broken.bpmn:" in first, result.stderr


def test_serve_refuses_a_taken_port_at_once(cli):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [APPROVALS, "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, "APPROVALS_DATABASE_URL": f"sqlite:///{cli.db}"},
        )
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: port {port} on 127.0.0.1 is in use: set APPROVALS_PORT")
    assert "serving" not in result.stdout and "Traceback" not in result.stderr


def test_the_worker_keeps_library_chatter_out_unless_asked(cli):
    quiet = cli("worker", "--once")
    assert quiet.stderr == "" and quiet.stdout.strip() == "fired 0, failed 0"
