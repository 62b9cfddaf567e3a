"""``@operation``: what one route takes and returns, declared once, used twice.

At request time the decorator authenticates, parses the query and body through their schemas and
serialises the view's return value with the response schema; the view itself only calls the
engine, which decides what the caller may do (engine/access.py). At start-up ``api.openapi`` reads
the same declaration to write the OpenAPI document, so the published contract cannot drift from
what the code does.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Response, current_app, request
from marshmallow import Schema
from werkzeug.exceptions import NotFound as RouteNotFound

from api import parsing
from api.auth import authenticate
from server.context import engine_of, settings_of


@dataclass(frozen=True)
class Reply:
    """A view's result when the status or headers depend on the outcome (201 vs 200, Location)."""

    value: Any
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Link:
    """An OpenAPI link: what a client can do next with the values of this answer.

    ``target`` is the endpoint of the next operation (``"tasks.claim"``); ``parameters`` map its
    parameter names to runtime expressions on this answer (``"$response.body#/id"``). Clients and
    stateful fuzzers follow them, e.g. start an instance, list its tasks, claim one, complete it.
    """

    target: str
    parameters: dict[str, str] = field(default_factory=dict)
    description: str = ""
    # The next request's body, with runtime expressions where values come from this answer.
    request_body: Any = None


@dataclass(frozen=True)
class Operation:
    summary: str
    description: str | None = None
    query: Schema | None = None
    body: Schema | None = None
    response: Schema | None = None
    status: int = 200
    # Other success statuses with the same body (status -> when), e.g. 200 for an unchanged deploy.
    also: dict[int, str] = field(default_factory=dict)
    public: bool = False
    # A non-JSON request or response body, described for OpenAPI by hand (uploads, file downloads).
    request_content: dict[str, Any] | None = None
    response_content: dict[str, Any] | None = None
    response_headers: dict[str, Any] | None = None
    errors: tuple[int, ...] = ()
    # Link name -> Link, published on every success response of the operation.
    links: dict[str, Link] = field(default_factory=dict)

    @property
    def error_statuses(self) -> list[int]:
        """Every error status this operation can answer with (published in the OpenAPI document)."""
        # 414: the HTTP server in front (gunicorn) refuses a request line (path and query) too long
        # to read before the API sees it, whatever the operation.
        codes = set(self.errors) | {414, 500}
        if not self.public:
            codes |= {401, 403}
        if self.query is not None or self.body is not None or self.request_content is not None:
            codes.add(400)
        if self.body is not None or self.request_content is not None:
            codes |= {413, 415}
        return sorted(codes)


def operation(
    summary: str,
    *,
    description: str | None = None,
    query: type[Schema] | None = None,
    body: type[Schema] | None = None,
    response: type[Schema] | None = None,
    status: int = 200,
    also: dict[int, str] | None = None,
    public: bool = False,
    request_content: dict[str, Any] | None = None,
    response_content: dict[str, Any] | None = None,
    response_headers: dict[str, Any] | None = None,
    errors: Collection[int] = (),
    links: dict[str, Link] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Response]]:
    """Declare a route. The view is called as ``view(engine, actor, [query], [body], **path)``."""
    op = Operation(
        summary=summary,
        description=description,
        query=query() if query else None,
        body=body() if body else None,
        response=response() if response else None,
        status=status,
        also=dict(also or {}),
        public=public,
        request_content=request_content,
        response_content=response_content,
        response_headers=response_headers,
        errors=tuple(errors),
        links=dict(links or {}),
    )

    def decorate(view: Callable[..., Any]) -> Callable[..., Response]:
        @wraps(view)
        def handle(**path: Any) -> Response:
            if any(isinstance(v, str) and "\x00" in v for v in path.values()):
                raise RouteNotFound()  # no key or name can hold a NUL, so nothing is there
            engine = engine_of(current_app)
            actor = None
            if not op.public:
                actor = authenticate(engine, request)
            arguments: dict[str, Any] = dict(path)
            if op.query is not None:
                arguments["query"] = parsing.load(op.query, request.args.to_dict(), "query parameters")
            if op.body is not None:
                request.max_content_length = settings_of(current_app).max_json_bytes
                arguments["body"] = parsing.load(op.body, parsing.json_object(request), "request body")
            result = view(engine, actor, **arguments)
            return _respond(op, result)

        handle.operation = op  # type: ignore[attr-defined]
        return handle

    return decorate


def _respond(op: Operation, result: Any) -> Response:
    if isinstance(result, Response):
        return result
    reply = result if isinstance(result, Reply) else Reply(result)
    payload = op.response.dump(reply.value) if op.response is not None else reply.value
    response = current_app.json.response(payload)
    response.status_code = reply.status or op.status
    response.headers.update(reply.headers)
    return response
