"""Over HTTP, model uploads the engine refuses are 422 problems naming file, line and element —
never a 500 — and /models/validate answers exactly as /models would."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api, assert_problem
from tests.repository.big_models import Flow
from tests.repository.test_model_limits import nested
from tests.repository.test_start_timer_expressions import EXPRESSIONS, START_LINE, model


@pytest.mark.parametrize("kind, value", EXPRESSIONS[:2])
def test_a_timer_start_expression_is_422_from_validate_and_from_deploy(api: Api, kind, value):
    owner = api.client("olga")
    files = {name: (name, text.encode()) for name, text in model(kind, value).items()}
    for path in ("/models/validate", "/models"):
        body = assert_problem(owner.post(path, files=files), 422, "invalid-model")
        [problem] = body["problems"]
        assert problem["file"] == "timed_start.bpmn"
        assert problem["line"] == START_LINE and problem["element_id"] == "kick_off"
    assert owner.get("/models").json()["items"] == []


def test_a_model_nested_deeper_than_the_limit_is_422_naming_where(api: Api):
    owner = api.client("olga")
    xml = nested(45).encode()  # the default limit is 40 levels
    for path in ("/models/validate", "/models"):
        body = assert_problem(
            owner.post(path, files={"nested.bpmn": ("nested.bpmn", xml)}), 422, "invalid-model"
        )
        [problem] = body["problems"]
        assert problem["file"] == "nested.bpmn" and problem["element_id"] == "s37" and problem["line"]
        assert "APPROVALS_MAX_MODEL_DEPTH" in problem["message"]
    assert owner.get("/models").json()["items"] == []


def test_a_model_with_more_elements_than_the_limit_is_422(api: Api):
    # 50,001 documentation elements on one task: 1 MB, under the byte limits, over the element limit.
    xml = (
        Flow("huge")
        .user("work")
        .xml()
        .replace(
            '<bpmn:userTask id="work"/>',
            '<bpmn:userTask id="work">' + "<bpmn:documentation/>" * 50_001 + "</bpmn:userTask>",
        )
        .encode()
    )
    body = assert_problem(
        api.client("olga").post("/models/validate", files={"huge.bpmn": ("huge.bpmn", xml)}),
        422,
        "invalid-model",
    )
    [problem] = body["problems"]
    assert "50,000" in problem["message"] and problem["file"] == "huge.bpmn"
    assert problem["element_id"] == "work" and problem["line"]
