"""Where an app keeps its engine and serving settings (``app.extensions``), for views and hooks."""

from __future__ import annotations

from flask import Flask

from engine import Engine
from server.settings import ServerSettings

ENGINE_KEY = "approvals.engine"
SETTINGS_KEY = "approvals.server_settings"


def engine_of(app: Flask) -> Engine:
    return app.extensions[ENGINE_KEY]


def settings_of(app: Flask) -> ServerSettings:
    return app.extensions[SETTINGS_KEY]
