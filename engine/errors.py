"""Error types of the engine.

Every error carries a message written for a person and, where it helps, a list of
``Problem`` entries saying exactly where (file, line, element id, field path, rule).
The server maps the classes below to HTTP status codes in one place (``server/errors.py``);
the CLI prints the message on one line and exits non-zero.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, and where it is."""

    message: str
    file: str | None = None
    line: int | None = None
    element_id: str | None = None
    field: str | None = None
    decision_id: str | None = None
    rule: int | None = None
    column: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file + (f":{self.line}" if self.line else ""))
        elif self.line:
            parts.append(f"line {self.line}")
        if self.element_id:
            parts.append(f"element '{self.element_id}'")
        if self.decision_id:
            parts.append(f"decision '{self.decision_id}'")
        if self.rule is not None:
            parts.append(f"rule {self.rule}")
        if self.column:
            parts.append(f"column '{self.column}'")
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message


class ApprovalsError(Exception):
    """Base class of every error the engine raises on purpose."""

    title = "Request failed"

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = list(problems or [])

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        return self.message + ": " + "; ".join(str(p) for p in self.problems)


class ConfigurationError(ApprovalsError):
    """A setting (an environment variable) has a value the product cannot run with."""

    title = "Configuration error"


class KeyUnavailable(ConfigurationError):
    """A key the server needs (history chain MAC key, checkpoint signing key) is missing or unusable."""

    title = "Key unavailable"


class NotFound(ApprovalsError):
    title = "Not found"


class AuthenticationFailed(ApprovalsError):
    title = "Authentication required"


class PermissionDenied(ApprovalsError):
    title = "Forbidden"


class TooManyAttempts(ApprovalsError):
    """Logins from this address or for this user name are backed off; try again after ``retry_after``
    seconds."""

    title = "Too many login attempts"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Conflict(ApprovalsError):
    """The command does not fit the current state (already claimed, instance finished, ...)."""

    title = "Conflict"


class ConcurrentModification(Conflict):
    title = "Concurrent modification"


class InvalidInput(ApprovalsError):
    """Malformed input: wrong type, missing argument, unparseable JSON."""

    title = "Invalid input"


class DataValidationError(InvalidInput):
    """Data does not satisfy a form schema; ``problems`` name the field paths."""

    title = "Invalid form data"


class ModelValidationError(InvalidInput):
    """A BPMN/DMN/form bundle cannot be deployed; ``problems`` name file, line and element."""

    title = "Invalid process model"


class ScriptError(ApprovalsError):
    """A script or expression in a model failed or broke the sandbox rules."""

    title = "Script failed"


class DecisionError(ApprovalsError):
    """A decision could not be evaluated (no unique match, bad input type, ...)."""

    title = "Decision failed"


class WorkflowError(ApprovalsError):
    """The process model could not continue (an element failed while executing)."""

    title = "Process execution failed"


class CommandLimitExceeded(WorkflowError):
    """A command ran more automatic elements, or for longer, than one command may
    (APPROVALS_COMMAND_MAX_ELEMENTS, APPROVALS_COMMAND_TIMEOUT_MS); it rolled back."""

    title = "Process ran too long"


class DataTooLarge(ApprovalsError):
    """Process data past its bounds (APPROVALS_MAX_DATA_BYTES, APPROVALS_MAX_DATA_DEPTH) after a
    command; the command rolled back, so nothing of it was stored."""

    title = "Process data too large"


class ScriptLimitExceeded(ScriptError):
    """A script or expression went past its budget (time, steps, sizes); no ``except`` in the script
    can catch it, so its command fails and rolls back."""

    title = "Script limit exceeded"


class ScriptAccessDenied(ScriptError, AttributeError):
    """A script reached for an attribute the sandbox does not hand out; an AttributeError too, so
    that a script probing with ``try``/``except AttributeError`` keeps working."""


class ElementScriptError(ScriptError, WorkflowError):
    """A script or expression of one element failed: a ScriptError naming the element (the
    element's WorkflowError too, for callers that handle every failed element alike)."""
