"""Validation failures as the command line reports them: `approvals validate` and `approvals deploy`
judge a models directory alike (issue 4: a copy of a bundled model with a dangling sequence flow or
an unknown group is rejected with a clear message), and invalid form data names every field once."""

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ON_POSTGRES, REPO

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="the CLI path is exercised on its default SQLite file")


def copy_models(cli, *keys: str) -> Path:
    """A models directory laid out like the repository's: groups.toml, _shared/, <key>/, ../forms/<key>/."""
    models = cli.dir / "models"
    models.mkdir()
    shutil.copy(REPO / "process_models" / "groups.toml", models)
    shutil.copytree(REPO / "process_models" / "_shared", models / "_shared")
    for key in keys:
        shutil.copytree(
            REPO / "process_models" / key, models / key, ignore=shutil.ignore_patterns("versions")
        )
        shutil.copytree(REPO / "forms" / key, cli.dir / "forms" / key)
    return models


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert text.count(old) >= 1, old
    path.write_text(text.replace(old, new, 1), "utf-8")


def problem_lines(stderr: str) -> list[str]:
    return [line.strip() for line in stderr.splitlines() if line.startswith("  ")]


def test_strict_validation_knows_the_groups_of_groups_toml_as_deploy_does(cli):
    models = copy_models(cli, "contract_review", "price_float")
    # a fresh database knows no group yet: only groups.toml can make the lanes valid
    assert cli("validate", str(models), "--strict").stdout.splitlines() == [
        "contract_review: valid",
        "price_float: valid",
    ]
    assert "deployed as version 1" in cli("deploy", str(models), "--strict").stdout


def test_an_unknown_lane_group_fails_validate_and_deploy_strict_naming_element_and_group(cli):
    models = copy_models(cli, "contract_review")
    edit(
        models / "contract_review" / "contract_review.bpmn", 'name="sales_assistant"', 'name="sales_asistant"'
    )

    refused = cli("validate", str(models), "--strict", ok=False)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert refused.stderr.startswith("error: ") and "strict validation refuses warnings" in refused.stderr
    (problem,) = problem_lines(refused.stderr)
    assert "element 'record_signing'" in problem and "group 'sales_asistant' is unknown" in problem

    not_deployed = cli("deploy", str(models), "--strict", ok=False)
    assert not_deployed.returncode == 1
    assert problem_lines(not_deployed.stderr) == [problem]
    assert json.loads(cli("models", "--json").stdout) == []

    # without --strict both let it through with the same warning
    warned = cli("validate", str(models)).stdout
    assert "contract_review: valid, 1 warning(s)" in warned and "element 'record_signing'" in warned


def test_a_dangling_sequence_flow_fails_validate_strict_naming_the_flow_and_its_target(cli):
    models = copy_models(cli, "price_float")
    edit(models / "price_float" / "price_float.bpmn", 'targetRef="authority"', 'targetRef="authority_typo"')
    refused = cli("validate", str(models), "--strict", ok=False)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert any(
        "element 'Flow_assess_to_authority'" in line and "targetRef 'authority_typo' names no element" in line
        for line in problem_lines(refused.stderr)
    ), refused.stderr


def test_invalid_start_data_lists_each_missing_field_once_in_json(cli):
    cli("deploy", str(FIXTURES / "models" / "countersign"))
    cli("users", "add", "sam", "--groups", "sales")
    refused = cli("start", "countersign", "--user", "sam", "--data", "{}", "--json", ok=False)
    assert refused.returncode == 1
    error = json.loads(refused.stdout)["error"]
    assert error["type"] == "DataValidationError"
    assert error["problems"] == [
        {"message": "is required", "field": "customer"},
        {"message": "is required", "field": "amount"},
    ]
