"""Other systems sending messages and signals over HTTP."""

from __future__ import annotations

import pytest

from engine.actor import SYSTEM
from tests.api.conftest import Api, assert_problem
from tests.factories import MODELS, deploy_path


@pytest.fixture
def confirmation(api: Api) -> Api:
    """confirmation.bpmn deployed (waits for `customer_confirmed` from customer service, keyed by
    `complaint_no`, or for the `product_recall` signal from anyone) and cara of customer service."""
    deploy_path(api.engine, MODELS / "confirmation")
    _, api.tokens["cara"] = api.engine.identity.add_user("cara", ["customer_service"])
    return api


def start(api: Api, complaint_no: str) -> int:
    sam = api.engine.identity.actor("sam")
    return api.engine.runtime.start("confirmation", sam, {"complaint_no": complaint_no}).id


def test_a_message_reaches_the_instance_waiting_under_its_key(confirmation: Api) -> None:
    api = confirmation
    start(api, "TS-1")
    waiting = start(api, "TS-2")
    response = api.client("cara").post(
        "/messages",
        json={"name": "customer_confirmed", "correlation_key": "TS-2", "data": {"satisfied": True}},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"instance_id": waiting, "element_id": "confirmed", "started": False}
    assert "location" not in response.headers
    instance = api.client("olga").get(f"/instances/{waiting}").json()
    assert instance["status"] == "completed" and instance["data"]["satisfied"] is True
    received = [e for e in api.engine.history.events(waiting, SYSTEM) if e.type == "message_received"]
    assert [(e.actor, e.data["correlation_key"]) for e in received] == [("cara", "TS-2")]


def test_a_message_nobody_waits_for_is_a_404_problem(confirmation: Api) -> None:
    api = confirmation
    start(api, "TS-1")
    cara = api.client("cara")
    body = assert_problem(
        cara.post("/messages", json={"name": "customer_confirmed", "correlation_key": "TS-9"}),
        404,
        "not-found",
    )
    assert "customer_confirmed" in body["detail"] and "TS-9" in body["detail"]
    assert_problem(cara.post("/messages", json={"name": "no_such_message", "correlation_key": "TS-1"}), 404)
    # Not buffered either: the instance that comes to wait later does not get the refused message.
    later = start(api, "TS-9")
    assert api.engine.runtime.get(later, SYSTEM).status == "running"


def test_who_may_send_and_what_a_message_must_look_like(confirmation: Api) -> None:
    api = confirmation
    start(api, "TS-1")
    message = {"name": "customer_confirmed", "correlation_key": "TS-1"}
    body = assert_problem(api.client("fay").post("/messages", json=message), 403, "forbidden")
    assert "customer_service" in body["detail"]  # the model's senderGroups
    assert_problem(api.client("ann").post("/messages", json=message), 403)  # auditors change nothing
    assert_problem(api.client().post("/messages", json=message), 401)
    body = assert_problem(api.client("cara").post("/messages", json={"correlation_key": "TS-1"}), 400)
    assert [p["field"] for p in body["problems"]] == ["name"]
    assert_problem(api.client("cara").post("/messages", json={**message, "data": [1]}), 400)


def test_a_message_for_several_instances_or_a_suspended_one_is_a_conflict(confirmation: Api) -> None:
    api = confirmation
    first = start(api, "SAME")
    start(api, "SAME")
    cara = api.client("cara")
    message = {"name": "customer_confirmed", "correlation_key": "SAME"}
    assert "several instances" in assert_problem(cara.post("/messages", json=message), 409)["detail"]
    suspended = start(api, "TS-5")
    api.client("olga").post(f"/instances/{suspended}/suspend", json={"reason": "hold"}).raise_for_status()
    message = {"name": "customer_confirmed", "correlation_key": "TS-5"}
    assert "suspended" in assert_problem(cara.post("/messages", json=message), 409, "conflict")["detail"]
    assert api.engine.runtime.get(first, SYSTEM).status == "running"


def test_a_message_start_event_starts_an_instance(api: Api) -> None:
    deploy_path(api.engine, MODELS / "intake")
    sam = api.client("sam")
    message = {"name": "complaint_received", "correlation_key": "C-77", "data": {"customer": "ACME"}}
    response = sam.post("/messages", json=message)
    assert response.status_code == 201, response.text
    delivery = response.json()
    assert delivery["started"] is True and delivery["element_id"] == "received"
    assert response.headers["location"].endswith(f"/api/v1/instances/{delivery['instance_id']}")
    instance = sam.get(response.headers["location"].removeprefix("/api/v1")).json()
    assert (instance["business_key"], instance["initiator"], instance["data"]["customer"]) == (
        "C-77",
        "sam",
        "ACME",
    )
    # The key became the business key, which must stay unique.
    assert_problem(sam.post("/messages", json=message), 409, "conflict")


def test_a_signal_reaches_every_waiting_instance(confirmation: Api) -> None:
    api = confirmation
    ids = [start(api, f"TS-{n}") for n in range(3)]
    response = api.client("fay").post("/signals", json={"name": "product_recall", "data": {"batch": "B7"}})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["failed"] == []
    assert sorted(d["instance_id"] for d in report["delivered"]) == ids
    assert {(d["element_id"], d["started"]) for d in report["delivered"]} == {("recall", False)}
    for instance_id in ids:
        info = api.engine.runtime.get(instance_id, SYSTEM)
        assert info.status == "completed" and info.data["batch"] == "B7"
    # Nobody waits any more: not an error for a broadcast.
    again = api.client("fay").post("/signals", json={"name": "product_recall"})
    assert again.status_code == 200 and again.json() == {"delivered": [], "failed": []}
    assert_problem(api.client("ann").post("/signals", json={"name": "product_recall"}), 403)
    assert_problem(api.client("fay").post("/signals", json={"name": ""}), 400)
