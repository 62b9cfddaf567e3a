"""The published OpenAPI document is the contract: it is valid, every route is in it, and a fuzzer
(schemathesis) calling each operation against a running server finds no 5xx and no response that
differs from what the document promises (status codes, content types, bodies, auth). Its links
chain the operations, and on PostgreSQL a short stateful run walks them (start → tasks → claim →
complete → next task); bench/fuzz_api.py is the nightly-sized run of the same."""

from __future__ import annotations

import tempfile
from pathlib import Path
from random import Random

import pytest
import schemathesis
from flask import Blueprint, Flask
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir
from openapi_spec_validator import validate as validate_openapi
from schemathesis.config import SchemathesisConfig

from api.converters import IdConverter
from api.openapi import build_openapi
from api.operation import Link, operation
from bench.fuzz_api import CHECK_CONFIG, OPERATION_CONFIG, Tally, query_is_sendable, run_pass, seed
from engine import Engine
from engine.config import Settings
from server.app import create_app
from server.settings import ServerSettings
from tests.api.conftest import Api, Countersign
from tests.factories import MODELS, deploy_path

# Hypothesis keeps caches in ./.hypothesis by default: not in the work tree.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "approvals-hypothesis")

# The document depends only on the code, so it can be built here, before any server runs; the test
# below checks that the server publishes exactly this one.
DOCUMENT = build_openapi(create_app(Engine(Settings.from_env(database_url="sqlite://")), ServerSettings()))

# What the document cannot say, and so what a schema-valid request may still be refused for:
# - 422: the content fails a rule the deployed model holds (a form's JSON Schema, a decision
#   table's input types), which no static document knows;
# - uploads: part names must be bundle file names and parts files, which OpenAPI 3.0 cannot state
#   for open-ended multipart fields (the fuzzer sends them as text fields with invented names);
# - evaluating a model with several top decisions needs `decision` (400 names the choices);
# - a login refused for too many failures from this address is 429.
# bench/fuzz_api.py holds these rules, so that its nightly run and this test judge alike.
CONFIG = SchemathesisConfig.from_dict({"checks": CHECK_CONFIG, "operations": OPERATION_CONFIG})
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)


@schema.hook
def filter_query(ctx: object, query: dict | None) -> bool:
    return query_is_sendable(query)


# Bounded: the whole suite must stay fast on two cores.
EXAMPLES_PER_OPERATION = 20


def test_the_document_is_valid_openapi_and_is_what_the_server_publishes(api: Api) -> None:
    validate_openapi(DOCUMENT)
    assert api.client().get("/openapi.json").json() == DOCUMENT
    assert DOCUMENT["openapi"].startswith("3.")


def test_every_route_is_documented(api: Api) -> None:
    app = create_app(api.engine, ServerSettings())
    undocumented = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if not hasattr(app.view_functions[rule.endpoint], "operation")
        and not rule.rule.startswith("/api/v1/docs")  # the API page itself
        and rule.rule != "/"  # a redirect to it
        and not rule.rule.startswith("/ui/")  # the web UI's pages and files, served by the same app
    ]
    assert undocumented == []
    public = {
        path for path, ops in DOCUMENT["paths"].items() for op in ops.values() if op.get("security") == []
    }
    assert public == {"/api/v1/health", "/api/v1/openapi.json", "/api/v1/auth/login"}


@pytest.mark.slow  # a server and a hundred requests per operation: among the long tests, run first
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_fuzzing_finds_no_server_error_and_no_broken_promise(
    case, api: Api, countersign: Countersign
) -> None:
    if not getattr(api, "routing_deployed", False):  # the fixture is shared by all examples of an operation
        deploy_path(api.engine, MODELS / "routing")
        api.routing_deployed = True  # type: ignore[attr-defined]
    case.call_and_validate(base_url=api.url, headers={"Authorization": f"Bearer {api.tokens['root']}"})


def _links(path: str, method: str, status: str) -> dict[str, tuple[str, dict]]:
    response = DOCUMENT["paths"]["/api/v1" + path][method]["responses"][status]
    return {name: (link["operationId"], link["parameters"]) for name, link in response["links"].items()}


