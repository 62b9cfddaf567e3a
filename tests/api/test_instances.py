"""Starting, listing and controlling instances; auditors reading and verifying history."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from tests.api.conftest import Api, Countersign, assert_problem
from tests.factories import MODELS, deploy_path


def test_starting_an_instance(api: Api, countersign: Countersign) -> None:
    response = api.client("sam").post(
        "/instances",
        json={"model": "countersign", "business_key": "HT-1", "data": {"customer": "Zeta", "amount": 9}},
    )
    assert response.status_code == 201, response.text
    started = response.json()
    assert (started["model_key"], started["model_version"], started["status"], started["initiator"]) == (
        "countersign",
        1,
        "running",
        "sam",
    )
    assert started["business_key"] == "HT-1" and started["data"]["customer"] == "Zeta"
    assert response.headers["location"].endswith(f"/api/v1/instances/{started['id']}")
    assert api.client("sam").get(response.headers["location"].removeprefix("/api/v1")).json() == started

    again = api.client("sam").post(
        "/instances",
        json={"model": "countersign", "business_key": "HT-1", "data": {"customer": "Z", "amount": 1}},
    )
    assert_problem(again, 409, "conflict")
    invalid = api.client("sam").post("/instances", json={"model": "countersign", "data": {"amount": "lots"}})
    body = assert_problem(invalid, 422, "invalid-form-data")
    assert {p["field"] for p in body["problems"]} == {"customer", "amount"}
    assert_problem(api.client("sam").post("/instances", json={"model": "countersign", "version": 7}), 404)
    reserved = api.client("sam").post(
        "/instances",
        json={"model": "countersign", "data": {"customer": "A", "amount": 1, "initiator": "fay"}},
    )
    assert_problem(reserved, 400)


def test_listing_filters_and_pages(api: Api, countersign: Countersign, clock) -> None:
    first_day = clock.now()
    client = api.client("sam")
    for n in range(4):
        clock.advance(timedelta(days=1))
        client.post(
            "/instances",
            json={
                "model": "countersign",
                "business_key": f"K{n}",
                "data": {"customer": "C", "amount": n + 1},
            },
        ).raise_for_status()
    api.engine.runtime.cancel(2, api.engine.identity.actor("sam"), "duplicate")

    everything = api.client("olga").get("/instances").json()
    assert [i["id"] for i in everything["items"]] == [5, 4, 3, 2, 1]  # newest first
    assert everything["next_offset"] is None

    page = api.client("olga").get("/instances", params={"limit": 2}).json()
    assert [i["id"] for i in page["items"]] == [5, 4] and page["next_offset"] == 2
    page = api.client("olga").get("/instances", params={"limit": 2, "offset": page["next_offset"]}).json()
    assert [i["id"] for i in page["items"]] == [3, 2] and page["next_offset"] == 4
    assert (
        api.client("olga").get("/instances", params={"limit": 2, "offset": 4}).json()["next_offset"] is None
    )

    def ids(**params: object) -> list[int]:
        return [i["id"] for i in api.client("root").get("/instances", params=params).json()["items"]]

    assert ids(status="cancelled") == [2]
    assert ids(business_key="K2") == [4]
    assert ids(initiator="fay") == []
    assert ids(model="countersign", status="running") == [5, 4, 3, 1]
    day2 = first_day + timedelta(days=2)
    assert ids(started_from=day2.isoformat(), started_to=(day2 + timedelta(days=2)).isoformat()) == [4, 3]
    # without an offset, times are UTC
    assert ids(started_from=day2.replace(tzinfo=None).isoformat()) == [5, 4, 3]


def test_employees_see_only_instances_they_take_part_in(api: Api, countersign: Countersign) -> None:
    assert [i["id"] for i in api.client("fay").get("/instances").json()["items"]] == [1]  # may work on it
    assert api.client("ed").get("/instances").json()["items"] == []
    assert_problem(api.client("ed").get("/instances/1"), 403, "forbidden")
    assert_problem(api.client("ed").get("/instances/1/history"), 403)
    assert api.client("ann").get("/instances/1").status_code == 200  # auditors read everything


def test_cancel_suspend_resume(api: Api, countersign: Countersign) -> None:
    owner = api.client("olga")
    suspended = owner.post("/instances/1/suspend", json={"reason": "credit check"}).json()
    assert suspended["status"] == "suspended"
    assert api.client("fay").get("/tasks").json()["items"] == []  # suspended tasks leave the inbox
    assert_problem(owner.post("/instances/1/suspend", json={"reason": "again"}), 409, "conflict")
    # The reason is required: missing, null or blank is a 422 naming the field, and nothing changes.
    for body in (None, {}, {"reason": None}, {"reason": "  "}):
        refused = owner.post("/instances/1/resume", json=body)
        assert_problem(refused, 422, "invalid-form-data")
        assert [p["field"] for p in refused.json()["problems"]] == ["reason"]
    assert api.client("ann").get("/instances/1").json()["status"] == "suspended"
    too_long = owner.post("/instances/1/resume", json={"reason": "x" * 2001})
    assert too_long.status_code == 400 and too_long.json()["problems"][0]["field"] == "reason"
    assert owner.post("/instances/1/resume", json={"reason": "none needed"}).json()["status"] == "running"
    owner.post("/instances/1/suspend", json={"reason": "again"}).raise_for_status()
    assert owner.post("/instances/1/resume", json={"reason": "checked"}).json()["status"] == "running"
    assert_problem(api.client("fay").post("/instances/1/cancel"), 403)  # not the initiator: 403 first
    assert_problem(api.client("sam").post("/instances/1/cancel"), 422)  # his own request: why, too
    cancelled = api.client("sam").post("/instances/1/cancel", json={"reason": "customer withdrew"}).json()
    assert cancelled["status"] == "cancelled" and cancelled["ended_at"]
    assert_problem(api.client("sam").post("/instances/1/cancel"), 409)
    events = api.client("ann").get("/instances/1/history").json()["events"]
    assert [
        e["data"].get("reason")
        for e in events
        if e["type"].startswith("instance_") and e["type"] != "instance_started"
    ] == [
        "credit check",
        "none needed",
        "again",
        "checked",
        "customer withdrew",
    ]


def test_auditors_read_history_and_verify_it_but_change_nothing(api: Api, countersign: Countersign) -> None:
    api.client("fay").post(
        f"/tasks/{countersign.finance.id}/complete", json={"data": {"decision": "approve"}}
    ).raise_for_status()
    auditor = api.client("ann")
    history = auditor.get("/instances/1/history").json()
    assert history["instance_id"] == 1
    events = history["events"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    completed = next(e for e in events if e["type"] == "task_completed")
    assert (completed["actor"], completed["task_id"], completed["model_version"]) == (
        "fay",
        countersign.finance.id,
        1,
    )
    assert completed["data"]["data"] == {"decision": "approve"}
    assert all(len(e["hash"]) == 64 for e in events)

    path = auditor.get("/instances/1/path").json()
    assert (
        path["visits"]["finance_review"] == 1
        and path["current"] == ["legal_review"]
        and not path["incidents"]
    )
    assert all(path["visits"][element] for element in path["current"]) and path["flows"]
    verified = auditor.get("/instances/1/verify").json()
    assert verified == {
        "instance_id": 1,
        "ok": True,
        "events": len(events),
        "first_broken_seq": None,
        "reason": None,
        "segments": [{"generation": 1, "first_seq": 1, "last_seq": len(events)}],
        "unkeyed_events": 0,
        "description": f"instance 1: history intact ({len(events)} events: events 1-{len(events)} signed by key generation 1)",
    }
    for write in ("/instances/1/cancel", "/instances/1/suspend", f"/tasks/{countersign.legal.id}/claim"):
        assert_problem(auditor.post(write), 403, "forbidden")
    assert_problem(auditor.post("/instances", json={"model": "countersign"}), 403)

    with api.engine.db.transaction() as conn:  # someone edits the trail behind the engine's back
        conn.execute(text("UPDATE history_events SET actor = 'mallory' WHERE instance_id = 1 AND seq = 2"))
    broken = auditor.get("/instances/1/verify").json()
    assert (broken["ok"], broken["first_broken_seq"]) == (False, 2)
    assert "BROKEN at event 2" in broken["description"]


def test_processes_with_decisions_show_their_rules_in_history(api: Api) -> None:
    deploy_path(api.engine, MODELS / "routing")
    api.engine.identity.add_user("rep", ["sales_rep"])
    response = api.client("root").post("/instances", json={"model": "routing", "data": {"amount": 750000}})
    assert response.status_code == 201, response.text
    events = api.client("ann").get(f"/instances/{response.json()['id']}/history").json()["events"]
    evaluated = [e for e in events if e["type"] == "decision_evaluated"]
    assert [e["data"]["decision_id"] for e in evaluated] == ["approval_level", "extra_checks"]
