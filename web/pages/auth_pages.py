"""Signing in and out, and the language switch."""

from __future__ import annotations

from flask import Response, current_app, g, redirect, render_template, request, url_for

from engine.errors import AuthenticationFailed, InvalidInput, TooManyAttempts
from server.context import settings_of
from web import i18n, session
from web.blueprint import LANGUAGE_COOKIE, actor, bp, engine

YEAR = 365 * 24 * 3600


def _safe_next(target: str | None) -> str:
    # Only a path of this UI: an open redirect would let a link sign people in and send them elsewhere.
    if target and target.startswith("/ui/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("web.inbox")


@bp.get("/")
def index() -> Response:
    return redirect(url_for("web.inbox"))  # type: ignore[return-value]


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Response | str:
    target = _safe_next(request.values.get("next"))
    if g.actor is not None and request.method == "GET":
        return redirect(target)  # type: ignore[return-value]
    error, status = None, 200
    name = request.form.get("name", "").strip()
    if request.method == "POST":
        response = redirect(target)
        try:
            session.sign_in(
                engine(),
                response,
                name,
                request.form.get("password", ""),
                settings_of(current_app).secure_cookies,
            )
            return response  # type: ignore[return-value]
        except AuthenticationFailed:
            error, status = i18n.gettext(g.locale, "Unknown user name or wrong password."), 401
        except TooManyAttempts as exc:
            error, status = (
                i18n.gettext(
                    g.locale,
                    "Too many failed attempts: try again in %(seconds)s seconds.",
                    seconds=exc.retry_after,
                ),
                429,
            )
    page = render_template("web/sign_in.html", name=name, next=target, error=error)
    return Response(page, status=status)


@bp.post("/sign-out")
def sign_out() -> Response:
    response = redirect(url_for("web.sign_in"))
    session.sign_out(engine(), response)
    return response  # type: ignore[return-value]


@bp.post("/language")
def language() -> Response:
    locale = request.form.get("locale", "")
    if locale not in i18n.LOCALES:
        raise InvalidInput(f"locale must be one of {', '.join(i18n.LOCALES)}, not {locale!r}")
    response = redirect(_safe_next(request.form.get("next")))
    if g.actor is not None:
        engine().identity.set_preferences(actor().name, locale=locale, actor=actor())
    response.set_cookie(LANGUAGE_COOKIE, locale, max_age=YEAR, path="/ui/", samesite="Lax", httponly=True)
    return response  # type: ignore[return-value]
