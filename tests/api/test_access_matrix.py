"""Every route, called by each kind of user: the status each one gets, over HTTP and from the engine.

Each row holds the HTTP request and the engine call doing the same thing, so that the two cannot
drift apart: the engine (engine/access.py) decides who may do what, and must refuse exactly where
HTTP answers 403 (whatever face a user comes through: API, CLI, a web UI).

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

from engine import Engine
from engine.actor import Actor
from engine.errors import Conflict, PermissionDenied
from engine.external.service import ExternalTaskQuery, TopicRequest
from engine.overview import Period
from engine.repository.bundle import Bundle
from engine.runtime import InstanceSearch
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
    # The engine call doing what the request does, as the given actor (None: see NO_ENGINE_CALL).
    call: Callable[[Engine, Actor], object] | None = None


def _suspend(api: Api, cs: Countersign) -> None:
    api.engine.runtime.suspend(cs.instance.id, api.engine.identity.actor("root"), "audit")


def _fay_claims(api: Api, cs: Countersign) -> None:
    api.engine.tasks.claim(cs.finance.id, api.engine.identity.actor("fay"))


def _fay_has_a_password(api: Api, cs: Countersign) -> None:
    api.engine.identity.set_password("fay", PASSWORD)


def _assignment_bundle() -> dict:
    return bundle_files(MODELS / "assignment")


def _assignment(engine: Engine) -> Bundle:
    (bundle,) = engine.repository.bundles_from_paths([MODELS / "assignment"])
    return bundle


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
    Route("GET", "/me", (200, 200, 200, 200, 401), call=lambda e, a: e.identity.get_user(a.name)),
    Route(
        "PATCH",
        "/me/preferences",
        (200, 200, 200, 200, 401),
        json={"locale": "zh", "time_zone": "Asia/Shanghai"},
        call=lambda e, a: e.identity.set_preferences(a.name, locale="zh", time_zone="Asia/Shanghai", actor=a),
    ),
    Route(
        "PATCH",
        "/users/fay/preferences",
        (200, 403, 403, 200, 401),
        json={"locale": "zh"},
        call=lambda e, a: e.identity.set_preferences("fay", locale="zh", actor=a),
    ),
    Route("GET", "/users", (403, 403, 403, 200, 401), call=lambda e, a: e.identity.list_users(a)),
    Route(
        "POST",
        "/users",
        (403, 403, 403, 201, 401),
        json={"name": "newbie", "groups": ["sales"]},
        call=lambda e, a: e.identity.add_user("newbie", ["sales"], actor=a),
    ),
    Route(
        "PUT",
        "/users/fred/groups",
        (403, 403, 403, 200, 401),
        json={"groups": ["finance", "legal"]},
        call=lambda e, a: e.identity.set_groups("fred", ["finance", "legal"], actor=a),
    ),
    Route(
        "POST",
        "/users/fay/tokens",
        (201, 403, 403, 201, 401),
        json={"label": "laptop"},
        call=lambda e, a: e.identity.issue_token("fay", "laptop", actor=a),
    ),
    # models
    Route("GET", "/models", (200, 200, 200, 200, 401), call=lambda e, a: e.repository.list_models()),
    Route(
        "GET",
        "/models/countersign",
        (200, 200, 200, 200, 401),
        call=lambda e, a: e.runtime.model_page("countersign", a),
    ),
    Route(
        "GET",
        "/models/countersign/versions",
        (200, 200, 200, 200, 401),
        call=lambda e, a: e.repository.versions("countersign"),
    ),
    Route(
        "GET",
        "/models/countersign/versions/1/files/forms/approval.json",
        (200, 200, 200, 200, 401),
        call=lambda e, a: e.repository.file("countersign", 1, "forms/approval.json"),
    ),
    Route(
        "POST",
        "/models",
        (403, 201, 403, 201, 401),
        files=_assignment_bundle,
        call=lambda e, a: e.repository.deploy([_assignment(e)], a),
    ),
    Route(
        "POST",
        "/models/validate",
        (403, 200, 403, 200, 401),
        files=_assignment_bundle,
        call=lambda e, a: e.repository.validate_all(_assignment(e), actor=a),
    ),
    # instances
    Route(
        "POST",
        "/instances",
        (201, 201, 403, 201, 401),
        json={"model": "countersign", "data": {"customer": "X", "amount": 1}},
        call=lambda e, a: e.runtime.start("countersign", a, {"customer": "X", "amount": 1}),
    ),
    Route(
        "GET",
        "/instances",
        (200, 200, 200, 200, 401),
        call=lambda e, a: e.runtime.search(a, InstanceSearch()),
    ),
    Route(
        "GET",
        "/instances.csv",
        (200, 200, 200, 200, 401),
        call=lambda e, a: list(e.runtime.export(a, InstanceSearch(), 10)),
    ),
    Route("GET", "/instances/1", (200, 200, 200, 200, 401), call=lambda e, a: e.runtime.get(1, a)),
    Route(
        "POST",
        "/instances/1/cancel",
        (403, 200, 403, 200, 401),
        json={"reason": "duplicate"},
        call=lambda e, a: e.runtime.cancel(1, a, "duplicate"),
    ),
    Route(
        "POST",
        "/instances/1/suspend",
        (403, 200, 403, 200, 401),
        json={"reason": "audit"},
        call=lambda e, a: e.runtime.suspend(1, a, "audit"),
    ),
    Route(
        "POST",
        "/instances/1/resume",
        (403, 200, 403, 200, 401),
        json={"reason": "cleared"},
        prepare=_suspend,
        call=lambda e, a: e.runtime.resume(1, a, "cleared"),
    ),
    # only admins retry a call activity's incident; instance 1 has none (409)
    Route(
        "POST",
        "/instances/1/calls/retry",
        (403, 403, 403, 409, 401),
        call=lambda e, a: e.runtime.retry_calls(1, a),
    ),
    # incidents: read by those who read everything, retried by admins
    Route("GET", "/incidents", (403, 200, 200, 200, 401), call=lambda e, a: e.incidents.list(a)),
    Route(
        "POST",
        "/incidents/timer/1/retry",
        (403, 403, 403, 200, 401),
        prepare=_a_timer_is_an_incident,
        call=lambda e, a: e.incidents.retry("timer", "1", a),
    ),
    Route("GET", "/instances/1/history", (200, 200, 200, 200, 401), call=lambda e, a: e.history.events(1, a)),
    Route("GET", "/instances/1/verify", (200, 200, 200, 200, 401), call=lambda e, a: e.history.verify(1, a)),
    Route("GET", "/instances/1/path", (200, 200, 200, 200, 401), call=lambda e, a: e.audit.instance(1, a)),
    # tasks (task 1 is the finance review)
    Route("GET", "/tasks", (200, 200, 200, 200, 401), call=lambda e, a: e.tasks.list(a)),
    Route("GET", "/tasks/counts", (200, 200, 200, 200, 401), call=lambda e, a: e.tasks.inbox_counts(a)),
    Route("GET", "/tasks/1", (200, 200, 200, 200, 401), call=lambda e, a: e.tasks.get(1, a)),
    Route("POST", "/tasks/1/claim", (200, 403, 403, 403, 401), call=lambda e, a: e.tasks.claim(1, a)),
    Route(
        "POST",
        "/tasks/1/unclaim",
        (200, 403, 403, 200, 401),
        prepare=_fay_claims,
        call=lambda e, a: e.tasks.unclaim(1, a),
    ),
    Route(
        "POST",
        "/tasks/1/assign",
        (200, 403, 403, 200, 401),
        json={"user": "fred"},
        call=lambda e, a: e.tasks.assign(1, a, "fred"),
    ),
    Route(
        "POST",
        "/tasks/1/complete",
        (200, 403, 403, 403, 401),
        json={"data": {"decision": "approve"}},
        call=lambda e, a: e.tasks.complete(1, a, {"decision": "approve"}),
    ),
    # messages and signals
    Route(
        "POST",
        "/messages",
        (201, 201, 403, 201, 401),
        json={"name": "complaint_received", "correlation_key": "C-1", "data": {"customer": "ACME"}},
        prepare=_intake_deployed,
        call=lambda e, a: e.events.correlate_message("complaint_received", "C-1", {"customer": "ACME"}, a),
    ),
    Route(
        "POST",
        "/signals",
        (200, 200, 403, 200, 401),
        json={"name": "product_recall"},
        prepare=_a_confirmation_waits,
        call=lambda e, a: e.events.broadcast_signal("product_recall", None, a),
    ),
    # the process overview: for those who read everything
    Route(
        "GET",
        "/overview",
        (403, 200, 200, 200, 401),
        call=lambda e, a: e.overview.processes(a, Period.last_days(e.clock.now())),
    ),
    Route(
        "GET",
        "/models/countersign/versions/1/waits",
        (403, 200, 200, 200, 401),
        call=lambda e, a: e.overview.waits("countersign", 1, a, Period.last_days(e.clock.now())),
    ),
    # timers: not for employees; only admins retry
    Route(
        "GET",
        "/timers",
        (403, 200, 200, 200, 401),
        prepare=_a_confirmation_waits,
        call=lambda e, a: e.timers.list(a),
    ),
    Route(
        "POST",
        "/timers/1/retry",
        (403, 403, 403, 200, 401),
        prepare=_a_timer_is_an_incident,
        call=lambda e, a: e.timers.retry(1, a),
    ),
    # Camunda's external-task API (/engine-rest): workers and admins act, auditors read
    Route(
        "POST",
        "/engine-rest/external-task/fetchAndLock",
        (403, 403, 403, 200, 401),
        json={"workerId": "w", "topics": [{"topicName": "work", "lockDuration": 1000}]},
        call=lambda e, a: e.external.fetch_and_lock(a, "w", 1, [TopicRequest("work", 1000)]),
    ),
    Route(
        "GET",
        "/engine-rest/external-task",
        (403, 403, 200, 200, 401),
        prepare=_an_external_task_is_locked,
        call=lambda e, a: e.external.list(a, ExternalTaskQuery()),
    ),
    Route(
        "GET",
        "/engine-rest/external-task/count",
        (403, 403, 200, 200, 401),
        prepare=_an_external_task_is_locked,
        call=lambda e, a: e.external.count(a, ExternalTaskQuery()),
    ),
    Route(
        "POST",
        "/engine-rest/external-task/count",
        (403, 403, 200, 200, 401),
        json={},
        prepare=_an_external_task_is_locked,
        call=lambda e, a: e.external.count(a, ExternalTaskQuery()),
    ),
    Route(
        "GET",
        f"/engine-rest/external-task/{EXTERNAL_TASK}",
        (403, 403, 200, 200, 401),
        prepare=_an_external_task_is_locked,
        call=lambda e, a: e.external.get(EXTERNAL_TASK, a),
    ),
    Route(
        "GET",
        f"/engine-rest/external-task/{EXTERNAL_TASK}/errorDetails",
        (403, 403, 200, 200, 401),
        prepare=_an_external_task_is_locked,
        call=lambda e, a: e.external.error_details(EXTERNAL_TASK, a),
    ),
    Route(
        "POST",
        f"/engine-rest/external-task/{EXTERNAL_TASK}/complete",
        (403, 403, 403, 204, 401),
        json={"workerId": "w"},
        prepare=_an_external_task_is_locked,
        call=lambda e, a: e.external.complete(EXTERNAL_TASK, a, "w"),
    ),
    Route(
        "POST",
        f"/engine-rest/external-task/{EXTERNAL_TASK}/failure",
        (403, 403, 403, 204, 401),
        json={"workerId": "w", "retries": 1},
        prepare=_an_external_task_is_locked,
        call=lambda e, a: e.external.failure(EXTERNAL_TASK, a, "w", None, retries=1),
    ),
    Route(
        "POST",
        f"/engine-rest/external-task/{EXTERNAL_TASK}/bpmnError",
        (403, 403, 403, 204, 401),
        json={"workerId": "w", "errorCode": "X"},
        prepare=_an_external_task_is_locked,
        call=lambda e, a: e.external.bpmn_error(EXTERNAL_TASK, a, "w", "X"),
    ),
    Route(
        "POST",
        f"/engine-rest/external-task/{EXTERNAL_TASK}/extendLock",
        (403, 403, 403, 204, 401),
        json={"workerId": "w", "newDuration": 5000},
        prepare=_an_external_task_is_locked,
        call=lambda e, a: e.external.extend_lock(EXTERNAL_TASK, a, "w", 5000),
    ),
    Route(
        "POST",
        f"/engine-rest/external-task/{EXTERNAL_TASK}/unlock",
        (403, 403, 403, 204, 401),
        prepare=_an_external_task_is_locked,
        call=lambda e, a: e.external.unlock(EXTERNAL_TASK, a),
    ),
    Route(
        "PUT",
        f"/engine-rest/external-task/{EXTERNAL_TASK}/retries",
        (403, 403, 403, 204, 401),
        json={"retries": 2},
        prepare=_an_external_task_is_locked,
        call=lambda e, a: e.external.set_retries(EXTERNAL_TASK, a, 2),
    ),
    # decisions
    Route(
        "POST",
        "/decisions/routing/evaluate",
        (200, 200, 200, 200, 401),
        json={"decision": "approval_level", "input": {"amount": 750000}},
        call=lambda e, a: e.decisions.evaluate_deployed("routing", "approval_level", {"amount": 750000}),
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
        "/users/{name}/preferences": "/users/fay/preferences",
        "/models/{key}": "/models/countersign",
        "/models/{key}/versions": "/models/countersign/versions",
        "/models/{key}/versions/{version}/files/{name}": "/models/countersign/versions/1/files/forms/approval.json",
        "/decisions/{key}/evaluate": "/decisions/routing/evaluate",
        "/models/{key}/versions/{version}/waits": "/models/countersign/versions/1/waits",
        "/incidents/{kind}/{incident_id}/retry": "/incidents/timer/1/retry",
    }

    def concrete(path: str) -> str:
        path = template.get(path, path)
        if path.startswith("/engine-rest/"):
            return path.replace("{task_id}", EXTERNAL_TASK)
        return path.replace("{instance_id}", "1").replace("{task_id}", "1").replace("{timer_id}", "1")

    covered = {(r.method, r.path) for r in ROUTES}
    assert {(m, concrete(p)) for m, p in documented} <= covered


# Routes with no engine call: nobody is refused there (public, or before anyone is known).
NO_ENGINE_CALL = {"/health", "/openapi.json", "/docs/", "/auth/login"}
ENGINE_ROLES = [r for r in ROLE_NAMES if r != "anonymous"]  # the engine only ever sees known users


def test_every_route_has_its_engine_call() -> None:
    missing = [f"{r.method} {r.path}" for r in ROUTES if r.call is None and r.path not in NO_ENGINE_CALL]
    assert missing == []
    assert all(r.call is None for r in ROUTES if r.path in NO_ENGINE_CALL)


def _check_engine(api: Api, route: Route, role: str) -> None:
    """403 over HTTP: the engine refuses (PermissionDenied); 409: it refuses for the state (Conflict);
    2xx: it does it."""
    assert route.call is not None
    actor = api.engine.identity.actor(ROLES[role])
    expected = route.expected[ROLE_NAMES.index(role)]
    if expected == 403:
        with pytest.raises(PermissionDenied):
            route.call(api.engine, actor)
    elif expected == 409:
        with pytest.raises(Conflict):
            route.call(api.engine, actor)
    else:
        assert 200 <= expected < 300
        route.call(api.engine, actor)


@pytest.mark.parametrize(
    "route",
    [r for r in ROUTES if r.call is not None and not _changes_state(r)],
    ids=lambda r: f"{r.method} {r.path}",
)
def test_reading_call_by_every_role(api: Api, countersign: Countersign, route: Route) -> None:
    deploy_path(api.engine, MODELS / "routing")
    if route.prepare:
        route.prepare(api, countersign)
    for role in ENGINE_ROLES:
        _check_engine(api, route, role)


@pytest.mark.parametrize("role", ENGINE_ROLES)
@pytest.mark.parametrize(
    "route",
    [r for r in ROUTES if r.call is not None and _changes_state(r)],
    ids=lambda r: f"{r.method} {r.path}",
)
def test_writing_call_by_role(api: Api, countersign: Countersign, route: Route, role: str) -> None:
    if route.prepare:
        route.prepare(api, countersign)
    _check_engine(api, route, role)
