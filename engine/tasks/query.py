"""What an inbox list asks for (TaskQuery), as SQL: its filters, its order, and its keyset cursor.

The inbox is read in one of three orders, each ending in the task id so that every row has one
place: due (nulls last: a task without a deadline is never more urgent than one with), priority
(most urgent first by default) or created. A cursor names the last row a page showed by its sort
key and id; the next page starts strictly after it, so a page deep in 100,000 tasks costs what the
first one does, and rows completed or added between pages neither repeat nor shift the rest.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, or_

from engine.actor import Actor
from engine.errors import InvalidInput
from engine.statuses import OPEN
from engine.store.bounds import SqliteBound, bound
from engine.store.schema import user_tasks

SORTS = {"due", "priority", "created"}
DUE_WINDOWS = ("overdue", "today", "week", "none")
MAX_TEXT = 300  # the longest task name: a longer text can match nothing
MAX_CURSOR = 500  # characters; a cursor the engine writes is far shorter


@dataclass(frozen=True)
class TaskQuery:
    status: str | None = OPEN
    assigned_to: str | None = None  # a user name
    claimable_by: Actor | None = None  # unassigned tasks this actor may claim
    mine: Actor | None = None  # assigned to the actor or claimable by them
    model_key: str | None = None
    instance_id: int | None = None
    instance_ids: tuple[int, ...] | None = None  # any of these instances (a page of requests)
    overdue: bool | None = None
    # Exact, or a prefix when it ends with "*" ("MKT-2026-*").
    business_key: str | None = None
    # Case-insensitive substring of the task's name or business key; % and _ are plain characters.
    text: str | None = None
    # "overdue" (due before now), "today" / "week" (due on the actor's local day, or from the start of
    # it through the 6 days after; see ``tz``), "none" (no deadline).
    due: str | None = None
    tz: str | None = None  # IANA zone of "today" and "week" (default UTC)
    due_after: datetime | None = None  # due at or after (aware datetimes)
    due_before: datetime | None = None  # due strictly before
    min_priority: int | None = None
    include_suspended: bool = False
    sort: str = "due"
    descending: bool = False
    limit: int = 50
    offset: int = 0
    after: str | None = None  # a cursor from ``cursor_after``: the page after that row


# The datetime bounds of a range on both databases (engine/store/bounds.py).
_SqliteBound = SqliteBound
_bound = bound


# --- filters -----------------------------------------------------------------------------------


def _like_escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{name} needs a time zone (a naive datetime is ambiguous)")
    return value


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidInput(
            f"unknown time zone {name!r} (expected an IANA name such as Asia/Shanghai)"
        ) from error


def due_window(window: str, now: datetime, tz: str | None) -> Any:
    """SQL condition for a named due window; "today" and "week" follow the local calendar of ``tz``."""
    due = user_tasks.c.due_at
    if window == "overdue":
        return due.is_not(None) & (due < _bound(now, low=True))
    if window == "none":
        return due.is_(None)
    zone = _zone(tz)
    start = datetime.combine(now.astimezone(zone).date(), time(), tzinfo=zone)
    days = 1 if window == "today" else 7
    # Adding days to the local date (not 24 h to an instant) keeps a DST change inside the window.
    end = datetime.combine(start.date() + timedelta(days=days), time(), tzinfo=zone)
    return (due >= _bound(start, low=True)) & (due < _bound(end, low=True))


def business_key_filter(value: str) -> Any:
    key = user_tasks.c.business_key
    if not value.endswith("*"):
        return key == value
    prefix = value[:-1]
    if not prefix:
        raise InvalidInput("business_key: a prefix needs at least one character before '*'")
    # substr compares exactly on both databases (SQLite's LIKE ignores case); the range lets an
    # index on business_key start and stop the scan (binary order: SQLite's, and the C collation).
    return (key >= prefix) & (key < prefix + "\U0010ffff") & (func.substr(key, 1, len(prefix)) == prefix)


def text_filter(value: str, sqlite: bool) -> Any:
    if len(value) > MAX_TEXT:
        raise InvalidInput(f"text is at most {MAX_TEXT} characters (a task name is never longer)")
    pattern = f"%{_like_escaped(value)}%"
    # SQLite's LIKE ignores case already (ASCII, as its lower() does); ILIKE on PostgreSQL.
    columns = (user_tasks.c.name, user_tasks.c.business_key)
    if sqlite:
        return or_(*(column.like(pattern, escape="\\") for column in columns))
    return or_(*(column.ilike(pattern, escape="\\") for column in columns))


def filters(q: TaskQuery, now: datetime, sqlite: bool, in_order: bool = True) -> list[Any]:
    """The conditions of ``q`` other than who the tasks are for (the service adds those).

    ``in_order=False``: the query must not walk a (status, …) index in page order, because another
    index or the actor's task ids find the few rows sooner: the status is then compared as
    ``status || ''`` on SQLite, which no index serves (its planner cannot be told otherwise).
    PostgreSQL's planner chooses by its statistics, which that expression would only blur."""
    where: list[Any] = []
    c = user_tasks.c
    if q.status:
        where.append((c.status if in_order or not sqlite else c.status.concat("")) == q.status)
    if q.assigned_to:
        where.append(c.assignee == q.assigned_to)
    if q.model_key:
        where.append(c.model_key == q.model_key)
    if q.instance_id is not None:
        where.append(c.instance_id == q.instance_id)
    if q.instance_ids is not None:
        where.append(c.instance_id.in_(q.instance_ids))
    if q.overdue is not None:
        late = c.due_at.is_not(None) & (c.due_at < now) & (c.status == OPEN)
        where.append(late if q.overdue else ~late)
    if q.business_key is not None:
        where.append(business_key_filter(q.business_key))
    if q.text:
        where.append(text_filter(q.text, sqlite))
    if q.due is not None:
        if q.due not in DUE_WINDOWS:
            raise InvalidInput(f"due must be one of {', '.join(DUE_WINDOWS)}")
        where.append(due_window(q.due, now, q.tz))
    elif q.tz is not None:
        _zone(q.tz)  # an unknown zone is an error even when no window uses it
    if q.due_after is not None:
        where.append(c.due_at >= _bound(_aware(q.due_after, "due_after"), low=True))
    if q.due_before is not None:
        where.append(c.due_at < _bound(_aware(q.due_before, "due_before"), low=True))
    if q.min_priority is not None:
        where.append(c.priority >= q.min_priority)
    if not q.include_suspended:
        where.append(c.suspended.is_(False))
    return where


