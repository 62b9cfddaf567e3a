"""The operator's cockpit: incidents and failed timers or jobs, suspended instances, and the
instance commands that need a reason (cancel, suspend, resume)."""

from __future__ import annotations

from flask import render_template

from web.blueprint import bp


@bp.get("/operations")
def operations() -> str:
    return render_template("web/operations.html", active="operations")
