"""Reading request input strictly: JSON bodies, query strings, and loading them through schemas.

Anything that does not parse is the client's mistake and becomes an engine ``InvalidInput`` (400)
listing the offending fields, never an exception deeper down. That includes inputs Python would
accept but a database or a later JSON reader would not: ``NaN``/``Infinity``, lone surrogates.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import Request, current_app
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

from engine.datalimits import show_path, too_deep
from engine.errors import InvalidInput, Problem
from server.context import engine_of


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text} is out of range")
    return value


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def parse_json(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the request body is not UTF-8 text")
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"the request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        )
    except (ValueError, RecursionError) as exc:
        raise InvalidInput(f"the request body is not acceptable JSON: {exc}")
    # JSON escapes can spell lone surrogates, which no database or UTF-8 writer accepts. Only a
    # \uD800-\uDFFF escape can, so the body is encoded a second time only when it has one.
    if _SURROGATE_ESCAPE.search(text):
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidInput("the request body contains an invalid Unicode escape (a lone surrogate)")
    return value


def refuse_truncated_stream(request: Request) -> None:
    """413 for a body sent without Content-Length (chunked) that reached the limit.

    Werkzeug refuses a declared length over the limit, but stops reading an undeclared one at the
    limit and hands over what it read as if it were all there was.
    """
    if request.content_length is None and getattr(request.stream, "is_exhausted", False):
        raise RequestEntityTooLarge(
            f"the request body reaches the limit of {request.max_content_length:,} bytes"
        )


def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object; an empty body counts as ``{}`` (all fields left out)."""
    raw = request.get_data(cache=True)  # honours request.max_content_length: 413 beyond it
    refuse_truncated_stream(request)
    if not raw:  # left out; whitespace alone is sent, and is not JSON (found by bench/fuzz_api.py)
        return {}
    if not request.is_json:
        raise UnsupportedMediaType("send the body as JSON with Content-Type: application/json")
    value = parse_json(raw)
    if not isinstance(value, dict):
        raise InvalidInput("the request body must be a JSON object")
    # The body is one level around the data it carries (``{"data": {...}}``), hence the + 1.
    limit = engine_of(current_app).settings.max_data_depth
    path = too_deep(value, limit + 1)
    if path is not None:
        where = show_path(path)
        raise InvalidInput(
            f"the request body nests more than {limit} levels deep inside it (at {where}); "
            f"the limit is APPROVALS_MAX_DATA_DEPTH={limit}",
            [Problem(f"nested more than {limit} levels deep", field=where)],
        )
    return value


def _flatten(messages: Any, path: str = "") -> list[Problem]:
    if isinstance(messages, dict):
        problems = []
        for key, value in messages.items():
            name = path if key == "_schema" else "/".join(p for p in (path, str(key)) if p)
            problems += _flatten(value, name)
        return problems
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [Problem(m, field=path or "(root)") for m in messages]
    if isinstance(messages, list):
        return [p for m in messages for p in _flatten(m, path)]
    return [Problem(str(messages), field=path or "(root)")]


def load(schema: Schema, data: Any, what: str) -> dict[str, Any]:
    try:
        return schema.load(data)
    except ValidationError as exc:
        problems = _flatten(exc.messages)
        raise InvalidInput(f"{what}: {len(problems)} invalid field(s)", problems)
