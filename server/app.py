"""The application factory: one Flask app around one engine, carrying the API and the web UI.

What both faces share is set up here, once: the engine and serving settings (``app.extensions``),
the error handlers (``server.errors``, the one mapping of engine errors to HTTP), the headers of
every response (``server.headers``) and the JSON conventions. Each face then registers its own
routes: ``api.register`` under ``/api/v1`` (and Camunda's ``/engine-rest``), ``web.register`` under
``/ui``. ``approvals serve`` (gunicorn), the tests and the benchmarks all build the app here.
"""

from __future__ import annotations

from flask import Flask

import api
import web
from engine import Engine
from server import headers
from server.context import ENGINE_KEY, SETTINGS_KEY
from server.errors import register_error_handlers
from server.settings import ServerSettings


def create_app(engine: Engine | None = None, settings: ServerSettings | None = None) -> Flask:
    """The server around ``engine`` (default: an ``Engine()`` configured from the environment)."""
    settings = settings or ServerSettings.from_env()
    engine = engine or Engine()
    # No app-wide static folder: each face serves its own files (web/static, the API page's).
    app = Flask(__name__, static_folder=None)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    # The ceiling for every request; JSON routes lower it (ServerSettings.max_json_bytes) and
    # bundle uploads set theirs from the engine's limit before reading.
    app.config["MAX_CONTENT_LENGTH"] = settings.max_json_bytes
    app.extensions[ENGINE_KEY] = engine
    app.extensions[SETTINGS_KEY] = settings
    register_error_handlers(app)
    headers.install(app, cacheable=(api.API_PAGE_PATH,))
    api.register(app)
    web.register(app)
    # People typing the server's address want the web UI; clients know the API's paths.
    app.add_url_rule("/", "root", web.to_start_page)
    return app
