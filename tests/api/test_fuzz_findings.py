"""What the stateful fuzz run (bench/fuzz_api.py) found, each as the smallest request that shows it."""

from __future__ import annotations

import os
import signal
import subprocess

import httpx
import pytest

from tests.api.conftest import Api, assert_problem
from tests.served import APPROVALS, free_port, wait_until_up

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("body", ["\t", " ", "\r\n", "\n\n"])
def test_a_body_of_only_whitespace_is_not_json_and_is_refused(api: Api, body: str) -> None:
    """Found: ``POST /users/{name}/tokens`` with the body ``\\t`` issued a token (201), as if no body
    had been sent. An optional body may be left out; one that is sent must be a JSON object."""
    client = api.client("fay")
    problem = assert_problem(
        client.post("/users/fay/tokens", content=body, headers=JSON), 400, "invalid-input"
    )
    assert "not valid JSON" in problem["detail"]
    assert_problem(client.post("/instances/1/cancel", content=body, headers=JSON), 400, "invalid-input")


def test_a_body_left_out_still_reads_as_all_fields_left_out(api: Api) -> None:
    client = api.client("fay")
    assert client.post("/users/fay/tokens", content=b"", headers=JSON).status_code == 201
    assert client.post("/users/fay/tokens").status_code == 201
    assert client.post("/users/fay/tokens", json={"label": "laptop"}).status_code == 201


@pytest.mark.slow
def test_a_request_line_too_long_for_the_server_is_a_documented_414(database_url: str) -> None:
    """Found on PostgreSQL: ``GET /timers`` with a query string of ~5,000 bytes was answered 414 by
    gunicorn (which reads request lines up to 4,094 bytes) before the API saw it; the document
    promised no 414. Any operation can be called with a path or query that long."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPROVALS_")}
    env.update(APPROVALS_DATABASE_URL=database_url, APPROVALS_SERVE_TIMERS="0")
    port = free_port()
    server = subprocess.Popen(
        [APPROVALS, "serve", "--port", str(port), "--workers", "1", "--threads", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/v1"
        document = wait_until_up(url + "/openapi.json", server).json()
        answer = httpx.get(url + "/timers", params={"instance": "7" * 5000}, timeout=10)
        assert answer.status_code == 414
        documented = document["paths"]["/api/v1/timers"]["get"]["responses"]["414"]
        response = document["components"]["responses"][documented["$ref"].rsplit("/", 1)[1]]
        assert answer.headers["content-type"].split(";")[0] in response["content"]
        for path, operations in document["paths"].items():
            for method, op in operations.items():
                assert "414" in op["responses"], f"{method.upper()} {path}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
