"""The OpenAPI 3 document, written from the routes' ``@operation`` declarations and their
marshmallow schemas (apispec's marshmallow plugin turns the schemas into components)."""

from __future__ import annotations

import re
import sys
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.routing import Rule

from api.operation import Link, Operation
from api.schemas.common import ProblemSchema
from api.schemas.fields import MAX_ID

TITLE = "marketing-approvals API"
VERSION = "1.0.0"

DESCRIPTION = """\
BPMN/DMN approval workflows over HTTP: process owners deploy models, employees work their inbox,
auditors read every instance's hash-chained history.

**Authentication**: every operation except `/health`, `/openapi.json`, this page and
`/auth/login` needs `Authorization: Bearer <token>`. Tokens come from `approvals users add`,
`POST /auth/login` or `POST /users/{name}/tokens`.

**Errors** are `application/problem+json` (RFC 7807) with `type`, `title`, `status`, `detail` and a
`problems` list naming each field, file, line, element, decision or rule concerned.
"""

ERROR_MEANINGS = {
    400: "Malformed request: not JSON, unknown or invalid fields or parameters (`problems` names them)",
    401: "No API token, or an unknown or revoked one",
    403: "Authenticated, but the user's groups do not allow this (auditors change nothing)",
    404: "No such instance, task, model, version, file or user",
    409: "Conflicts with the current state: already claimed, instance not running, concurrent change",
    413: "The request body is larger than the limit",
    415: "Wrong Content-Type for this operation's body",
    422: "Well-formed but not acceptable: form data, model or decision input fails its checks",
    414: "The path and query string are longer than the HTTP server reads (gunicorn: 4,094 bytes in "
    "the request line); answered by the server itself, as an HTML page",
    429: "Too many failed logins: wait for the Retry-After header's seconds before the next attempt",
    500: "Unexpected failure; logged under the `reference` it carries",
    503: "The database does not answer, its schema is not current, or a server key is unavailable",
}

# Errors the HTTP server answers before the API runs: not problem documents.
SERVER_ANSWERS: dict[int, dict[str, Any]] = {414: {"text/html": {"schema": {"type": "string"}}}}

# <converter(args):name> or <name> in a werkzeug rule.
_RULE_PART = re.compile(r"<(?:(?P<converter>[a-z_]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def _response_name(code: int) -> str:
    return "".join(word.capitalize() for word in HTTP_STATUS_CODES[code].split())


def _path_parameters(rule: Rule) -> tuple[str, list[dict[str, Any]]]:
    parameters = []
    for match in _RULE_PART.finditer(rule.rule):
        converter = match.group("converter")
        if converter == "id":
            schema: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        else:
            schema = {"type": "string", "minLength": 1}
        parameters.append({"in": "path", "name": match.group("name"), "required": True, "schema": schema})
    return _RULE_PART.sub(lambda m: "{" + m.group("name") + "}", rule.rule), parameters


def _operation_id(endpoint: str) -> str:
    return endpoint.replace(".", "_")


def _link(link: Link) -> dict[str, Any]:
    doc: dict[str, Any] = {"operationId": _operation_id(link.target), "parameters": dict(link.parameters)}
    if link.description:
        doc["description"] = link.description
    if link.request_body is not None:
        doc["requestBody"] = link.request_body
    return doc


def _success(op: Operation, description: str) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description}
    if op.response is not None:
        response["content"] = {"application/json": {"schema": op.response}}
    elif op.response_content is not None:
        response["content"] = op.response_content
    if op.response_headers:
        response["headers"] = op.response_headers
    if op.links:
        response["links"] = {name: _link(link) for name, link in op.links.items()}
    return response


def _check_links(document: dict[str, Any]) -> None:
    """Every link names an operation of this document and only parameters that operation takes.

    A renamed route or parameter would otherwise leave a link that clients cannot follow, and
    that OpenAPI validators do not notice."""
    parameters: dict[str, set[str]] = {}
    for ops in document["paths"].values():
        for op in ops.values():
            parameters[op["operationId"]] = {p["name"] for p in op.get("parameters", [])}
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            for status, response in op["responses"].items():
                for name, link in response.get("links", {}).items():
                    where = f"link {name} of {method.upper()} {path} ({status})"
                    target = link["operationId"]
                    if target not in parameters:
                        raise ValueError(f"{where}: no operation {target}")
                    unknown = set(link["parameters"]) - parameters[target]
                    if unknown:
                        raise ValueError(f"{where}: {target} has no parameter {', '.join(sorted(unknown))}")


def _operation(rule: Rule, op: Operation, path_parameters: list[dict[str, Any]]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "operationId": _operation_id(rule.endpoint),
        "summary": op.summary,
        "tags": [rule.endpoint.split(".")[0]],
        "responses": {str(op.status): _success(op, HTTP_STATUS_CODES[op.status])},
    }
    if op.description:
        doc["description"] = op.description
    for status, when in op.also.items():
        doc["responses"][str(status)] = _success(op, when)
    for code in op.error_statuses:
        doc["responses"][str(code)] = _response_name(code)
    if op.public:
        doc["security"] = []
    parameters = list(path_parameters)
    if op.query is not None:
        parameters.append({"in": "query", "schema": op.query})
    if parameters:
        doc["parameters"] = parameters
    if op.body is not None:
        # A body whose fields are all optional may be left out entirely (it reads as `{}`).
        required = any(f.required for f in op.body.fields.values())
        doc["requestBody"] = {"required": required, "content": {"application/json": {"schema": op.body}}}
    elif op.request_content is not None:
        doc["requestBody"] = {"required": True, "content": op.request_content}
    return doc


def _operation_of(app: Flask, rule: Rule) -> Operation | None:
    return getattr(app.view_functions[rule.endpoint], "operation", None)


def build_openapi(app: Flask) -> dict[str, Any]:
    spec = APISpec(
        title=TITLE,
        version=VERSION,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": DESCRIPTION},
        security=[{"bearerAuth": []}],
    )
    spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "an API token (`apr_…`)"}
    )
    spec.components.schema("Problem", schema=ProblemSchema)
    for code, meaning in ERROR_MEANINGS.items():
        content = SERVER_ANSWERS.get(code, {"application/problem+json": {"schema": "Problem"}})
        spec.components.response(_response_name(code), {"description": meaning, "content": content})
    documented = {
        rule.endpoint.split(".")[0] for rule in app.url_map.iter_rules() if _operation_of(app, rule)
    }
    for name, blueprint in app.blueprints.items():
        if name in documented:  # in registration order, described by the routes module's docstring
            module_doc = (sys.modules[blueprint.import_name].__doc__ or name).strip()
            spec.tag({"name": name, "description": module_doc.splitlines()[0]})
    paths: dict[str, dict[str, Any]] = {}
    for rule in app.url_map.iter_rules():
        op = _operation_of(app, rule)
        if op is None:
            continue
        path, parameters = _path_parameters(rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule, op, parameters)
    for path in sorted(paths):
        spec.path(path=path, operations=paths[path])
    document = spec.to_dict()
    _check_links(document)
    return document
