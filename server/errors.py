"""Every error response of the server: RFC 7807 ``application/problem+json``, built here and only here.

``ERROR_STATUS`` is the one table mapping engine error classes to HTTP status codes, for both faces
(the API and the web UI). The API layer raises the same engine classes for its own checks (a
missing token, a malformed body), so those go through this table too. Werkzeug's errors (unknown
route, wrong method, body too large) and unexpected exceptions get the same shape; the latter never
show their traceback, only a reference to the log line that holds it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

from engine.errors import (
    ApprovalsError,
    AuthenticationFailed,
    CommandLimitExceeded,
    ConcurrentModification,
    Conflict,
    DataTooLarge,
    DataValidationError,
    DecisionError,
    InvalidInput,
    KeyUnavailable,
    ModelValidationError,
    NotFound,
    PermissionDenied,
    Problem,
    ScriptError,
    TooManyAttempts,
    WorkflowError,
)

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:approvals:problem:"
CAMUNDA_PREFIX = "/engine-rest/"  # Camunda 7's external-task API (api/routes/external.py)
ERROR_PAGES_KEY = "approvals.error_pages"

# How a face that answers people shows an error (the web UI: an HTML page), by path prefix. The status
# still comes from ERROR_STATUS; only the body differs.
ErrorPage = Callable[[int, str, str, list[Problem], Mapping[str, str]], Response]

# Named "api" since before the web UI existed: operators' log filters select it by that name.
log = logging.getLogger("api")

# Engine error class -> (HTTP status, problem type slug). Looked up along the exception's MRO, so a
# new subclass falls back to its parent's entry until it gets one of its own.
ERROR_STATUS: dict[type[ApprovalsError], tuple[int, str]] = {
    AuthenticationFailed: (401, "authentication-required"),
    PermissionDenied: (403, "forbidden"),
    TooManyAttempts: (429, "too-many-login-attempts"),
    NotFound: (404, "not-found"),
    Conflict: (409, "conflict"),
    ConcurrentModification: (409, "concurrent-modification"),
    InvalidInput: (400, "invalid-input"),
    # The request was well-formed, but its content cannot be accepted or carried out.
    DataValidationError: (422, "invalid-form-data"),
    ModelValidationError: (422, "invalid-model"),
    DecisionError: (422, "decision-failed"),
    ScriptError: (422, "script-failed"),
    WorkflowError: (422, "process-failed"),
    CommandLimitExceeded: (422, "process-ran-too-long"),
    DataTooLarge: (422, "data-too-large"),
    ApprovalsError: (400, "request-failed"),
    # The server's own secret is missing or unreadable: not the client's fault, and no traceback.
    KeyUnavailable: (503, "key-unavailable"),
}


def status_of(error: ApprovalsError) -> tuple[int, str]:
    for cls in type(error).__mro__:
        if cls in ERROR_STATUS:
            return ERROR_STATUS[cls]  # type: ignore[index]
    return ERROR_STATUS[ApprovalsError]


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    type_: str = "about:blank",
    problems: Iterable[Problem] = (),
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    for prefix, render in current_app.extensions.get(ERROR_PAGES_KEY, ()):
        if request.path.startswith(prefix):
            return render(status, title, detail, list(problems), headers or {})
    body: dict[str, Any] = {
        "type": type_,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
        "problems": [p.as_dict() for p in problems],
    }
    body.update(extra or {})
    if request.path.startswith(CAMUNDA_PREFIX):
        body["message"] = detail  # Camunda's worker clients read the error's `message`
    response = current_app.response_class(current_app.json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    response.headers.update(headers or {})
    return response


def handle_engine_error(error: ApprovalsError) -> Response:
    status, slug = status_of(error)
    headers = {"WWW-Authenticate": 'Bearer realm="approvals"'} if status == 401 else {}
    if isinstance(error, TooManyAttempts):
        headers["Retry-After"] = str(error.retry_after)
    return problem_response(
        status, error.title, error.message, type_=TYPE_PREFIX + slug, problems=error.problems, headers=headers
    )


def handle_http_error(error: HTTPException) -> Response | HTTPException:
    if error.code is None or error.code < 400:
        return error  # redirects (a missing trailing slash) are not errors
    # Keep the headers that carry meaning (Allow on 405, Retry-After), drop werkzeug's HTML type.
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    return problem_response(error.code, error.name, error.description or error.name, headers=headers)


def handle_unexpected(error: Exception) -> Response:
    reference = uuid.uuid4().hex[:12]
    log.error("unexpected error %s on %s %s", reference, request.method, request.path, exc_info=error)
    return problem_response(
        500,
        "Internal server error",
        f"The server failed to handle this request; it was logged with reference {reference}.",
        type_=TYPE_PREFIX + "internal-error",
        extra={"reference": reference},
    )


def register_error_pages(app: Flask, prefix: str, render: ErrorPage) -> None:
    """Errors under ``prefix`` get ``render``'s body instead of problem+json."""
    app.extensions.setdefault(ERROR_PAGES_KEY, []).append((prefix, render))


def register_error_handlers(app: Flask) -> None:
    if not log.handlers:  # unexpected errors' tracebacks reach the server's standard error
        log.addHandler(logging.StreamHandler())
    app.register_error_handler(ApprovalsError, handle_engine_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
