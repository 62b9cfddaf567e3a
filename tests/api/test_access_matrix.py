"""Every route, called by each kind of user: the status each one gets.

Set-up for every cell: countersign deployed with one instance started by sam (finance and legal
reviews open), the routing model (with its DMN) deployed. The employee is fay (finance): she may
work on the finance review but did not start the request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import update

from engine.store.schema import timers
from tests.api.conftest import PASSWORD, ROLES, Api, Countersign, bundle_files
from tests.factories import MODELS, deploy_path

ROLE_NAMES = list(ROLES)  # employee, process_owner, auditor, admin, anonymous


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    # Expected status per role, in ROLE_NAMES order.
    expected: tuple[int, int, int, int, int]
    json: Any = None
    files: Callable[[], dict] | None = None
    prepare: Callable[[Api, Countersign], None] | None = None


def _suspend(api: Api, cs: Countersign) -> None:
    api.engine.runtime.suspend(cs.instance.id, api.engine.identity.actor("root"))


def _fay_claims(api: Api, cs: Countersign) -> None:
    api.engine.tasks.claim(cs.finance.id, api.engine.identity.actor("fay"))


def _fay_has_a_password(api: Api, cs: Countersign) -> None:
    api.engine.identity.set_password("fay", PASSWORD)


def _assignment_bundle() -> dict:
    return bundle_files(MODELS / "assignment")


def _intake_deployed(api: Api, cs: Countersign) -> None:
    deploy_path(api.engine, MODELS / "intake")  # starts on a message no model restricts


def _a_confirmation_waits(api: Api, cs: Countersign) -> None:
    """Instance 2, waiting for a signal anyone may send, with timer 1 (7 days) pending."""
    deploy_path(api.engine, MODELS / "confirmation")
    api.engine.runtime.start("confirmation", api.engine.identity.actor("sam"), {"complaint_no": "TS-1"})


def _a_timer_is_an_incident(api: Api, cs: Countersign) -> None:
    """Timer 1 of a waiting confirmation has failed for good: what an admin may retry (how a timer
    fails is tests/timers' business; here only who may retry it)."""
    _a_confirmation_waits(api, cs)
    with api.engine.db.transaction() as conn:
        conn.execute(update(timers).where(timers.c.id == 1).values(status="incident", attempts=5))


EXTERNAL_TASK = "0" * 31 + "1"  # an external task's id is 32 hex digits: this one is made so


def _an_external_task_is_locked(api: Api, cs: Countersign) -> None:
    """External task EXTERNAL_TASK of a new instance of tests/external's PLAIN model, locked by worker w."""
    from engine.external.service import TopicRequest
    from engine.store.schema import external_tasks
    from tests.external.models import PLAIN
    from tests.factories import deploy_files

    root = api.engine.identity.actor("root")
    deploy_files(api.engine, {"plain.bpmn": PLAIN})
    api.engine.runtime.start("plain", root, {})
    with api.engine.db.transaction() as conn:
        conn.execute(update(external_tasks).values(id=EXTERNAL_TASK))
    api.engine.external.fetch_and_lock(root, "w", 1, [TopicRequest("work", 60_000)])


ROUTES = [
    # public
    Route("GET", "/health", (200, 200, 200, 200, 200)),
    Route("GET", "/openapi.json", (200, 200, 200, 200, 200)),
    Route("GET", "/docs/", (200, 200, 200, 200, 200)),
    Route(
        "POST",
        "/auth/login",
        (200, 200, 200, 200, 200),
        json={"username": "fay", "password": PASSWORD},
        prepare=_fay_has_a_password,
    ),
    # users and tokens
    Route("GET", "/me", (200, 200, 200, 200, 401)),
    Route("GET", "/users", (403, 403, 403, 200, 401)),
    Route("POST", "/users", (403, 403, 403, 201, 401), json={"name": "newbie", "groups": ["sales"]}),
    Route("PUT", "/users/fred/groups", (403, 403, 403, 200, 401), json={"groups": ["finance", "legal"]}),
    Route("POST", "/users/fay/tokens", (201, 403, 403, 201, 401), json={"label": "laptop"}),
    # models
    Route("GET", "/models", (200, 200, 200, 200, 401)),
    Route("GET", "/models/countersign", (200, 200, 200, 200, 401)),
    Route("GET", "/models/countersign/versions", (200, 200, 200, 200, 401)),
    Route("GET", "/models/countersign/versions/1/files/forms/approval.json", (200, 200, 200, 200, 401)),
    Route("POST", "/models", (403, 201, 403, 201, 401), files=_assignment_bundle),
    Route("POST", "/models/validate", (403, 200, 403, 200, 401), files=_assignment_bundle),
    # instances
    Route(
        "POST",
        "/instances",
        (201, 201, 403, 201, 401),
        json={"model": "countersign", "data": {"customer": "X", "amount": 1}},
    ),
    Route("GET", "/instances", (200, 200, 200, 200, 401)),
    Route("GET", "/instances/1", (200, 200, 200, 200, 401)),
    Route("POST", "/instances/1/cancel", (403, 200, 403, 200, 401), json={"reason": "duplicate"}),
    Route("POST", "/instances/1/suspend", (403, 200, 403, 200, 401), json={"reason": "audit"}),
    Route(
        "POST", "/instances/1/resume", (403, 200, 403, 200, 401), json={"reason": "cleared"}, prepare=_suspend
    ),
    # only admins retry a call activity's incident; instance 1 has none (409)
    Route("POST", "/instances/1/calls/retry", (403, 403, 403, 409, 401)),
    Route("GET", "/instances/1/history", (200, 200, 200, 200, 401)),
    Route("GET", "/instances/1/verify", (200, 200, 200, 200, 401)),
    # tasks (task 1 is the finance review)
    Route("GET", "/tasks", (200, 200, 200, 200, 401)),
    Route("GET", "/tasks/1", (200, 200, 200, 200, 401)),
    Route("POST", "/tasks/1/claim", (200, 403, 403, 403, 401)),
    Route("POST", "/tasks/1/unclaim", (200, 403, 403, 200, 401), prepare=_fay_claims),
    Route("POST", "/tasks/1/assign", (200, 403, 403, 200, 401), json={"user": "fred"}),
    Route("POST", "/tasks/1/complete", (200, 403, 403, 403, 401), json={"data": {"decision": "approve"}}),
    # messages and signals
    Route(
        "POST",
        "/messages",
        (201, 201, 403, 201, 401),
        json={"name": "complaint_received", "correlation_key": "C-1", "data": {"customer": "ACME"}},
        prepare=_intake_deployed,
    ),
    Route(
        "POST",
        "/signals",
        (200, 200, 403, 200, 401),
        json={"name": "product_recall"},
        prepare=_a_confirmation_waits,
    ),
    # timers: not for employees; only admins retry
    Route("GET", "/timers", (403, 200, 200, 200, 401), prepare=_a_confirmation_waits),
    Route("POST", "/timers/1/retry", (403, 403, 403, 200, 401), prepare=_a_timer_is_an_incident),
    # Camunda's external-task API (/engine-rest): workers and admins act, auditors read
    Route(
        "POST",
        "/engine-rest/external-task/fetchAndLock",
        (403, 403, 403, 200, 401),
        json={"workerId": "w", "topics": [{"topicName": "work", "lockDuration": 1000}]},
    ),
    Route(
        "GET", "/engine-rest/external-task", (403, 403, 200, 200, 401), prepare=_an_external_task_is_locked
    ),
    Route(
        "GET",
        "/engine-rest/external-task/count",
        (403, 403, 200, 200, 401),
        prepare=_an_external_task_is_locked,
    ),
    Route(
        "POST",
        "/engine-rest/external-task/count",
        (403, 403, 200, 200, 401),
        json={},
        prepare=_an_external_task_is_locked,
    ),
    Route(
        "GET",
        f"/engine-rest/external-task/{EXTERNAL_TASK}",
        (403, 403, 200, 200, 401),
        prepare=_an_external_task_is_locked,
    ),
    Route(
        "GET",
        f"/engine-rest/external-task/{EXTERNAL_TASK}/errorDetails",
        (403, 403, 200, 200, 401),
        prepare=_an_external_task_is_locked,
    ),
    Route(
        "POST",
        f"/engine-rest/external-task/{EXTERNAL_TASK}/complete",
        (403, 403, 403, 204, 401),
        json={"workerId": "w"},
        prepare=_an_external_task_is_locked,
    ),
    Route(
        "POST",
        f"/engine-rest/external-task/{EXTERNAL_TASK}/failure",
        (403, 403, 403, 204, 401),
        json={"workerId": "w", "retries": 1},
        prepare=_an_external_task_is_locked,
    ),
    Route(
        "POST",
        f"/engine-rest/external-task/{EXTERNAL_TASK}/bpmnError",
        (403, 403, 403, 204, 401),
        json={"workerId": "w", "errorCode": "X"},
        prepare=_an_external_task_is_locked,
    ),
    Route(
        "POST",
        f"/engine-rest/external-task/{EXTERNAL_TASK}/extendLock",
        (403, 403, 403, 204, 401),
        json={"workerId": "w", "newDuration": 5000},
        prepare=_an_external_task_is_locked,
    ),
    Route(
        "POST",
        f"/engine-rest/external-task/{EXTERNAL_TASK}/unlock",
        (403, 403, 403, 204, 401),
        prepare=_an_external_task_is_locked,
    ),
    Route(
        "PUT",
        f"/engine-rest/external-task/{EXTERNAL_TASK}/retries",
        (403, 403, 403, 204, 401),
        json={"retries": 2},
        prepare=_an_external_task_is_locked,
    ),
    # decisions
    Route(
        "POST",
        "/decisions/routing/evaluate",
        (200, 200, 200, 200, 401),
        json={"decision": "approval_level", "input": {"amount": 750000}},
    ),
]


def _check(api: Api, route: Route, role: str) -> None:
    client = api.as_role(role)
    # /engine-rest sits beside /api/v1: an absolute URL leaves the client's base path out.
    path = api.url + route.path if route.path.startswith("/engine-rest/") else route.path
    response = client.request(
        route.method, path, json=route.json, files=route.files() if route.files else None
    )
    expected = route.expected[ROLE_NAMES.index(role)]
    assert response.status_code == expected, f"{role}: {response.text}"
    if expected >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == expected
    if expected == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")


def _changes_state(route: Route) -> bool:
    return route.method != "GET" and route.path not in READ_ONLY_POSTS


# POSTs that change nothing another role's call could notice: every role can share one server.
READ_ONLY_POSTS = {"/auth/login", "/users/fay/tokens", "/models/validate", "/decisions/routing/evaluate"}


@pytest.mark.parametrize(
    "route", [r for r in ROUTES if not _changes_state(r)], ids=lambda r: f"{r.method} {r.path}"
)
def test_reading_route_by_every_role(api: Api, countersign: Countersign, route: Route) -> None:
    deploy_path(api.engine, MODELS / "routing")
    if route.prepare:
        route.prepare(api, countersign)
    for role in ROLE_NAMES:
        _check(api, route, role)


@pytest.mark.parametrize("role", ROLE_NAMES)
@pytest.mark.parametrize(
    "route", [r for r in ROUTES if _changes_state(r)], ids=lambda r: f"{r.method} {r.path}"
)
def test_writing_route_by_role(api: Api, countersign: Countersign, route: Route, role: str) -> None:
    """Each cell on a fresh database: one role's successful write must not decide the next one's."""
    if route.prepare:
        route.prepare(api, countersign)
    _check(api, route, role)


def test_every_documented_operation_is_in_the_matrix(api: Api) -> None:
    document = api.client().get("/openapi.json").json()
    documented = {
        (method.upper(), path.removeprefix("/api/v1"))
        for path, ops in document["paths"].items()
        for method in ops
    }
    template = {
        "/users/{name}/groups": "/users/fred/groups",
        "/users/{name}/tokens": "/users/fay/tokens",
        "/models/{key}": "/models/countersign",
        "/models/{key}/versions": "/models/countersign/versions",
        "/models/{key}/versions/{version}/files/{name}": "/models/countersign/versions/1/files/forms/approval.json",
        "/decisions/{key}/evaluate": "/decisions/routing/evaluate",
    }

    def concrete(path: str) -> str:
        path = template.get(path, path)
        if path.startswith("/engine-rest/"):
            return path.replace("{task_id}", EXTERNAL_TASK)
        return path.replace("{instance_id}", "1").replace("{task_id}", "1").replace("{timer_id}", "1")

    covered = {(r.method, r.path) for r in ROUTES}
    assert {(m, concrete(p)) for m, p in documented} <= covered
