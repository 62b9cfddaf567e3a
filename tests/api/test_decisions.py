"""Evaluating a deployed model's decision tables over HTTP."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api, assert_problem
from tests.factories import MODELS, deploy_path


@pytest.fixture
def routing(api: Api) -> None:
    deploy_path(api.engine, MODELS / "routing")


@pytest.mark.parametrize(
    "amount, group", [(499_999, "sales_manager"), (500_000, "sales_vp"), (2_000_000, "general_manager")]
)
def test_evaluating_a_decision(api: Api, routing: None, amount: int, group: str) -> None:
    response = api.client("fay").post(
        "/decisions/routing/evaluate", json={"decision": "approval_level", "input": {"amount": amount}}
    )
    assert response.status_code == 200, response.text
    outcome = response.json()
    assert outcome["results"] == {"Approval level": group}
    (trace,) = outcome["trace"]
    assert (trace["decision_id"], trace["inputs"], trace["outputs"]) == (
        "approval_level",
        {"Amount": amount},
        group,
    )
    assert len(trace["matched_rules"]) == 1


def test_decisions_by_name_and_version(api: Api, routing: None) -> None:
    client = api.client("ann")  # evaluating changes nothing: auditors may
    by_name = client.post(
        "/decisions/routing/evaluate", json={"decision": "Extra checks", "input": {"amount": 1_500_000}}
    )
    assert by_name.json()["results"] == {"Extra checks": ["legal", "credit"]}
    pinned = client.post(
        "/decisions/routing/evaluate", json={"decision": "extra_checks", "version": 1, "input": {"amount": 5}}
    )
    assert pinned.json()["results"] == {"Extra checks": ["credit"]}
    assert_problem(client.post("/decisions/routing/evaluate", json={"version": 2, "input": {}}), 404)


def test_decision_mistakes(api: Api, routing: None) -> None:
    client = api.client("fay")
    ambiguous = assert_problem(client.post("/decisions/routing/evaluate", json={"input": {"amount": 1}}), 400)
    assert "approval_level" in ambiguous["detail"] and "extra_checks" in ambiguous["detail"]
    typed = client.post(
        "/decisions/routing/evaluate", json={"decision": "approval_level", "input": {"amount": "lots"}}
    )
    body = assert_problem(typed, 422, "decision-failed")
    assert "approval_level" in body["detail"] or body["problems"]
    assert_problem(client.post("/decisions/routing/evaluate", json={"decision": "nope", "input": {}}), 404)
    assert_problem(client.post("/decisions/routing/evaluate", json={"decision": "approval_level"}), 400)
    deploy_path(api.engine, MODELS / "countersign")
    assert_problem(client.post("/decisions/countersign/evaluate", json={"input": {}}), 404)  # no tables
