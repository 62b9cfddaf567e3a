"""Requests: starting one from its start form, the list of mine, and one request's page."""

from __future__ import annotations

from typing import Any

from flask import Response, g, redirect, render_template, request, url_for

from engine import access
from engine.errors import DataValidationError, NotFound
from engine.runtime import InstanceFilter, ModelPage
from engine.tasks import TaskQuery
from web import forms
from web.blueprint import actor, bp, engine
from web.pages.inbox_pages import page_number
from web.pages.names import model_names
from web.pages.summary import summarise
from web.pages.trail import trail_of

PAGE_SIZE = 20
NOTICES = {"started"}  # the notices a redirect may ask a request page to show


def _startable() -> list[ModelPage]:
    pages = []
    for key in model_names():
        page = engine().runtime.model_page(key, actor())
        if page.may_start:
            pages.append(page)
    return pages


@bp.get("/start")
def start_list() -> str:
    return render_template("web/start_list.html", active="start", models=_startable(), names=model_names())


def _start_page(model: ModelPage, values: Any = None, errors: Any = None, status: int = 200) -> Response:
    form = forms.build_form(model.start_form, values, errors, g.locale) if model.start_form else None
    body = render_template(
        "web/start.html",
        active="start",
        model=model,
        form=form,
        names=model_names(),
        here=url_for("web.start", model_key=model.model_key),
    )
    return Response(body, status=status)


def _model_page(model_key: str) -> ModelPage:
    if model_key not in model_names():
        raise NotFound(f"no process named {model_key!r}")
    return engine().runtime.model_page(model_key, actor())


@bp.get("/start/<model_key>")
def start(model_key: str) -> Response:
    model = _model_page(model_key)
    # The command's own rule, asked before anyone fills in a form for nothing.
    access.start_instance(actor(), model_key, model.starter_groups).require()
    return _start_page(model)


@bp.post("/start/<model_key>")
def submit_start(model_key: str) -> Response:
    model = _model_page(model_key)
    schema = model.start_form or {"type": "object", "properties": {}}
    submission = forms.parse_submission(schema, request.form)
    if submission.row_action:
        return _start_page(model, submission.raw)
    if submission.errors:
        return _start_page(model, submission.raw, submission.errors, status=422)
    try:
        info = engine().runtime.start(model_key, actor(), submission.data)
    except DataValidationError as exc:
        return _start_page(model, submission.raw, forms.errors_by_field(exc.problems), status=422)
    return redirect(url_for("web.request_page", instance_id=info.id, notice="started"))  # type: ignore[return-value]


@bp.get("/requests")
def my_requests() -> str:
    page = page_number(request.args.get("page"))
    me = actor()
    found = engine().runtime.list(
        me, InstanceFilter(initiator=me.name, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    )
    shown = found[:PAGE_SIZE]
    # One query for every request's open steps, not one per request.
    steps = engine().tasks.list(me, TaskQuery(instance_ids=tuple(i.id for i in shown), limit=500))
    rows = [(i, [t for t in steps if t.instance_id == i.id]) for i in shown]
    return render_template(
        "web/requests.html",
        active="requests",
        rows=rows,
        page=page,
        has_next=len(found) > PAGE_SIZE,
        names=model_names(),
    )


@bp.get("/requests/<int:instance_id>")
def request_page(instance_id: int) -> str:
    me = actor()
    instance = engine().runtime.get(instance_id, me)
    tasks = engine().tasks.list(
        me, TaskQuery(status=None, instance_id=instance_id, limit=500, sort="created")
    )
    start_form = _model_page(instance.model_key).start_form
    return render_template(
        "web/request.html",
        active="requests",
        instance=instance,
        open_tasks=[t for t in tasks if t.status == "open"],
        summary=summarise(start_form, instance.data, g.locale),
        trail=trail_of(instance_id),
        names=model_names(),
        notice_key=request.args.get("notice") if request.args.get("notice") in NOTICES else None,
        done=sorted({t.element_id for t in tasks if t.status == "completed"}),
    )