# --- order and cursor --------------------------------------------------------------------------

_SORT_COLUMNS = {
    "due": user_tasks.c.due_at,
    "priority": user_tasks.c.priority,
    "created": user_tasks.c.created_at,
}


def check_sort(q: TaskQuery) -> None:
    if q.sort not in SORTS:
        raise InvalidInput(f"sort must be one of {', '.join(sorted(SORTS))}")


def order_by(q: TaskQuery) -> list[Any]:
    column = _SORT_COLUMNS[q.sort]
    if q.sort == "priority":
        # Most urgent first by default. Priority is never null: no NULLS LAST, which would keep
        # the planner off the (status, priority DESC, id) index.
        return [column.asc() if q.descending else column.desc(), user_tasks.c.id]
    return [(column.desc() if q.descending else column.asc()).nulls_last(), user_tasks.c.id]


def _key_of(task: Any, sort: str) -> Any:
    value = {"due": task.due_at, "priority": task.priority, "created": task.created_at}[sort]
    return value.isoformat() if isinstance(value, datetime) else value


def cursor_after(task: Any, q: TaskQuery) -> str:
    """The cursor of the page after ``task`` (a TaskInfo or row) in ``q``'s order."""
    raw = json.dumps([q.sort, q.descending, _key_of(task, q.sort), task.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@dataclass(frozen=True)
class Cursor:
    key: Any  # datetime, int or None (a task without a deadline)
    id: int


def read_cursor(q: TaskQuery) -> Cursor | None:
    if q.after is None:
        return None
    bad = InvalidInput("after: not a cursor of this list (take next_cursor from the previous page)")
    if len(q.after) > MAX_CURSOR:
        raise bad
    try:
        text = base64.urlsafe_b64decode(q.after + "=" * (-len(q.after) % 4)).decode()
        sort, descending, key, task_id = json.loads(text)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError) as error:
        raise bad from error
    if sort != q.sort or descending is not q.descending:
        raise InvalidInput("after: the cursor was made for another order (sort and order must not change)")
    if type(task_id) is not int:
        raise bad
    if sort == "priority":
        if type(key) is not int:
            raise bad
        return Cursor(key, task_id)
    if key is None and sort == "due":
        return Cursor(None, task_id)
    try:
        moment = datetime.fromisoformat(key)
    except (TypeError, ValueError) as error:
        raise bad from error
    if moment.tzinfo is None:
        raise bad
    return Cursor(moment, task_id)


def after_cursor(q: TaskQuery, cursor: Cursor) -> tuple[Any, bool]:
    """Rows strictly after ``cursor`` in ``q``'s order, and whether tasks without a deadline (due
    order only: they come last) may still follow.

    ``key >= k AND (key > k OR id > i)`` rather than one OR of the two: the first half is a range
    of the (status, key, id) index, which the planners of SQLite and PostgreSQL both walk in order
    and stop at the page's end; the second only skips the cursor's own ties."""
    c = user_tasks.c
    column = _SORT_COLUMNS[q.sort]
    key = cursor.key
    if key is None:  # already in the tail of tasks without a deadline
        return column.is_(None) & (c.id > cursor.id), False
    if (q.sort == "priority") == q.descending:  # ascending
        keyed = (column >= _bound(key, low=True)) & ((column > _bound(key, low=False)) | (c.id > cursor.id))
    else:
        keyed = (column <= _bound(key, low=False)) & ((column < _bound(key, low=True)) | (c.id > cursor.id))
    return keyed, q.sort == "due"
