"""The web UI (Jinja + htmx pages): a face of the server beside ``api/``, over the same engine.

It reaches process data only through the engine's services (``server.context.engine_of``), never
SpiffWorkflow, ``engine.store``, the API's routes or the CLI (import-linter holds it to that).
``register`` puts it on the one app that ``server.app.create_app`` builds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from flask import Flask, Response, g, redirect, render_template, url_for

from engine import access
from engine.errors import Problem
from server.errors import register_error_pages
from web import assets, i18n, session
from web.blueprint import PREFIX, bp
from web.pages import (  # noqa: F401 (their routes)
    auth_pages,
    diagram_pages,
    inbox_pages,
    instance_actions,
    instance_pages,
    notices,
    operations_pages,
    overview_pages,
    request_pages,
    search_pages,
    settings_pages,
    task_pages,
)

__all__ = ["register", "to_start_page"]


def _error_page(
    status: int, title: str, detail: str, problems: list[Problem], headers: Mapping[str, str]
) -> Response:
    if status == 401:
        return redirect(url_for("web.sign_in"))  # type: ignore[return-value]
    body = render_template("web/error.html", status=status, title=title, detail=detail, problems=problems)
    response = Response(body, status=status, mimetype="text/html")
    response.headers.update({k: v for k, v in headers.items() if k.lower() != "www-authenticate"})
    return response


def _vendor(name: str) -> assets.VendorFile | None:
    try:
        return assets.vendor_file(name)
    except assets.AssetsMissing:
        return None  # the page says the diagram is unavailable rather than failing


def to_start_page() -> Response:
    return redirect(url_for("web.index"))  # type: ignore[return-value]


def _json_text(value: object) -> str:
    """A value of process data as text: strings as they are, the rest as JSON (Chinese unescaped)."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def register(app: Flask) -> None:
    app.register_blueprint(bp, url_prefix=PREFIX)
    i18n.install(app.jinja_env, lambda: g.get("locale", "en"), lambda: g.get("time_zone"))
    app.jinja_env.globals.update(
        csrf_token=session.csrf_token,
        csrf_field=session.CSRF_FIELD,
        csrf_header=session.CSRF_HEADER,
        vendor=_vendor,
        # The header's links to the auditors' and operators' pages; the pages ask the engine again.
        reads_everything=access.reads_everything,
    )
    app.jinja_env.filters["json_text"] = _json_text
    register_error_pages(app, PREFIX + "/", _error_page)
