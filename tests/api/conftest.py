"""The API in a real HTTP server on 127.0.0.1 (werkzeug's, in a thread, on a free port) around a
real engine on the per-test database; tests talk to it with httpx, as any client would."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from engine import Engine
from engine.actor import SYSTEM
from engine.runtime.service import InstanceInfo
from engine.tasks.service import TaskQuery
from engine.tasks.views import TaskInfo
from server.app import create_app
from server.settings import ServerSettings
from tests.factories import MODELS, deploy_path

# Who plays which part. `sam` starts the requests the others work on.
PEOPLE = {
    "sam": ["sales"],
    "fay": ["finance"],
    "fred": ["finance"],
    "lee": ["legal"],
    "ed": ["marketing"],
    "olga": ["process_owner"],
    "ann": ["auditor"],
    "root": ["admin"],
}
# The kinds of user the brief names, and who stands for each in the tests.
ROLES = {"employee": "fay", "process_owner": "olga", "auditor": "ann", "admin": "root", "anonymous": None}
PASSWORD = "correct horse battery"  # set where a test logs in: hashing it costs ~80 ms
TEST_JSON_LIMIT = 64 * 1024


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


@dataclass
class Api:
    """A running API: its base URL, its engine (for setting up state), and a token per person."""

    url: str
    engine: Engine
    tokens: dict[str, str] = field(default_factory=dict)
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, user: str | None = None, **kwargs: object) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        # Plain HTTP on loopback: verify=False only skips loading CA certificates (30 ms a client).
        client = httpx.Client(
            base_url=self.url + "/api/v1", headers=headers, timeout=30, verify=False, **kwargs
        )
        self.clients.append(client)
        return client

    def as_role(self, role: str) -> httpx.Client:
        return self.client(ROLES[role])


def serve(app: object) -> tuple[str, Callable[[], None]]:
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    # A short poll interval: shutdown() waits for the loop to look, 0.5 s by default.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()

    return f"http://127.0.0.1:{server.server_port}", stop


@pytest.fixture
def api(engine: Engine) -> Iterator[Api]:
    app = create_app(engine, ServerSettings(max_json_bytes=TEST_JSON_LIMIT))
    url, stop = serve(app)
    running = Api(url, engine)
    for name, groups in PEOPLE.items():
        _, running.tokens[name] = engine.identity.add_user(name, groups)
    yield running
    for client in running.clients:
        client.close()
    stop()


@dataclass
class Countersign:
    """countersign.bpmn deployed, one instance started by sam: a finance and a legal review open."""

    instance: InstanceInfo
    finance: TaskInfo
    legal: TaskInfo


@pytest.fixture
def countersign(api: Api) -> Countersign:
    engine = api.engine
    deploy_path(engine, MODELS / "countersign")
    instance = engine.runtime.start(
        "countersign", engine.identity.actor("sam"), {"customer": "ACME", "amount": 100}
    )
    tasks = {t.element_id: t for t in engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance.id))}
    return Countersign(instance, tasks["finance_review"], tasks["legal_review"])


def bundle_files(directory: Path) -> dict[str, tuple[str, bytes]]:
    """A model directory as multipart file parts named like the files in the bundle."""
    files = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            name = path.relative_to(directory).as_posix()
            files[name] = (path.name, path.read_bytes())
    return files


def assert_problem(response: httpx.Response, status: int, type_suffix: str | None = None) -> dict:
    """The response is an RFC 7807 problem with this status; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail", "problems"} <= body.keys()
    assert body["status"] == status and body["title"] and body["detail"]
    assert "Traceback" not in response.text
    if type_suffix is not None:
        assert body["type"] == "urn:approvals:problem:" + type_suffix
    return body
