"""The process overview: per model and version, how many instances run, ended or wait, and where."""

from __future__ import annotations

from flask import render_template

from web.blueprint import bp


@bp.get("/processes")
def processes() -> str:
    return render_template("web/processes.html", active="processes")
