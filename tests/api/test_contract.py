"""The published OpenAPI document is the contract: it is valid, every route is in it, and a fuzzer
(schemathesis) calling each operation against a running server finds no 5xx and no response that
differs from what the document promises (status codes, content types, bodies, auth)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir
from openapi_spec_validator import validate as validate_openapi
from schemathesis.config import SchemathesisConfig

from api import create_app
from api.openapi import build_openapi
from api.settings import ServerSettings
from engine import Engine
from engine.config import Settings
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
# - evaluating a model with several top decisions needs `decision` (400 names the choices).
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "422"]}
        },
        "operations": [
            {
                "include-path-regex": "^/api/v1/models(/validate)?$",
                "include-method": "POST",
                "checks": {"positive_data_acceptance": {"enabled": False}},
            },
            {
                "include-path": "/api/v1/decisions/{key}/evaluate",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "400", "401", "403", "404", "422"]
                    }
                },
            },
        ],
    }
)
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)


@schema.hook
def filter_query(ctx: object, query: dict | None) -> bool:
    """Only query strings that can be sent as generated.

    The HTTP client leaves out a parameter whose value is null or an empty list, so such a case is not
    the request it describes: an unknown parameter meant to be refused vanishes, and the API rightly
    accepts what is left (``?due=false`` reported as "schema-violating request accepted").
    """
    return query is None or all(value is not None and value != [] for value in query.values())


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
    ]
    assert undocumented == []
    public = {
        path for path, ops in DOCUMENT["paths"].items() for op in ops.values() if op.get("security") == []
    }
    assert public == {"/api/v1/health", "/api/v1/openapi.json", "/api/v1/auth/login"}


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
