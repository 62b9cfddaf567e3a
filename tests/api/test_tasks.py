"""Employees working their inbox over HTTP."""

from __future__ import annotations

import threading
from datetime import timedelta

from tests.api.conftest import Api, Countersign, assert_problem
from tests.factories import MODELS, deploy_path


def ids(response) -> list[int]:
    assert response.status_code == 200, response.text
    return [t["id"] for t in response.json()["items"]]


def test_my_inbox_and_what_i_may_claim(api: Api, countersign: Countersign) -> None:
    fay, lee = api.client("fay"), api.client("lee")
    finance, legal = countersign.finance.id, countersign.legal.id
    assert ids(fay.get("/tasks", params={"candidate": "me"})) == [finance]
    assert ids(lee.get("/tasks", params={"candidate": "me"})) == [legal]
    assert ids(fay.get("/tasks", params={"assignee": "me"})) == []
    assert ids(api.client("ed").get("/tasks")) == []
    assert sorted(ids(api.client("ann").get("/tasks"))) == [finance, legal]  # auditors see every task

    claimed = fay.post(f"/tasks/{finance}/claim")
    assert claimed.status_code == 200 and claimed.json()["assignee"] == "fay"
    assert ids(fay.get("/tasks", params={"assignee": "me"})) == [finance]
    assert ids(fay.get("/tasks", params={"candidate": "me"})) == []
    assert ids(api.client("fred").get("/tasks", params={"candidate": "me"})) == []
    assert ids(api.client("olga").get("/tasks", params={"assignee": "fay"})) == [finance]


def test_a_task_comes_with_its_form_and_the_instance_data(api: Api, countersign: Countersign) -> None:
    task = api.client("fay").get(f"/tasks/{countersign.finance.id}").json()
    assert (task["element_id"], task["name"], task["candidate_groups"], task["is_approval"]) == (
        "finance_review",
        "Finance review",
        ["finance"],
        True,
    )
    assert task["form"]["properties"]["decision"]["enum"] == ["approve", "reject"]
    assert task["form"]["properties"]["decision"]["x-title-zh"] == "审批意见"
    assert task["data"]["customer"] == "ACME"
    assert api.client("sam").get(f"/tasks/{countersign.finance.id}").status_code == 200  # the requester reads
    assert_problem(api.client("lee").get(f"/tasks/{countersign.finance.id}"), 403)
    assert_problem(api.client("ed").get(f"/tasks/{countersign.finance.id}"), 403)


def test_completing_runs_the_process_on(api: Api, countersign: Countersign) -> None:
    done = api.client("fay").post(
        f"/tasks/{countersign.finance.id}/complete",
        json={"data": {"decision": "approve", "finance_decision": "approve"}},
    )
    assert done.status_code == 200, done.text
    result = done.json()
    assert (result["task"]["status"], result["task"]["completed_by"], result["instance_status"]) == (
        "completed",
        "fay",
        "running",
    )
    assert result["next_tasks"] == []  # the legal review is still open
    done = api.client("lee").post(
        f"/tasks/{countersign.legal.id}/complete",
        json={"data": {"decision": "approve", "legal_decision": "approve"}},
    )
    assert done.json()["instance_status"] == "completed"
    assert api.client("sam").get("/instances/1").json()["status"] == "completed"
    assert ids(api.client("fay").get("/tasks", params={"status": "completed"})) == [countersign.finance.id]
    assert_problem(
        api.client("fay").post(
            f"/tasks/{countersign.finance.id}/complete", json={"data": {"decision": "approve"}}
        ),
        409,
    )


