"""Who a new task is for, when it is due and how urgent it is, from its BPMN attributes.

Each attribute is either literal (``sales_manager``, ``P2D``, ``2026-12-31T18:00:00+08:00``,
``70``) or an expression over the task's data (``${…}`` JUEL, ``=…`` FEEL: one rule for every
place, engine/scripting/expressions.py). Candidate groups may therefore come from a decision table
(``${approval_level}``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from engine.errors import WorkflowError
from engine.repository.bpmn_document import UserTaskDefinition
from engine.scripting.expressions import evaluate, is_expression
from engine.timeexpr import add_duration, parse_duration

DEFAULT_PRIORITY = 50


@dataclass(frozen=True)
class Assignment:
    candidate_groups: list[str]
    candidate_users: list[str]
    assignee: str | None
    due_at: datetime | None
    priority: int


def _value(raw: str, data: dict[str, Any], task: UserTaskDefinition, attribute: str) -> Any:
    if not is_expression(raw):
        return raw.strip()
    try:
        return evaluate(raw.strip(), data)
    except Exception as exc:
        raise WorkflowError(f"user task '{task.id}': {attribute} expression {raw!r} failed: {exc}")


def _names(
    raws: tuple[str, ...], data: dict[str, Any], task: UserTaskDefinition, attribute: str
) -> list[str]:
    names: list[str] = []
    for raw in raws:
        value = _value(raw, data, task, attribute)
        items = value if isinstance(value, list | tuple | set) else str(value or "").split(",")
        for item in items:
            item = str(item).strip()
            if item and item not in names:
                names.append(item)
    return names


def _due(
    raw: str | None, data: dict[str, Any], task: UserTaskDefinition, created: datetime
) -> datetime | None:
    if not raw:
        return None
    value = _value(raw, data, task, "due date")
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, timedelta):
        return created + value
    text = str(value).strip()
    try:
        if text.upper().startswith("P"):
            return add_duration(created, parse_duration(text))
        moment = datetime.fromisoformat(text)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    except ValueError:
        raise WorkflowError(
            f"user task '{task.id}': due date {text!r} is neither an ISO 8601 duration nor a date-time"
        )


def model_assignee(task: UserTaskDefinition, data: dict[str, Any]) -> str | None:
    """The user the model itself names as the task's assignee (``camunda:assignee``), if any."""
    if not task.assignee:
        return None
    value = _value(task.assignee, data, task, "assignee")
    return str(value) if value else None


def assign(task: UserTaskDefinition, data: dict[str, Any], created: datetime) -> Assignment:
    assignee = _value(task.assignee, data, task, "assignee") if task.assignee else None
    priority_raw = _value(task.priority, data, task, "priority") if task.priority else DEFAULT_PRIORITY
    try:
        priority = int(priority_raw)
    except (TypeError, ValueError):
        raise WorkflowError(f"user task '{task.id}': priority {priority_raw!r} is not a whole number")
    return Assignment(
        candidate_groups=_names(task.candidate_groups, data, task, "candidate groups"),
        candidate_users=_names(task.candidate_users, data, task, "candidate users"),
        assignee=str(assignee) if assignee else None,
        due_at=_due(task.due, data, task, created),
        priority=priority,
    )
