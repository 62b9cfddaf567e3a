"""The process-data cap over HTTP: a command that would leave more than APPROVALS_MAX_DATA_BYTES of
process data is a 422 problem naming the cap and the largest fields, and leaves nothing behind."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text

from engine import Engine
from tests.api.conftest import Api, Countersign, assert_problem

CAP = 4096


@pytest.fixture
def engine(make_engine: Callable[..., Engine]) -> Engine:
    return make_engine(max_data_bytes=CAP)


def _rows(api: Api) -> tuple[int, ...]:
    with api.engine.db.read() as conn:
        return tuple(
            conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("process_instances", "instance_task_states", "history_events", "user_tasks")
        )


def test_start_data_over_the_cap_is_422_naming_it(api: Api, countersign: Countersign) -> None:
    client = api.client("sam")
    before = _rows(api)
    start = {"model": "countersign", "data": {"customer": "c" * CAP, "amount": 1}}
    body = assert_problem(client.post("/instances", json=start), 422, "data-too-large")
    assert f"the limit is {CAP:,} bytes (APPROVALS_MAX_DATA_BYTES)" in body["detail"]
    assert body["problems"][0]["field"] == "customer"
    assert _rows(api) == before
    start["data"]["customer"] = "ACME"
    assert client.post("/instances", json=start).status_code == 201


def test_a_completion_over_the_cap_is_422_and_the_task_stays_open(api: Api, countersign: Countersign) -> None:
    client = api.client("fay")
    task = countersign.finance.id
    assert client.post(f"/tasks/{task}/claim").status_code == 200
    before = _rows(api)
    data = {"decision": "reject", "comment": "c" * CAP}
    body = assert_problem(client.post(f"/tasks/{task}/complete", json={"data": data}), 422, "data-too-large")
    assert "comment" in body["detail"]
    assert _rows(api) == before
    assert client.get(f"/tasks/{task}").json()["status"] != "completed"
    data["comment"] = "too expensive"
    assert client.post(f"/tasks/{task}/complete", json={"data": data}).status_code == 200
