"""Over HTTP: an approver cannot rewrite the request, a message cannot carry undeclared fields, and
completion re-checks the assignee's authority. Each refusal is a problem document, never a 500,
and leaves everything as it was."""

from __future__ import annotations

from tests.api.conftest import Api, Countersign, assert_problem
from tests.factories import MODELS, deploy_path


def test_an_approver_rewriting_the_amount_gets_422_and_nothing_changes(
    api: Api, countersign: Countersign
) -> None:
    fay = api.client("fay")
    finance = countersign.finance.id
    before = api.client("olga").get(f"/instances/{countersign.instance.id}").json()
    body = assert_problem(
        fay.post(
            f"/tasks/{finance}/complete", json={"data": {"decision": "approve", "amount": 1, "level": "x"}}
        ),
        422,
        "invalid-form-data",
    )
    assert sorted(p["field"] for p in body["problems"]) == ["amount", "level"]
    assert all("form 'approval'" in p["message"] for p in body["problems"])
    assert api.client("olga").get(f"/instances/{countersign.instance.id}").json() == before
    task = fay.get(f"/tasks/{finance}").json()
    assert (task["status"], task["assignee"], task["data"]["amount"]) == ("open", None, 100)
    done = fay.post(f"/tasks/{finance}/complete", json={"data": {"decision": "approve"}})
    assert done.status_code == 200, done.text


def test_an_assignee_removed_from_the_group_after_claiming_gets_403(
    api: Api, countersign: Countersign
) -> None:
    finance = countersign.finance.id
    fay = api.client("fay")
    assert fay.post(f"/tasks/{finance}/claim").status_code == 200
    root = api.client("root")
    assert root.put("/users/fay/groups", json={"groups": ["sales"]}).status_code == 200
    body = assert_problem(fay.post(f"/tasks/{finance}/complete", json={"data": {"decision": "approve"}}), 403)
    assert "not a candidate" in body["detail"]
    task = api.client("olga").get(f"/tasks/{finance}").json()
    assert (task["status"], task["assignee"]) == ("open", "fay")


def test_a_message_with_an_undeclared_field_gets_422_and_the_instance_still_waits(api: Api) -> None:
    deploy_path(api.engine, MODELS / "confirmation")
    sam = api.engine.identity.actor("sam")
    instance = api.engine.runtime.start("confirmation", sam, {"complaint_no": "TS-1"})
    sender = api.client("root")  # an admin may send any message
    message = {"name": "customer_confirmed", "correlation_key": "TS-1"}
    body = assert_problem(
        sender.post("/messages", json={**message, "data": {"satisfied": True, "complaint_no": "TS-2"}}), 422
    )
    assert [p["field"] for p in body["problems"]] == ["complaint_no"]
    shown = api.client("olga").get(f"/instances/{instance.id}").json()
    assert shown["status"] == "running" and shown["data"]["complaint_no"] == "TS-1"
    assert sender.post("/messages", json={**message, "data": {"satisfied": True}}).status_code == 200
