"""One task: what is asked, the request behind it, earlier decisions, the diagram, and its form.

The form is rendered from the task's JSON Schema (``web.forms``) and checked by the engine when it
is completed, exactly as over the API; an invalid submission comes back with each error at its field
and everything typed kept.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Response, g, redirect, render_template, request, url_for

from engine.errors import DataValidationError, NotFound
from engine.tasks import TaskDetail
from web import forms
from web.blueprint import actor, bp, engine
from web.pages.names import model_names
from web.pages.summary import summarise
from web.pages.trail import trail_of


def _back(default: str) -> str:
    target = request.form.get("next", "")
    return target if target.startswith("/ui/") and not target.startswith("//") else default


def _start_schema(model_key: str) -> dict[str, Any] | None:
    try:
        return engine().runtime.model_page(model_key, actor()).start_form
    except NotFound:
        return None


def _prefill(detail: TaskDetail) -> dict[str, str] | None:
    """What the form starts with: read-only fields show the data they name; a form that edits the
    request (a revision: no decision) starts from its current values. An approval starts blank —
    a second round's reviewer must not find the first round's decision already chosen."""
    schema = detail.form or {}
    specs = schema.get("properties") or {}
    approval = "decision" in specs
    names = [
        n
        for n, spec in specs.items()
        if isinstance(spec, dict) and (spec.get("readOnly") is True or (not approval and n in detail.data))
    ]
    if not names:
        return None
    defaults = {n: s["default"] for n, s in specs.items() if isinstance(s, dict) and "default" in s}
    return forms.flatten(
        schema, {**defaults, **detail.data}, [*names, *(n for n in defaults if n not in names)]
    )


def _page(detail: TaskDetail, values: Any = None, errors: Any = None, status: int = 200) -> Response:
    task = detail.task
    instance = engine().runtime.get(task.instance_id, actor())
    form = None
    if detail.form and detail.may.complete:
        shown = _prefill(detail) if values is None else values
        form = forms.build_form(detail.form, shown, errors, g.locale)
    body = render_template(
        "web/task.html",
        active="inbox",
        task=task,
        instance=instance,
        names=model_names(),
        summary=summarise(_start_schema(task.model_key), detail.data, g.locale),
        trail=trail_of(task.instance_id),
        form=form,
        may=detail.may,
        here=url_for("web.task", task_id=task.id),
    )
    return Response(body, status=status)


@bp.get("/tasks/<int:task_id>")
def task(task_id: int) -> Response:
    return _page(engine().tasks.get(task_id, actor()))


@bp.post("/tasks/<int:task_id>")
def complete(task_id: int) -> Response:
    detail = engine().tasks.get(task_id, actor())
    schema = detail.form or {"type": "object", "properties": {}}
    submission = forms.parse_submission(schema, request.form)
    if submission.row_action:
        return _page(detail, submission.raw, None)
    if submission.errors:
        return _page(detail, submission.raw, submission.errors, status=422)
    try:
        result = engine().tasks.complete(task_id, actor(), submission.data)
    except DataValidationError as exc:
        return _page(detail, submission.raw, forms.errors_by_field(exc.problems), status=422)
    done = {"notice": "completed", "task": result.task.name or result.task.element_id}
    return redirect(url_for("web.inbox") + "?" + urlencode(done))  # type: ignore[return-value]


def _row_or_back(task_id: int) -> Response:
    if request.headers.get("HX-Request"):
        info = engine().tasks.get(task_id, actor()).task
        return Response(
            render_template(
                "web/_task_row.html", task=info, names=model_names(), here=_back(url_for("web.inbox"))
            )
        )
    return redirect(_back(url_for("web.task", task_id=task_id)))  # type: ignore[return-value]


@bp.post("/tasks/<int:task_id>/claim")
def claim(task_id: int) -> Response:
    engine().tasks.claim(task_id, actor())
    return _row_or_back(task_id)


@bp.post("/tasks/<int:task_id>/unclaim")
def unclaim(task_id: int) -> Response:
    engine().tasks.unclaim(task_id, actor())
    return _row_or_back(task_id)
