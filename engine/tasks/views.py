"""What the inbox hands out: task rows with their candidates, as plain values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, select

from engine import access
from engine.actor import Actor
from engine.errors import NotFound
from engine.statuses import OPEN
from engine.store.schema import user_task_candidates, user_tasks


@dataclass(frozen=True)
class TaskInfo:
    id: int
    instance_id: int
    model_key: str
    business_key: str | None
    element_id: str
    name: str | None
    status: str
    assignee: str | None
    candidate_groups: list[str]
    candidate_users: list[str]
    created_at: datetime
    claimed_at: datetime | None
    completed_at: datetime | None
    completed_by: str | None
    due_at: datetime | None
    priority: int
    form_key: str | None
    is_approval: bool
    suspended: bool
    overdue: bool

    def has_candidate(self, actor: Actor) -> bool:
        """May ``actor`` hold this task? A task naming no candidates at all is open to anyone."""
        return access.is_candidate(actor, self.candidate_groups, self.candidate_users)


@dataclass(frozen=True)
class TaskRights:
    """What the person asking may do with the task now, as engine/access.py decides it: a page shows
    only these buttons, and the command checks again when it runs."""

    claim: bool = False
    unclaim: bool = False
    complete: bool = False


@dataclass(frozen=True)
class TaskDetail:
    task: TaskInfo
    form: dict[str, Any] | None
    data: dict[str, Any]
    initiator: str = ""
    may: TaskRights = field(default_factory=TaskRights)


@dataclass(frozen=True)
class CompletionResult:
    task: TaskInfo
    instance_status: str
    next_tasks: list[TaskInfo] = field(default_factory=list)  # the tasks this completion created


_CANDIDATES = (
    select(user_task_candidates)
    .where(user_task_candidates.c.task_id.in_(bindparam("ids", expanding=True)))
    .order_by(user_task_candidates.c.name)
)


def task_info(row: Any, groups: list[str], users: list[str], now: datetime, **overrides: Any) -> TaskInfo:
    values = {column: getattr(row, column) for column in _ROW_FIELDS}
    values.update(overrides)
    due = values["due_at"]
    return TaskInfo(
        **values,
        candidate_groups=groups,
        candidate_users=users,
        overdue=values["status"] == OPEN and due is not None and due < now,
    )


_ROW_FIELDS = (
    "id",
    "instance_id",
    "model_key",
    "business_key",
    "element_id",
    "name",
    "status",
    "assignee",
    "created_at",
    "claimed_at",
    "completed_at",
    "completed_by",
    "due_at",
    "priority",
    "form_key",
    "is_approval",
    "suspended",
)


_TASK_WITH_CANDIDATES = (
    select(
        user_tasks,
        user_task_candidates.c.kind.label("cand_kind"),
        user_task_candidates.c.name.label("cand_name"),
    )
    .select_from(
        user_tasks.outerjoin(user_task_candidates, user_task_candidates.c.task_id == user_tasks.c.id)
    )
    .where(user_tasks.c.id == bindparam("task_id"))
    .order_by(user_task_candidates.c.name)
)


def read_task(conn: Connection, task_id: int, now: datetime) -> tuple[Row, TaskInfo]:
    """A task row and its TaskInfo, in one query."""
    rows = conn.execute(_TASK_WITH_CANDIDATES, {"task_id": task_id}).all()
    if not rows:
        raise NotFound(f"no task {task_id}")
    groups = [r.cand_name for r in rows if r.cand_kind == "group"]
    users = [r.cand_name for r in rows if r.cand_kind == "user"]
    return rows[0], task_info(rows[0], groups, users, now)


def task_infos(conn: Connection, rows: list[Row], now: datetime) -> list[TaskInfo]:
    """TaskInfo for task rows, fetching their candidates in one query."""
    ids = [r.id for r in rows]
    groups: dict[int, list[str]] = {i: [] for i in ids}
    users: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for c in conn.execute(_CANDIDATES, {"ids": ids}):
            if c.kind == "group":
                groups[c.task_id].append(c.name)
            elif c.kind == "user":  # an 'anyone' row lists nobody
                users[c.task_id].append(c.name)
    return [task_info(r, groups[r.id], users[r.id], now) for r in rows]
