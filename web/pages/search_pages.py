"""Instance search: every instance the reader may see, filtered, sorted, paged and exported."""

from __future__ import annotations

from flask import render_template

from web.blueprint import bp


@bp.get("/instances")
def instance_search() -> str:
    return render_template("web/instances.html", active="instances")
