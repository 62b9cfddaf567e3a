"""The HTTP API (Flask): parses, authorises, calls one engine function, serialises.

``register`` puts it on the one app that ``server.app.create_app`` builds; what both faces share
(engine, settings, error mapping, headers) is the factory's, in ``server/``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from api.converters import IdConverter, ModelKeyConverter
from api.openapi import build_openapi
from api.routes import BLUEPRINTS, external
from api.routes.system import API_PAGE_PATH, OPENAPI_KEY, api_page, to_api_page

PREFIX = "/api/v1"

__all__ = ["API_PAGE_PATH", "register", "to_api_page"]

# Documents already written in this process, by the routes they describe. The document depends on the
# code alone (never on the engine or the settings), and writing it is half of building an app: the
# tests build hundreds of apps (docs/engineering.md, "Test suite time").
_DOCUMENTS: dict[tuple[tuple[str, str, tuple[str, ...]], ...], dict[str, Any]] = {}


def register(app: Flask) -> None:
    """Mount the API's routes on ``app``, then write its OpenAPI document from them."""
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["model_key"] = ModelKeyConverter
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint, url_prefix=PREFIX)
    # Camunda 7's external-task API, at Camunda's own path so that its worker clients work unchanged.
    app.register_blueprint(external.bp, url_prefix=external.PREFIX)
    app.register_blueprint(api_page())
    # Last: written from the routes registered so far; only routes with an @operation appear in it.
    routes = tuple(
        sorted(
            (rule.rule, rule.endpoint, tuple(sorted(rule.methods or ()))) for rule in app.url_map.iter_rules()
        )
    )
    if routes not in _DOCUMENTS:
        _DOCUMENTS[routes] = build_openapi(app)
    app.extensions[OPENAPI_KEY] = _DOCUMENTS[routes]
