"""A person's own settings: the language and the time zone the pages use."""

from __future__ import annotations

from flask import Response, g, redirect, render_template, request, url_for

from engine.errors import InvalidInput
from engine.identity import time_zones
from web import i18n
from web.blueprint import LANGUAGE_COOKIE, actor, bp, engine

# Offered first: where this company's people work. Every IANA zone follows.
COMMON_ZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Singapore", "Asia/Tokyo", "Europe/London", "UTC")


def _page(error: str | None = None, status: int = 200, notice: str | None = None) -> Response:
    user = engine().identity.get_user(actor().name)
    others = sorted(time_zones() - set(COMMON_ZONES))
    body = render_template(
        "web/settings.html",
        user=user,
        common_zones=COMMON_ZONES,
        other_zones=others,
        server_zone=engine().settings.timezone,
        error=error,
        notice=notice,
    )
    return Response(body, status=status)


@bp.get("/settings")
def settings() -> Response:
    saved = request.args.get("saved") == "1"
    return _page(notice=i18n.gettext(g.locale, "Saved.") if saved else None)


@bp.post("/settings")
def save_settings() -> Response:
    try:
        engine().identity.set_preferences(
            actor().name,
            locale=request.form.get("locale", ""),
            time_zone=request.form.get("time_zone", ""),
            actor=actor(),
        )
    except InvalidInput as exc:
        return _page(error=exc.message, status=422)
    response = redirect(url_for("web.settings", saved=1))
    response.delete_cookie(LANGUAGE_COOKIE, path="/ui/")  # the account's choice rules from now on
    return response  # type: ignore[return-value]
