"""Timers over HTTP: who may read them, filtering by due time and status, and admins retrying
incidents. The engine's clock is the tests' ManualClock, so time moves on demand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from engine import Engine
from engine.actor import SYSTEM
from tests.api.conftest import Api, assert_problem
from tests.factories import MODELS, deploy_files, deploy_path


@pytest.fixture
def engine(make_engine: Callable[..., Engine]) -> Engine:
    # One failed firing makes an incident: no test has to wait out the backoff.
    return make_engine(timer_max_attempts=1)


def start_confirmation(api: Api, complaint_no: str) -> int:
    """An instance waiting 7 days for the customer (a catch timer), started now."""
    sam = api.engine.identity.actor("sam")
    return api.engine.runtime.start("confirmation", sam, {"complaint_no": complaint_no}).id


def ids(response) -> list[int]:
    assert response.status_code == 200, response.text
    return [t["instance_id"] for t in response.json()["items"]]


def test_listing_timers_by_due_time_status_and_page(api: Api, clock) -> None:
    deploy_path(api.engine, MODELS / "confirmation")
    first = start_confirmation(api, "TS-1")
    clock.advance(timedelta(days=1))
    second = start_confirmation(api, "TS-2")
    clock.advance(timedelta(days=1))
    third = start_confirmation(api, "TS-3")
    olga = api.client("olga")

    timers = olga.get("/timers").json()
    assert [t["instance_id"] for t in timers["items"]] == [first, second, third]  # earliest due first
    timer = timers["items"][0]
    assert (timer["element_id"], timer["kind"], timer["expression"], timer["status"]) == (
        "seven_days",
        "catch",
        "P7D",
        "pending",
    )
    assert ids(olga.get("/timers", params={"due": "true"})) == []

    clock.advance(timedelta(days=6))  # the first is a day overdue, the second due this instant
    assert ids(olga.get("/timers", params={"due": "true"})) == [first, second]
    assert ids(olga.get("/timers", params={"due": "false"})) == [first, second, third]
    assert ids(olga.get("/timers", params={"instance": third})) == [third]

    page = olga.get("/timers", params={"limit": 2}).json()
    assert [t["instance_id"] for t in page["items"]] == [first, second] and page["next_offset"] == 2
    page = olga.get("/timers", params={"limit": 2, "offset": 2}).json()
    assert [t["instance_id"] for t in page["items"]] == [third] and page["next_offset"] is None

    assert api.engine.timers.fire_due().fired == 2
    assert ids(olga.get("/timers", params={"status": "fired"})) == [first, second]
    assert ids(olga.get("/timers")) == [third]
    assert ids(olga.get("/timers", params={"status": "all"})) == [first, second, third]
    assert_problem(olga.get("/timers", params={"status": "late"}), 400)
    assert_problem(olga.get("/timers", params={"due": "soon"}), 400)


def test_employees_may_not_read_timers(api: Api) -> None:
    deploy_path(api.engine, MODELS / "confirmation")
    start_confirmation(api, "TS-1")
    body = assert_problem(api.client("fay").get("/timers"), 403, "forbidden")
    assert "process_owner" in body["detail"]
    assert_problem(api.client("sam").get("/timers"), 403)  # not even the initiator of the instance
    assert_problem(api.client().get("/timers"), 401)
    for reader in ("olga", "ann", "root"):
        assert len(api.client(reader).get("/timers").json()["items"]) == 1


def test_an_admin_retries_an_incident(api: Api, clock) -> None:
    bpmn = (
        (MODELS / "deadlines" / "deadlines.bpmn")
        .read_text()
        .replace('outcome = "expired"', "outcome = 1 / divisor")
    )
    deploy_files(api.engine, {"deadlines.bpmn": bpmn})
    instance = api.engine.runtime.start(
        "deadlines", api.engine.identity.actor("sam"), {"valid_until": "2026-04-30", "divisor": 0}
    )
    clock.advance(timedelta(days=15))
    assert api.engine.timers.fire_due().failed == 1  # the expiry: the two others fire

    (incident,) = api.client("ann").get("/timers", params={"status": "incident"}).json()["items"]
    assert (incident["instance_id"], incident["element_id"], incident["attempts"]) == (
        instance.id,
        "expire_after_14d",
        1,
    )
    assert "ZeroDivisionError" in incident["last_error"]
    retry = f"/timers/{incident['id']}/retry"
    assert_problem(api.client("olga").post(retry), 403)
    assert_problem(api.client("ann").post(retry), 403)
    assert_problem(api.client("fay").post(retry), 403)

    clock.advance(timedelta(hours=1))
    response = api.client("root").post(retry)
    assert response.status_code == 200, response.text
    retried = response.json()
    assert (retried["id"], retried["status"], retried["attempts"], retried["next_attempt_at"]) == (
        incident["id"],
        "pending",
        0,
        None,
    )
    assert ids(api.client("root").get("/timers", params={"due": "true"})) == [instance.id]
    assert api.engine.timers.fire_due().failed == 1  # fires again at once (and fails: the data is wrong)

    fired = api.engine.timers.list(SYSTEM, status="fired")[0]
    assert_problem(api.client("root").post(f"/timers/{fired.id}/retry"), 409, "conflict")
    assert_problem(api.client("root").post("/timers/999999/retry"), 404, "not-found")
