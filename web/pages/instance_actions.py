"""Cancel, suspend and resume an instance from a page, each with the reason the engine requires.

The forms are ``web/templates/web/_instance_actions.html`` (shown only for what
``RuntimeService.rights`` allows); the engine decides again when the command runs, so a URL posted
by someone without the right answers 403 from the engine's ``PermissionDenied``. A missing reason
brings the form back (422) with the error at the field and the text as typed.
"""

from __future__ import annotations

from flask import Response, redirect, render_template, request, url_for

from engine.errors import DataValidationError
from engine.runtime import MAX_REASON, InstanceInfo
from web.blueprint import actor, bp, engine
from web.pages.names import model_names
from web.pages.notices import back_with_notice

ACTIONS = {"cancel": "cancelled", "suspend": "suspended", "resume": "resumed"}


def back_to(default: str) -> str:
    """Where a form asked to go back to (``next``), if it is a page of ours."""
    target = request.form.get("next", "")
    return target if target.startswith("/ui/") and not target.startswith("//") else default


def request_number(instance: InstanceInfo) -> str:
    return instance.business_key or f"#{instance.id}"


def _refused(instance_id: int, action: str, error: DataValidationError) -> Response:
    me = actor()
    instance = engine().runtime.get(instance_id, me)
    failed = {
        "action": action,
        "messages": [p.message for p in error.problems if p.field == "reason"] or [error.message],
        "reason": request.form.get("reason", "")[: MAX_REASON * 2],
    }
    body = render_template(
        "web/instance_action.html",
        active="operations",
        instance=instance,
        rights=engine().runtime.rights(instance_id, me),
        failed=failed,
        back=back_to(url_for("web.instance_page", instance_id=instance_id)),
        names=model_names(),
    )
    return Response(body, status=422)


def _act(instance_id: int, action: str) -> Response:
    runtime = engine().runtime
    command = {"cancel": runtime.cancel, "suspend": runtime.suspend, "resume": runtime.resume}[action]
    try:
        info = command(instance_id, actor(), request.form.get("reason"))
    except DataValidationError as exc:
        return _refused(instance_id, action, exc)
    target = back_to(url_for("web.instance_page", instance_id=instance_id))
    return redirect(back_with_notice(target, ACTIONS[action], request_number(info)))  # type: ignore[return-value]


@bp.post("/instances/<int:instance_id>/cancel")
def cancel_instance(instance_id: int) -> Response:
    return _act(instance_id, "cancel")


@bp.post("/instances/<int:instance_id>/suspend")
def suspend_instance(instance_id: int) -> Response:
    return _act(instance_id, "suspend")


@bp.post("/instances/<int:instance_id>/resume")
def resume_instance(instance_id: int) -> Response:
    return _act(instance_id, "resume")
