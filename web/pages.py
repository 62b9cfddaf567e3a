"""The web UI's pages and its static files (``/ui/static/…``, from ``web/static``)."""

from __future__ import annotations

from flask import Blueprint, render_template

from server.settings import APP_NAME

PREFIX = "/ui"
# Files are not yet named by their content, so a changed file must reach browsers within the hour;
# once bundles carry a hash or version in their names (issue 12) this can be a year and `immutable`.
STATIC_MAX_AGE = 3600


class _WebBlueprint(Blueprint):
    def get_send_file_max_age(self, filename: str | None) -> int | None:
        # Flask's default (None) sends every static file `no-cache`: revalidated on every page.
        return STATIC_MAX_AGE


bp = _WebBlueprint("web", __name__, template_folder="templates", static_folder="static")


@bp.get("/")
def index() -> str:
    return render_template("web/index.html", app_name=APP_NAME)