def test_invalid_form_data_is_422_listing_every_field(api: Api, countersign: Countersign) -> None:
    client = api.client("fay")
    response = client.post(
        f"/tasks/{countersign.finance.id}/complete", json={"data": {"decision": "maybe", "comment": 7}}
    )
    body = assert_problem(response, 422, "invalid-form-data")
    assert {p["field"] for p in body["problems"]} == {"decision", "comment"}
    assert any("approve" in p["message"] for p in body["problems"])
    body = assert_problem(
        client.post(f"/tasks/{countersign.finance.id}/complete", json={"data": {"decision": "reject"}}), 422
    )
    assert body["problems"] == [{"message": "is required", "field": "comment"}]
    task = client.get(f"/tasks/{countersign.finance.id}").json()
    assert (task["status"], task["assignee"]) == ("open", None)  # nothing happened


def test_conflicting_claims(api: Api, countersign: Countersign) -> None:
    finance = countersign.finance.id
    assert api.client("fay").post(f"/tasks/{finance}/claim").status_code == 200
    body = assert_problem(api.client("fred").post(f"/tasks/{finance}/claim"), 409, "conflict")
    assert "already claimed by fay" in body["detail"]
    assert api.client("fay").post(f"/tasks/{finance}/claim").status_code == 200  # claiming again is harmless
    assert_problem(
        api.client("fred").post(f"/tasks/{finance}/complete", json={"data": {"decision": "approve"}}), 403
    )
    assert_problem(api.client("fred").post(f"/tasks/{finance}/unclaim"), 403)
    assert api.client("fay").post(f"/tasks/{finance}/unclaim").json()["assignee"] is None
    assert_problem(api.client("fay").post(f"/tasks/{finance}/unclaim"), 409)


