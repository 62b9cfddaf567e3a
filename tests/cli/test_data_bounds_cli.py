"""`--data` is bounded like any request body: too deep a JSON value is an error naming where,
never a traceback, and the command does nothing; the configured limit is the one that holds."""

import json

import pytest

from tests.conftest import BENCH_MODELS, ON_POSTGRES

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="the CLI path is exercised on its default SQLite file")


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


def test_too_deep_data_is_one_line_and_changes_nothing(cli):
    cli("deploy", str(BENCH_MODELS / "bench_approval.bpmn"))
    cli("users", "add", "sam", "--groups", "sales")
    for levels in (40, 5000):  # past the limit, and past what json.loads itself can read
        data = '{"customer": "ACME", "lines": ' + nested(levels) + "}"
        result = cli("start", "bench_approval", "--user", "sam", "--data", data, ok=False)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert result.stderr.startswith("error: --data"), result.stderr
    assert "more than 32 levels" in result.stderr or "acceptable JSON" in result.stderr
    assert json.loads(cli("instances", "--json").stdout) == []
    # The neighbour within the limit starts; a lower configured limit refuses it.
    data = '{"customer": "ACME", "lines": ' + nested(20) + "}"
    refused = cli(
        "start",
        "bench_approval",
        "--user",
        "sam",
        "--data",
        data,
        ok=False,
        extra_env={"APPROVALS_MAX_DATA_DEPTH": "8"},
    )
    assert refused.returncode == 1 and "more than 8 levels" in refused.stderr
    cli("start", "bench_approval", "--user", "sam", "--data", data)
    assert len(json.loads(cli("instances", "--json").stdout)) == 1
