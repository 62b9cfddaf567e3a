"""The web UI's blueprint: its static files, and what runs around every page.

Before each request: who is signed in (``web.session``), which language and time zone the page is in,
and the CSRF check of unsafe requests. A page that needs a signed-in user sends the browser to the
sign-in page and back; what the user may do is still decided by the engine's services, which every
page calls with the signed-in actor (a refusal is a 403 page, ``web.errors``).
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, g, redirect, request, url_for

from engine import Engine
from engine.actor import Actor
from server.context import engine_of, settings_of
from web import i18n, session

PREFIX = "/ui"
LANGUAGE_COOKIE = "approvals_lang"
# Our own files are not named by content, so a changed file must reach browsers within the hour.
# Vendor files carry their version in the path and are cached for a year (web/assets.py).
STATIC_MAX_AGE = 3600
VENDOR_MAX_AGE = 365 * 24 * 3600
PUBLIC_ENDPOINTS = {"web.static", "web.sign_in", "web.language"}


class _WebBlueprint(Blueprint):
    def get_send_file_max_age(self, filename: str | None) -> int | None:
        # Flask's default (None) sends every static file `no-cache`: revalidated on every page.
        if filename and filename.startswith("vendor/") and filename != "vendor/manifest.json":
            return VENDOR_MAX_AGE
        return STATIC_MAX_AGE


bp = _WebBlueprint("web", __name__, template_folder="templates", static_folder="static")


def engine() -> Engine:
    return engine_of(current_app)


def actor() -> Actor:
    """The signed-in user (every page but the public ones has one)."""
    return g.actor


@bp.before_request
def _around_every_page() -> Response | None:
    if request.endpoint == "web.static":
        return None  # files are the same for everyone: no session, no database
    session.current_actor(engine())
    preferred_locale, preferred_zone = None, None
    if g.actor is not None:
        user = engine().identity.get_user(g.actor.name)
        preferred_locale, preferred_zone = user.locale, user.time_zone
    g.locale = i18n.choose_locale(
        preferred_locale, request.cookies.get(LANGUAGE_COOKIE), request.headers.get("Accept-Language")
    )
    g.time_zone = preferred_zone or engine().settings.timezone
    session.check_csrf()
    if g.actor is None and request.endpoint not in PUBLIC_ENDPOINTS:
        if request.method != "GET":
            return redirect(url_for("web.sign_in"))
        return redirect(url_for("web.sign_in") + "?" + urlencode({"next": request.full_path.rstrip("?")}))
    return None


@bp.after_request
def _keep_cookies(response: Response) -> Response:
    return session.keep_form_cookie(response, settings_of(current_app).secure_cookies)