def test_simultaneous_claims_exactly_one_wins(api: Api, countersign: Countersign) -> None:
    api.engine.identity.add_user("finn", ["finance"])
    _, token = api.engine.identity.add_user("fiona", ["finance"])
    api.tokens["fiona"] = token
    clients = [api.client(name) for name in ("fay", "fred", "fiona")]
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    def claim(client) -> None:
        start.wait()
        statuses.append(client.post(f"/tasks/{countersign.finance.id}/claim").status_code)

    threads = [threading.Thread(target=claim, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 409, 409]


def test_segregation_of_duties_holds_over_http(api: Api, countersign: Countersign) -> None:
    api.engine.identity.set_groups("sam", ["sales", "finance"])  # the requester is also in finance
    body = assert_problem(api.client("sam").post(f"/tasks/{countersign.finance.id}/claim"), 403, "forbidden")
    assert "segregation of duties" in body["detail"]
    assert_problem(
        api.client("root").post(f"/tasks/{countersign.finance.id}/assign", json={"user": "sam"}), 403
    )
    assert_problem(
        api.client("root").post(f"/tasks/{countersign.finance.id}/claim"), 403
    )  # no admin override


def test_assigning(api: Api, countersign: Countersign) -> None:
    finance = countersign.finance.id
    assert (
        api.client("fay").post(f"/tasks/{finance}/assign", json={"user": "fred"}).json()["assignee"] == "fred"
    )
    assert (
        api.client("fred").post(f"/tasks/{finance}/assign", json={"user": "fay"}).json()["assignee"] == "fay"
    )
    assert_problem(
        api.client("fay").post(f"/tasks/{finance}/assign", json={"user": "lee"}), 403
    )  # not a candidate
    assert_problem(api.client("root").post(f"/tasks/{finance}/assign", json={"user": "nobody"}), 404)


def test_sorting_paging_and_overdue(api: Api, clock) -> None:
    deploy_path(api.engine, MODELS / "assignment")
    sam = api.engine.identity.actor("sam")
    for urgency in (10, 90, 50):
        clock.advance(timedelta(hours=1))
        api.engine.runtime.start(
            "assignment", sam, {"urgency": urgency, "approver_group": "finance", "deadline": None}
        )
    client = api.client("sam")

    def priorities(**params: object) -> list[int]:
        response = client.get("/tasks", params={"assignee": "me", **params})
        assert response.status_code == 200, response.text
        return [t["priority"] for t in response.json()["items"]]

    assert priorities(sort="priority") == [90, 50, 10]  # most urgent first
    assert priorities(sort="priority", order="desc") == [10, 50, 90]
    assert priorities(sort="created") == [10, 90, 50]
    assert priorities(sort="created", order="desc") == [50, 90, 10]
    page = client.get("/tasks", params={"assignee": "me", "sort": "priority", "limit": 2}).json()
    assert [t["priority"] for t in page["items"]] == [90, 50] and page["next_offset"] == 2
    page = client.get("/tasks", params={"assignee": "me", "sort": "priority", "limit": 2, "offset": 2}).json()
    assert [t["priority"] for t in page["items"]] == [10] and page["next_offset"] is None
    assert priorities(model="assignment", instance=2) == [90]

    # complete the own-edit steps: approvals due in two days land with finance
    for task in client.get("/tasks", params={"assignee": "me", "sort": "created"}).json()["items"]:
        client.post(f"/tasks/{task['id']}/complete", json={"data": {}}).raise_for_status()
        clock.advance(timedelta(hours=1))
    fay = api.client("fay")
    due = [t["due_at"] for t in fay.get("/tasks", params={"candidate": "me", "sort": "due"}).json()["items"]]
    assert len(due) == 3 and due == sorted(due)
    assert fay.get("/tasks", params={"overdue": "true"}).json()["items"] == []
    clock.advance(timedelta(days=2) - timedelta(hours=1, minutes=30))
    late = fay.get("/tasks", params={"overdue": "true"}).json()["items"]
    assert len(late) == 2 and all(t["overdue"] for t in late)
    assert len(fay.get("/tasks", params={"overdue": "false"}).json()["items"]) == 1


def test_suspended_tasks_on_request(api: Api, countersign: Countersign) -> None:
    api.client("olga").post("/instances/1/suspend", json={"reason": "audit"}).raise_for_status()
    assert ids(api.client("fay").get("/tasks")) == []
    assert ids(api.client("fay").get("/tasks", params={"include_suspended": "true"})) == [
        countersign.finance.id
    ]
    assert_problem(api.client("fay").post(f"/tasks/{countersign.finance.id}/claim"), 409)


def test_the_inbox_filters_counts_and_pages_by_cursor(api: Api, countersign: Countersign) -> None:
    engine, sam = api.engine, api.engine.identity.actor("sam")
    more = [
        engine.runtime.start("countersign", sam, {"customer": f"C{i}", "amount": 100}).id for i in range(4)
    ]
    fay = api.client("fay")
    mine = ids(fay.get("/tasks", params={"inbox": "me"}))
    assert len(mine) == 1 + len(more)
    fay.post(f"/tasks/{countersign.finance.id}/claim")
    counts = fay.get("/tasks/counts").json()
    assert counts == {"total": 5, "assigned_to_me": 1, "claimable": 4, "overdue": 0}
    assert api.client("lee").get("/tasks/counts", params={"text": "finance"}).json()["total"] == 0
    assert ids(fay.get("/tasks", params={"inbox": "me", "text": "FINANCE"})) == mine
    assert ids(fay.get("/tasks", params={"inbox": "me", "text": "legal"})) == []
    assert ids(fay.get("/tasks", params={"inbox": "me", "due": "none", "tz": "Asia/Shanghai"})) == mine

    seen, after = [], None
    while True:
        answer = fay.get("/tasks", params={"inbox": "me", "limit": 2, **({"after": after} if after else {})})
        seen += ids(answer)
        after = answer.json()["next_cursor"]
        if after is None:
            break
        assert answer.json()["next_offset"] == (None if seen[2:] else 2)
    assert seen == mine

    assert "not a cursor" in assert_problem(fay.get("/tasks", params={"after": "nope"}), 400)["detail"]
    assert (
        "unknown time zone"
        in assert_problem(fay.get("/tasks", params={"due": "today", "tz": "Nowhere/City"}), 400)["detail"]
    )
    assert_problem(fay.get("/tasks", params={"text": "x" * 301}), 400)
