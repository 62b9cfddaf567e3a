"""The web UI (Jinja + htmx pages): a face of the server beside ``api/``, over the same engine.

It reaches process data only through the engine's services (``server.context.engine_of``), never
SpiffWorkflow, ``engine.store``, the API's routes or the CLI (import-linter holds it to that).
``register`` puts it on the one app that ``server.app.create_app`` builds.
"""

from __future__ import annotations

from flask import Flask

from web.pages import PREFIX, bp

__all__ = ["register"]


def register(app: Flask) -> None:
    app.register_blueprint(bp, url_prefix=PREFIX)
