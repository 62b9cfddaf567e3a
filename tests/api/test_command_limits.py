"""A loop of automatic elements that never waits is refused over HTTP with a 422 naming the limit,
and nothing of it is stored (the engine side: tests/runtime/test_command_limits.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from engine import Engine
from tests.api.conftest import Api, assert_problem
from tests.factories import deploy_files
from tests.runtime.test_command_limits import FOREVER, LOOP, _instances


@pytest.fixture
def engine(make_engine: Callable[..., Engine]) -> Engine:
    return make_engine(command_max_elements=300)


def test_over_http_the_endless_loop_is_a_422_naming_the_limit(api: Api) -> None:
    deploy_files(api.engine, {"spin.bpmn": LOOP})
    response = api.client("sam").post(
        "/instances", json={"model": "spin", "data": {"n": 0, "rounds": FOREVER}}
    )
    body = assert_problem(response, 422, "process-ran-too-long")
    assert "APPROVALS_COMMAND_MAX_ELEMENTS" in body["detail"]
    assert _instances(api.engine) == 0
