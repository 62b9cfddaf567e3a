"""One error shape everywhere: RFC 7807 problem+json, for engine errors, bad input, werkzeug's own
errors and unexpected failures alike; and never a stack trace."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import text

from tests.api.conftest import TEST_JSON_LIMIT, Api, Countersign, assert_problem, bundle_files
from tests.factories import MODELS


def test_malformed_json_is_400_and_says_where(api: Api, countersign: Countersign) -> None:
    client = api.client("sam")
    response = client.post(
        "/instances", content=b'{"model": "countersign",', headers={"Content-Type": "application/json"}
    )
    body = assert_problem(response, 400, "invalid-input")
    assert "not valid JSON" in body["detail"] and "line 1" in body["detail"]


def test_body_fields_are_checked_and_listed(api: Api, countersign: Countersign) -> None:
    client = api.client("sam")
    body = assert_problem(
        client.post("/instances", json={"modle": "countersign", "version": "two", "data": []}),
        400,
        "invalid-input",
    )
    assert {p["field"] for p in body["problems"]} == {"modle", "model", "version", "data"}
    assert all(p["message"] for p in body["problems"])
    assert_problem(client.post("/instances", json=["countersign"]), 400)
    assert_problem(client.post("/tasks/1/assign", json={}), 400)  # user is required


def test_values_no_database_or_json_reader_accepts_are_refused(api: Api, countersign: Countersign) -> None:
    client = api.client("sam")
    for raw in (
        b'{"model": "countersign", "data": {"amount": NaN}}',
        b'{"model": "countersign", "data": {"amount": 1e999}}',
        b'{"model": "count\\u0000ersign"}',
        b'{"model": "countersign", "data": {"x": "\\ud800"}}',
        b'{"model": "countersign", "data": {"x": "\\uDC00"}}',
        b'{"model": "\xff"}',
        b"[" * 50_000,
    ):
        assert_problem(
            client.post("/instances", content=raw, headers={"Content-Type": "application/json"}), 400
        )
    assert_problem(client.get("/instances", params={"model": "a\x00b"}), 400)
    assert_problem(client.get("/instances", params={"started_from": "0001-01-01T00:00:00+14:00"}), 400)
    assert_problem(client.get("/models/a%00b/versions"), 404)


def test_query_parameters_are_checked(api: Api, countersign: Countersign) -> None:
    client = api.client("fay")
    body = assert_problem(client.get("/tasks", params={"sort": "age", "limit": 0, "colour": "red"}), 400)
    assert {p["field"] for p in body["problems"]} == {"sort", "limit", "colour"}
    assert_problem(client.get("/tasks", params={"candidate": "fred"}), 400)
    assert_problem(client.get("/instances", params={"started_to": "yesterday"}), 400)


def test_wrong_content_type_is_415(api: Api, countersign: Countersign) -> None:
    client = api.client("sam")
    response = client.post("/instances", content=b"model=countersign", headers={"Content-Type": "text/plain"})
    assert_problem(response, 415)
    assert_problem(api.client("olga").post("/models", json={"countersign.bpmn": "<xml/>"}), 415)


def test_json_bodies_have_a_size_limit(api: Api, countersign: Countersign) -> None:
    client = api.client("sam")
    big = {"model": "countersign", "data": {"customer": "x" * TEST_JSON_LIMIT, "amount": 1}}
    body = assert_problem(client.post("/instances", json=big), 413)
    assert body["title"] == "Request Entity Too Large"
    # Without a Content-Length (chunked), the limit holds while reading.
    chunks = (json.dumps(big).encode()[i : i + 4096] for i in range(0, len(json.dumps(big)), 4096))
    assert_problem(
        client.post("/instances", content=chunks, headers={"Content-Type": "application/json"}), 413
    )
    assert len(api.engine.runtime.list(api.engine.identity.actor("root"))) == 1  # only the fixture's


def test_werkzeug_errors_are_problems_too(api: Api) -> None:
    client = api.client("sam")
    assert_problem(client.get("/no/such/route"), 404)
    assert_problem(client.get("/instances/0"), 404)  # ids start at 1
    assert_problem(client.get("/instances/99999999999"), 404)  # beyond a database integer
    response = client.delete("/instances")
    assert_problem(response, 405)
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_missing_resources_are_404(api: Api, countersign: Countersign) -> None:
    client = api.client("root")
    for path in (
        "/instances/999",
        "/instances/999/history",
        "/instances/999/verify",
        "/tasks/999",
        "/models/nothing/versions",
        "/models/countersign/versions/9/files/countersign.bpmn",
        "/models/countersign/versions/1/files/forms/none.json",
    ):
        assert_problem(client.get(path), 404, "not-found")
    assert_problem(client.post("/tasks/999/claim"), 404)
    assert_problem(client.post("/instances/999/cancel"), 404)
    assert_problem(client.put("/users/nobody/groups", json={"groups": ["x"]}), 404)
    assert_problem(client.post("/users/nobody/tokens"), 404)
    assert_problem(client.post("/instances", json={"model": "nothing"}), 404)
    assert_problem(client.post("/decisions/nothing/evaluate", json={"input": {}}), 404)


def test_an_unexpected_failure_is_a_500_problem_logged_with_its_reference(
    api: Api, countersign: Countersign, caplog
) -> None:
    # A real fault: a table the inbox needs is gone (put back afterwards: on PostgreSQL the schema
    # is shared by the tests of a worker).
    with api.engine.db.transaction() as conn:
        conn.execute(text("ALTER TABLE user_task_candidates RENAME TO user_task_candidates_hidden"))
    try:
        with caplog.at_level(logging.ERROR, logger="api"):
            response = api.client("fay").get("/tasks")
    finally:
        with api.engine.db.transaction() as conn:
            conn.execute(text("ALTER TABLE user_task_candidates_hidden RENAME TO user_task_candidates"))
    body = assert_problem(response, 500, "internal-error")
    assert body["reference"] in body["detail"]
    assert "user_task_candidates" not in response.text and "sqlalchemy" not in response.text.lower()
    logged = [r for r in caplog.records if body["reference"] in r.getMessage()]
    assert logged and logged[0].exc_info is not None  # the traceback went to the log
    assert api.client("fay").get("/tasks").status_code == 200


def test_health_reports_a_database_it_cannot_use(api: Api) -> None:
    client = api.client()
    assert client.get("/health").json()["status"] == "ok"
    with api.engine.db.transaction() as conn:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        conn.execute(text("DELETE FROM alembic_version"))
    try:
        body = assert_problem(client.get("/health"), 503)
    finally:
        with api.engine.db.transaction() as conn:
            conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": revision})
    assert "schema" in body["detail"]
    assert client.get("/health").status_code == 200


def test_responses_carry_safety_headers(api: Api) -> None:
    response = httpx.get(api.url + "/api/v1/health")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    script = httpx.get(api.url + "/api/v1/docs/swagger-ui-bundle.js")
    assert script.status_code == 200 and "no-store" not in script.headers.get("cache-control", "")


def _multipart(*parts: tuple[str | None, str | None, bytes]) -> tuple[bytes, dict[str, str]]:
    """A multipart body written by hand: httpx (like any well-behaved client) always names its parts."""
    body = b""
    for name, filename, content in parts:
        disposition = "form-data" + (f'; name="{name}"' if name is not None else "")
        disposition += f'; filename="{filename}"' if filename is not None else ""
        body += (
            b"--b0undary\r\nContent-Disposition: " + disposition.encode() + b"\r\n\r\n" + content + b"\r\n"
        )
    return body + b"--b0undary--\r\n", {"Content-Type": "multipart/form-data; boundary=b0undary"}


def test_a_multipart_part_without_a_name_is_400_not_500(api: Api) -> None:
    client = api.client("olga")
    bpmn = (MODELS / "countersign" / "countersign.bpmn").read_bytes()
    for nameless in ((None, "countersign.bpmn", bpmn), (None, None, b"a note"), ("", "x.bpmn", bpmn)):
        body, headers = _multipart(("countersign.bpmn", "countersign.bpmn", bpmn), nameless)
        for path in ("/models/validate", "/models"):
            problem = assert_problem(client.post(path, content=body, headers=headers), 400, "invalid-input")
            assert "needs a name" in problem["detail"]
            assert "no name in its Content-Disposition" in problem["problems"][0]["message"]
    assert api.client("sam").get("/models").json()["items"] == []  # nothing was deployed
    # The neighbour with every part named is read as usual (its forms are missing: a 422 that says so).
    body, headers = _multipart(("countersign.bpmn", "countersign.bpmn", bpmn), ("note", None, b"first"))
    problem = assert_problem(client.post("/models/validate", content=body, headers=headers), 422)
    assert "forms/" in json.dumps(problem["problems"])


def _nested(levels: int) -> list:
    value: list = []
    for _ in range(levels - 1):
        value = [value]
    return value


def test_deeply_nested_json_is_refused_naming_where(api: Api, countersign: Countersign) -> None:
    client = api.client("sam")
    start = {"model": "countersign", "data": {"customer": "ACME", "amount": 1, "lines": _nested(400)}}
    body = assert_problem(client.post("/instances", json=start), 400, "invalid-input")
    assert "more than 32 levels" in body["detail"] and "APPROVALS_MAX_DATA_DEPTH" in body["detail"]
    assert body["problems"][0]["field"].startswith("data/lines/0/0")
    # Every JSON body goes through the same check: a message, a decision's input.
    message = {"name": "customer_confirmed", "correlation_key": "C-1", "data": {"note": _nested(100)}}
    assert_problem(api.client("root").post("/messages", json=message), 400, "invalid-input")
    evaluate = {"input": {"amount": _nested(100)}}
    assert_problem(api.client("root").post("/decisions/anything/evaluate", json=evaluate), 400)
    with api.engine.db.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM process_instances")).scalar_one() == 1
    # The neighbour at the limit: data nested 32 levels deep is accepted.
    start["data"]["lines"] = _nested(31)
    response = client.post("/instances", json=start)
    assert response.status_code == 201, response.text


def _routing_bundle(dmn_edit: Callable[[str], str]) -> dict[str, tuple[str, bytes]]:
    files = bundle_files(MODELS / "routing")
    name, content = files["routing.dmn"]
    files["routing.dmn"] = (name, dmn_edit(content.decode()).encode())
    return files


@pytest.mark.parametrize(
    "edit, column, says",
    [
        (lambda d: d.replace("&lt; 500000", "(" * 120 + "&lt; 500000" + ")" * 120), "Amount", "nested more"),
        (lambda d: d.replace('"sales_manager"', "10 ** 100000000"), "approver_group", "1,000 digits"),
        (lambda d: d.replace('"sales_manager"', "-" * 400 + "1"), "approver_group", "nested more"),
    ],
    ids=["parentheses", "huge-constant", "minus-signs"],
)
def test_hostile_feel_is_a_quick_422_naming_file_decision_rule_and_column(
    api: Api, edit: Callable[[str], str], column: str, says: str
) -> None:
    client = api.client("olga")
    start = time.perf_counter()
    body = assert_problem(client.post("/models/validate", files=_routing_bundle(edit)), 422, "invalid-model")
    assert time.perf_counter() - start < 5
    (problem,) = body["problems"]
    assert problem["file"] == "routing.dmn" and problem["decision_id"] == "approval_level"
    assert problem["rule"] == 1 and problem["column"] == column and says in problem["message"]


def test_a_20000_term_feel_cell_validates(api: Api) -> None:
    chain = " and ".join(["amount &gt; 0"] * 20_000)
    response = api.client("olga").post(
        "/models/validate", files=_routing_bundle(lambda d: d.replace("&gt; 0<", chain + "<"))
    )
    assert response.status_code == 200, response.text


def test_feel_arithmetic_past_its_limit_at_run_time_is_a_422_naming_the_decision(api: Api) -> None:
    files = _routing_bundle(lambda d: d.replace('"sales_manager"', "string(amount ** amount)"))
    assert api.client("olga").post("/models", files=files).status_code == 201
    client = api.client("fay")
    ok = client.post(
        "/decisions/routing/evaluate", json={"decision": "approval_level", "input": {"amount": 9}}
    )
    assert ok.status_code == 200 and ok.json()["results"] == {"Approval level": str(9**9)}
    start = time.perf_counter()
    body = assert_problem(
        client.post(
            "/decisions/routing/evaluate",
            json={"decision": "approval_level", "input": {"amount": 499_999}},
        ),
        422,
        "decision-failed",
    )
    assert time.perf_counter() - start < 2
    assert "1,000 digits" in body["detail"] + json.dumps(body["problems"])
    assert body["problems"][0]["decision_id"] == "approval_level" and body["problems"][0]["rule"] == 1
