"""Turning SpiffWorkflow's exceptions into the engine's own, naming the failing element."""

from __future__ import annotations

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.exceptions import WorkflowException

from engine.errors import ApprovalsError, ElementScriptError, Problem, ScriptError, WorkflowError


def _root_cause(exc: BaseException) -> BaseException:
    """The engine's own error behind ``exc`` when there is one (the first met), else the last cause.

    SpiffWorkflow re-raises inside ``except`` blocks without ``from``: follow __context__ too. The
    sandbox's errors win over what they were raised while handling (a limit passed inside a
    script's ``except`` block has the script's exception as its context).
    """
    seen = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, ApprovalsError):
            return exc
        nxt = exc.__cause__ or exc.__context__
        if nxt is None:
            break
        exc = nxt
    return exc


def _spec_in_traceback(exc: BaseException) -> object | None:
    """The task spec SpiffWorkflow was working on when a plain exception escaped it (a correlation
    property's expression over a missing variable raises a bare NameError): the innermost frame
    that holds a task names the element, so the person reading the error knows where to look."""
    found = None
    traceback = exc.__traceback__
    while traceback is not None:
        local = traceback.tb_frame.f_locals
        for name in ("my_task", "task"):
            spec = getattr(local.get(name), "task_spec", None)
            if getattr(spec, "bpmn_id", None):
                found = spec
                break
        traceback = traceback.tb_next
    return found


def translate(exc: Exception) -> ApprovalsError:
    """An ApprovalsError for any exception raised while SpiffWorkflow ran model code."""
    if isinstance(exc, ApprovalsError):
        return exc
    spec = getattr(exc, "task_spec", None) or _spec_in_traceback(exc)
    element_id = getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)
    element_name = getattr(spec, "bpmn_name", None)
    line = None
    if isinstance(exc, WorkflowTaskException):
        line = exc.line_number or None
        inner = getattr(exc, "error_type", None)
        detail = str(exc)
        cause = _root_cause(exc)
        if isinstance(cause, ApprovalsError):
            # The sandbox or a decision table failed inside the element: keep its message.
            detail = cause.message
            if cause.problems:
                detail += ": " + "; ".join(str(p) for p in cause.problems)
        elif inner and inner != "unknown" and inner not in detail:
            detail = f"{inner}: {detail}"
    elif isinstance(exc, WorkflowException):
        detail = str(exc)
    else:
        detail = f"{type(exc).__name__}: {exc}"
    label = f"'{element_id}'" + (f" ({element_name})" if element_name and element_name != element_id else "")
    message = f"element {label} failed: {detail}" if element_id else f"the process failed: {detail}"
    problems = [Problem(detail, element_id=element_id, line=line)]
    if isinstance(_root_cause(exc), ScriptError):
        return ElementScriptError(message, problems)
    return WorkflowError(message, problems)