def test_links_chain_an_instance_to_its_tasks_and_a_task_to_the_next() -> None:
    """The walk a stateful client (and the fuzzer) follows: start → its tasks → claim → complete →
    the next task; every id taken from the answer that names it."""
    started = _links("/instances", "post", "201")
    assert started["GetInstance"] == ("instances_get_instance", {"instance_id": "$response.body#/id"})
    assert started["ListItsTasks"] == ("tasks_list_tasks", {"instance": "$response.body#/id"})
    listed = _links("/tasks", "get", "200")
    assert listed["ClaimFirstTask"] == ("tasks_claim", {"task_id": "$response.body#/items/0/id"})
    claimed = _links("/tasks/{task_id}/claim", "post", "200")
    assert claimed["CompleteTask"] == ("tasks_complete", {"task_id": "$response.body#/id"})
    completed = _links("/tasks/{task_id}/complete", "post", "200")
    assert completed["ClaimNextTask"] == ("tasks_claim", {"task_id": "$response.body#/next_tasks/0/id"})
    assert completed["GetInstance"] == (
        "instances_get_instance",
        {"instance_id": "$response.body#/task/instance_id"},
    )
    deployed = _links("/models", "post", "201")
    assert deployed["GetFirstFile"][1] == {
        "key": "$response.body#/version/model_key",
        "version": "$response.body#/version/version",
        "name": "$response.body#/version/files/0/name",
    }


def _app_linking(link: Link) -> Flask:
    """An app with one operation whose answer carries ``link``."""
    app = Flask(__name__)
    app.url_map.converters["id"] = IdConverter
    things = Blueprint("things", __name__)

    @things.get("/things/<id:thing_id>")
    @operation("Read a thing", links={"Broken": link})
    def get_thing(engine: Engine, actor: object, thing_id: int) -> dict:
        return {"id": thing_id}

    app.register_blueprint(things)
    return app


def test_a_link_to_an_unknown_operation_or_parameter_is_refused_when_the_document_is_built() -> None:
    document = build_openapi(_app_linking(Link("things.get_thing", {"thing_id": "$response.body#/id"})))
    assert document["paths"]["/things/{thing_id}"]["get"]["responses"]["200"]["links"]["Broken"] == {
        "operationId": "things_get_thing",
        "parameters": {"thing_id": "$response.body#/id"},
    }
    with pytest.raises(
        ValueError, match=r"Broken of GET /things/\{thing_id\} \(200\): no operation things_steal"
    ):
        build_openapi(_app_linking(Link("things.steal", {"thing_id": "$response.body#/id"})))
    with pytest.raises(ValueError, match="things_get_thing has no parameter id"):
        build_openapi(_app_linking(Link("things.get_thing", {"id": "$response.body#/id"})))


# Small enough for the PostgreSQL pass of CI (~15 s alone, ~50 s on a busy 2-core machine);
# bench/fuzz_api.py is the nightly-sized run (20,000 requests, every phase, three identities, gunicorn).
STATEFUL_REQUESTS = 1000


@pytest.mark.postgres
@pytest.mark.slow
def test_a_stateful_fuzz_run_walking_the_links_finds_no_server_error_and_no_broken_promise(api: Api) -> None:
    seeded = seed(api.engine, instances=2, rng=Random(1))
    assert seeded["instances"] >= 10  # the links land on real instances and tasks
    tally = Tally()
    run_pass(
        api.url,
        seeded["tokens"]["fuzz_all"],
        requests=STATEFUL_REQUESTS,
        seconds=150,
        seed=1,
        tally=tally,
        label="ci",
        examples=20,
        phases=("stateful",),
    )
    assert tally.by_phase["stateful"] >= STATEFUL_REQUESTS * 0.9, tally.by_phase
    # The walks went past the first task: some completions were accepted and the process moved on.
    assert tally.outcomes[("POST /api/v1/tasks/{task_id}/complete", 200)] > 0, tally.outcomes
    assert tally.engine_errors == []
    assert tally.server_errors == []
    assert dict(tally.failures) == {}, tally.examples
