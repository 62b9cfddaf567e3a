"""The application factory: one Flask app around one engine."""

from __future__ import annotations

import logging

from flask import Flask, Response, request

from api.context import ENGINE_KEY, SETTINGS_KEY
from api.converters import IdConverter, ModelKeyConverter
from api.errors import register_error_handlers
from api.openapi import build_openapi
from api.routes import BLUEPRINTS, external
from api.routes.system import API_PAGE_PATH, OPENAPI_KEY, api_page, to_api_page
from api.settings import ServerSettings
from engine import Engine

PREFIX = "/api/v1"


def _secure_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if not request.path.startswith(API_PAGE_PATH):  # answers hold tokens and process data
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def create_app(engine: Engine | None = None, settings: ServerSettings | None = None) -> Flask:
    """The API around ``engine`` (default: an ``Engine()`` configured from the environment)."""
    settings = settings or ServerSettings.from_env()
    engine = engine or Engine()
    app = Flask(__name__, static_folder=None)
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["model_key"] = ModelKeyConverter
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    # The ceiling for every request; JSON routes lower it (ServerSettings.max_json_bytes) and
    # bundle uploads set theirs from the engine's limit before reading.
    app.config["MAX_CONTENT_LENGTH"] = settings.max_json_bytes
    app.extensions[ENGINE_KEY] = engine
    app.extensions[SETTINGS_KEY] = settings
    if not logging.getLogger("api").handlers:
        logging.getLogger("api").addHandler(logging.StreamHandler())
    register_error_handlers(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint, url_prefix=PREFIX)
    # Camunda 7's external-task API, at Camunda's own path so that its worker clients work unchanged.
    app.register_blueprint(external.bp, url_prefix=external.PREFIX)
    app.register_blueprint(api_page())
    app.add_url_rule("/", "root", to_api_page)
    app.after_request(_secure_headers)
    app.extensions[OPENAPI_KEY] = build_openapi(app)
    return app
