"""One instance as an auditor reads it: the path it took on its version's diagram, every event of
its trail, each decision with the rules that matched, and whether the chain is intact."""

from __future__ import annotations

from flask import render_template

from web.blueprint import actor, bp, engine


@bp.get("/instances/<int:instance_id>")
def instance_page(instance_id: int) -> str:
    instance = engine().runtime.get(instance_id, actor())
    return render_template("web/instance.html", active="instances", instance=instance)
