"""One error shape everywhere: RFC 7807 problem+json, for engine errors, bad input, werkzeug's own
errors and unexpected failures alike; and never a stack trace."""

from __future__ import annotations

import json
import logging

import httpx
from sqlalchemy import text

from tests.api.conftest import TEST_JSON_LIMIT, Api, Countersign, assert_problem


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
