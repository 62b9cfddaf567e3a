"""The operator's cockpit: open incidents (failed timers, external tasks without retries, call
activities that could not start, stalled instances) with their cause and a Retry button for those
who may retry, and the suspended instances with a Resume form.

Who reads it and who may retry is the engine's to say (``access.see_incidents``,
``access.retry_incidents``): an employee gets the engine's 403, an auditor reads it with no button.
"""

from __future__ import annotations

from flask import Response, redirect, render_template, request, url_for

from engine.incidents import KINDS, IncidentQuery
from engine.runtime import InstanceFilter
from engine.statuses import SUSPENDED
from web.blueprint import actor, bp, engine
from web.pages.inbox_pages import page_number
from web.pages.instance_actions import back_to
from web.pages.names import model_names
from web.pages.notices import back_with_notice

PAGE_SIZE = 25
SUSPENDED_SHOWN = 50


@bp.get("/operations")
def operations() -> str:
    me = actor()
    kind = request.args.get("kind") or None
    model = (request.args.get("model") or "").strip()[:200] or None
    page = page_number(request.args.get("page"))
    found = engine().incidents.list(
        me, IncidentQuery(kind=kind, model_key=model, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    )
    suspended = engine().runtime.list(
        me, InstanceFilter(model_key=model, status=SUSPENDED, limit=SUSPENDED_SHOWN + 1)
    )
    shown = suspended[:SUSPENDED_SHOWN]
    return render_template(
        "web/operations.html",
        active="operations",
        incidents=found[:PAGE_SIZE],
        counts=engine().incidents.counts(me, model),
        kinds=KINDS,
        kind=kind or "",
        model=model or "",
        page=page,
        has_next=len(found) > PAGE_SIZE,
        suspended=[(i, engine().runtime.rights(i.id, me)) for i in shown],
        more_suspended=len(suspended) > SUSPENDED_SHOWN,
        names=model_names(),
        here=request.full_path.rstrip("?"),
    )


@bp.post("/incidents/<kind>/<incident_id>/retry")
def retry_incident(kind: str, incident_id: str) -> Response:
    instance_id = engine().incidents.retry(kind, incident_id, actor())
    ref = request.form.get("ref", "") or (f"#{instance_id}" if instance_id else "")
    return redirect(back_with_notice(back_to(url_for("web.operations")), "retried", ref))  # type: ignore[return-value]
