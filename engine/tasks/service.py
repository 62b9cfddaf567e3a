"""The inbox: listing tasks, claiming, assigning and completing them.

Rules every model gets from the engine, whatever its diagram says (who may do what is decided in
engine/access.py; the methods here ask it):
- only a candidate (member of a candidate group, or a candidate user) may hold a task; a task
  naming no candidates at all may be claimed by anyone. There is no admin override: the
  authority limits of the processes live in the candidate groups;
- only the assignee completes a task (an unclaimed task is claimed by its completer, if a
  candidate, in the same transaction);
- the requester (the instance's initiator) never claims, is assigned or completes an approval
  task of their own request;
- authority is checked again at completion: the assignee must still be a candidate (or be the
  assignee the model itself names), and segregation of duties holds whoever assigned the task;
- a completion writes only the fields the task declares, and replaces a value already in the
  process data only where the declaration allows it (tasks/scope.py);
- two people claiming at once: the instance lock serialises them, exactly one wins.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, bindparam, case, func, select, update

from engine import access
from engine.actor import Actor
from engine.clock import Clock
from engine.errors import Conflict, DataValidationError, InvalidInput, NotFound, WorkflowError
from engine.identity.service import IdentityService
from engine.repository.bpmn_document import UserTaskDefinition
from engine.repository.service import RepositoryService
from engine.runtime.unit_of_work import LoadedInstance, UnitOfWork
from engine.spiff.steps import complete_ready_task, ready_task_data
from engine.statuses import COMPLETED, OPEN
from engine.store.database import Database
from engine.store.fastpath import fast_writer
from engine.store.schema import process_instances, user_tasks
from engine.tasks.assignment import model_assignee
from engine.tasks.query import (
    TaskQuery,
    after_cursor,
    check_sort,
    cursor_after,
    filters,
    order_by,
    read_cursor,
)
from engine.tasks.scope import check_writes, form_field_problems, task_scope
from engine.tasks.views import CompletionResult, TaskDetail, TaskInfo, TaskRights, read_task, task_infos

T = TypeVar("T")

_SET_ASSIGNEE = (
    update(user_tasks)
    .where(user_tasks.c.id == bindparam("task_id"))
    .values(assignee=bindparam("v_assignee"), claimed_at=bindparam("v_claimed_at"))
)
_COMPLETE = (
    update(user_tasks)
    .where(user_tasks.c.id == bindparam("task_id"))
    .values(
        status=COMPLETED,
        assignee=bindparam("v_assignee"),
        claimed_at=bindparam("v_claimed_at"),
        completed_at=bindparam("v_at"),
        completed_by=bindparam("v_assignee"),
    )
)


def _named_by_model(definition: UserTaskDefinition | None, data: dict[str, Any], holder: Actor) -> bool:
    if definition is None or not definition.assignee:
        return False
    try:
        return model_assignee(definition, data) == holder.name
    except WorkflowError:
        return False  # an assignee expression that no longer evaluates names nobody


@dataclass(frozen=True)
class TaskPage:
    items: list[TaskInfo]
    next_cursor: str | None  # pass as TaskQuery.after for the next page; None on the last


@dataclass(frozen=True)
class InboxCounts:
    total: int  # held by the actor or claimable by them
    assigned_to_me: int
    claimable: int
    overdue: int  # of the total


def _within_own_inbox(actor: Actor, q: TaskQuery) -> bool:
    """The query already keeps to tasks the actor holds or may claim, so the visibility filter
    would only repeat it (and its OR defeats the index the inbox page is read from)."""
    return (
        q.assigned_to == actor.name
        or (q.claimable_by is not None and q.claimable_by.name == actor.name)
        or (q.mine is not None and q.mine.name == actor.name)
    )


class TaskService:
    def __init__(
        self,
        db: Database,
        repository: RepositoryService,
        uow: UnitOfWork,
        identity: IdentityService,
        clock: Clock,
    ) -> None:
        self.db = db
        self.repository = repository
        self.uow = uow
        self.identity = identity
        self.clock = clock

    # --- reading --------------------------------------------------------------------------

    def list(self, actor: Actor, q: TaskQuery | None = None) -> list[TaskInfo]:
        """The tasks ``q`` asks for that ``actor`` may see, one page of them (``limit``, and either
        ``offset`` or the cursor ``after``)."""
        q = q or TaskQuery()
        check_sort(q)
        now = self.clock.now()
        # Read in order off the (status, key, id) index, a page stops after ``limit`` matches: best
        # unless few rows match, as with a free-text filter, where it would read every open task.
        # Then start from the tasks the actor may hold and sort those (bench/bench_inbox.py).
        where = self._where(
            actor, q, now, from_candidates=bool(q.text), in_order=not (q.text or q.business_key)
        )
        limit = max(1, min(q.limit, 500))
        cursor = read_cursor(q)
        if cursor is not None and q.offset:
            raise InvalidInput("offset and after do not combine: a cursor already says where the page starts")
        base = select(user_tasks).where(*where)
        with self.db.read() as conn:
            if cursor is None:
                query = base.order_by(*order_by(q)).limit(limit).offset(max(0, q.offset))
                return task_infos(conn, conn.execute(query).all(), now)
            keyed, then_undated = after_cursor(q, cursor)
            rows = conn.execute(base.where(keyed).order_by(*order_by(q)).limit(limit)).all()
            if then_undated and len(rows) < limit:
                tail = base.where(user_tasks.c.due_at.is_(None)).order_by(user_tasks.c.id)
                rows += conn.execute(tail.limit(limit - len(rows))).all()
            return task_infos(conn, rows, now)

    def page(self, actor: Actor, q: TaskQuery | None = None) -> TaskPage:
        """``list``, with the cursor of the next page (None on the last)."""
        q = q or TaskQuery()
        limit = max(1, min(q.limit, 500))
        rows = self.list(actor, replace(q, limit=limit + 1))
        items = rows[:limit]
        return TaskPage(items, cursor_after(items[-1], q) if len(rows) > limit else None)

    def count(self, actor: Actor, q: TaskQuery | None = None) -> int:
        """How many tasks ``list`` would hand out without paging (``after`` and ``offset`` ignored)."""
        q = q or TaskQuery()
        check_sort(q)
        if q.mine is not None and q.claimable_by is None:
            held, _, free, _ = self._held_and_claimable(actor, q, q.mine)
            return held + free
        where = self._where(actor, q, self.clock.now(), from_candidates=True, in_order=False)
        with self.db.read() as conn:
            return conn.scalar(select(func.count()).select_from(user_tasks).where(*where)) or 0

    def inbox_counts(self, actor: Actor, q: TaskQuery | None = None) -> InboxCounts:
        """The counts an inbox page shows, over the actor's open tasks (held or claimable) that match
        ``q``'s filters; ``q``'s status, assigned_to, claimable_by and mine are replaced by those."""
        held, held_late, free, free_late = self._held_and_claimable(
            actor, replace(q or TaskQuery(), status=OPEN), actor
        )
        return InboxCounts(
            total=held + free, assigned_to_me=held, claimable=free, overdue=held_late + free_late
        )

    def _held_and_claimable(self, actor: Actor, q: TaskQuery, holder: Actor) -> tuple[int, int, int, int]:
        """(held, of them overdue, claimable, of them overdue) for ``holder``'s inbox, as two counts
        (one query for both was slower on SQLite: bench/bench_inbox.py): what the holder holds, by
        the (status, assignee) index; what they may claim, from the candidate rows naming them."""
        q = replace(q, assigned_to=None, claimable_by=None, mine=None, after=None)
        now = self.clock.now()
        due, assignee = user_tasks.c.due_at, user_tasks.c.assignee
        counted = select(
            func.count(), func.coalesce(func.sum(case((due.is_not(None) & (due < now), 1), else_=0)), 0)
        ).select_from(user_tasks)
        visible = access.tasks_visible_to(actor) if holder.name != actor.name else None
        seen = [] if visible is None else [visible]
        held = counted.where(*filters(q, now, self.db.is_sqlite), *seen, assignee == holder.name)
        claimable = counted.where(
            *filters(q, now, self.db.is_sqlite, in_order=False),
            *seen,
            user_tasks.c.id.in_(access.candidate_task_ids(holder)),
            assignee.is_(None),
        )
        with self.db.read() as conn:
            (held_count, held_late), (free, free_late) = (
                conn.execute(held).one(),
                conn.execute(claimable).one(),
            )
        return held_count, held_late, free, free_late

    def _where(
        self, actor: Actor, q: TaskQuery, now: datetime, from_candidates: bool, in_order: bool
    ) -> list[Any]:
        """``q``'s conditions, and never beyond what ``actor`` may see. ``from_candidates``: a query
        that reads every task an actor may hold starts from their ids (the candidate rows naming
        them or their groups, and the tasks they hold), read once off indexes, instead of probing
        the candidates of each open task in turn."""
        whom = q.mine or q.claimable_by
        in_order = in_order and not (from_candidates and whom is not None)
        where = filters(q, now, self.db.is_sqlite, in_order=in_order)
        if not _within_own_inbox(actor, q):
            visible = access.tasks_visible_to(actor)
            if visible is not None:
                where.append(visible)
        assignee = user_tasks.c.assignee
        for holder, also_held in ((q.claimable_by, False), (q.mine, True)):
            if holder is None:
                continue
            if not from_candidates:
                where.append(access.workable_by(holder) if also_held else access.claimable_by(holder))
                continue
            ids = access.candidate_task_ids(holder)
            if also_held:
                held = select(user_tasks.c.id).where(assignee == holder.name)
                ids = ids.union(held.where(user_tasks.c.status == q.status) if q.status else held)
                where.append(user_tasks.c.id.in_(ids) & ((assignee == holder.name) | assignee.is_(None)))
            else:
                where.append(user_tasks.c.id.in_(ids) & assignee.is_(None))
        return where

    def get(self, task_id: int, actor: Actor) -> TaskDetail:
        with self.db.read() as conn:
            row, info = read_task(conn, task_id, self.clock.now())
            instance = conn.execute(
                select(
                    process_instances.c.initiator, process_instances.c.data, process_instances.c.version_id
                ).where(process_instances.c.id == row.instance_id)
            ).one()
        access.see_task(actor, info, instance.initiator).require()
        model = self.repository.compiled(instance.version_id)
        form = model.forms.get(row.form_key) if row.form_key else None
        data = json.loads(instance.data)
        definition = model.document.user_tasks.get(info.element_id)
        workable = info.status == OPEN and not info.suspended
        rights = TaskRights(
            claim=workable
            and info.assignee is None
            and access.claim_task(actor, info, instance.initiator).allowed,
            unclaim=workable and info.assignee is not None and access.unclaim_task(actor, info).allowed,
            complete=workable
            and access.complete_task(
                actor, info, instance.initiator, lambda: _named_by_model(definition, data, actor)
            ).allowed,
        )
        return TaskDetail(info, form.schema if form else None, data, instance.initiator, rights)

    # --- commands -------------------------------------------------------------------------

    def claim(self, task_id: int, actor: Actor) -> TaskInfo:
        access.change_anything(actor).require()

        def action(loaded: LoadedInstance, row: Any, task: TaskInfo) -> TaskInfo:
            if task.assignee == actor.name:
                return task
            if task.assignee is not None:
                raise Conflict(f"task {task_id} is already claimed by {task.assignee}")
            access.claim_task(actor, task, loaded.row.initiator).require()
            return self._set_assignee(loaded, task, actor.name, "task_claimed")

        return self._run(task_id, actor, action)[0]

    def unclaim(self, task_id: int, actor: Actor) -> TaskInfo:
        access.change_anything(actor).require()

        def action(loaded: LoadedInstance, row: Any, task: TaskInfo) -> TaskInfo:
            if task.assignee is None:
                raise Conflict(f"task {task_id} is not claimed")
            access.unclaim_task(actor, task).require()
            return self._set_assignee(loaded, task, None, "task_unclaimed")

        return self._run(task_id, actor, action)[0]

    def assign(self, task_id: int, actor: Actor, user_name: str) -> TaskInfo:
        access.change_anything(actor).require()
        target = self.identity.actor(user_name)

        def action(loaded: LoadedInstance, row: Any, task: TaskInfo) -> TaskInfo:
            access.assign_task(actor, task, target, loaded.row.initiator).require()
            return self._set_assignee(loaded, task, target.name, "task_assigned")

        return self._run(task_id, actor, action)[0]

    def complete(self, task_id: int, actor: Actor, data: dict[str, Any] | None = None) -> CompletionResult:
        """Complete a task with form data and run the process on to its next wait state."""
        access.change_anything(actor).require()
        data = dict(data or {})
        if any(not isinstance(k, str) for k in data):
            raise InvalidInput("task data must be a JSON object with string keys")

        def action(loaded: LoadedInstance, row: Any, task: TaskInfo) -> TaskInfo:
            ready_data = ready_task_data(loaded.workflow, row.spiff_task_id)
            current = ready_data if ready_data is not None else {}
            definition = loaded.model.document.user_tasks.get(task.element_id)
            claimed_at = task.claimed_at
            access.complete_task(
                actor, task, loaded.row.initiator, lambda: _named_by_model(definition, current, actor)
            ).require()
            if task.assignee is None:
                loaded.history.add(
                    "task_claimed",
                    actor.name,
                    loaded.now,
                    element_id=task.element_id,
                    task_id=task.id,
                    assignee=actor.name,
                    previous=None,
                )
                claimed_at = loaded.now
            if ready_data is None:
                raise Conflict(f"task {task_id} can no longer be completed (its process moved on)")
            what = f"task {task_id} ({task.name or task.element_id})"
            form = loaded.model.forms.get(task.form_key) if task.form_key else None
            check_writes(task_scope(form, definition, task.form_key), data, current, what)
            if form is not None:
                form.validate(data, what)
            elif definition is not None and definition.form_fields:
                problems = form_field_problems(definition.form_fields, data)
                if problems:
                    raise DataValidationError(f"{what}: {len(problems)} invalid field(s)", problems)
            fast_writer(loaded.conn).execute(
                loaded.conn,
                _COMPLETE,
                {
                    "task_id": task_id,
                    "v_assignee": actor.name,
                    "v_claimed_at": claimed_at,
                    "v_at": loaded.now,
                },
            )
            loaded.history.add(
                "task_completed",
                actor.name,
                loaded.now,
                element_id=task.element_id,
                task_id=task_id,
                data=data,
            )
            loaded.record_steps(complete_ready_task(loaded.workflow, row.spiff_task_id, data))
            return replace(
                task,
                status=COMPLETED,
                assignee=actor.name,
                claimed_at=claimed_at,
                completed_at=loaded.now,
                completed_by=actor.name,
                overdue=False,
            )

        done, loaded = self._run(task_id, actor, action, needs_workflow=True)
        return CompletionResult(done, loaded.status, loaded.created_tasks)

    # --- helpers --------------------------------------------------------------------------

    def _run(
        self,
        task_id: int,
        actor: Actor,
        action: Callable[[LoadedInstance, Any, TaskInfo], T],
        needs_workflow: bool = False,
    ) -> tuple[T, LoadedInstance]:
        """A command on an open task: ``action`` gets the instance and the task's row and info, read
        under the instance's lock (every writer of a task row holds it)."""

        def instance_of_task(conn: Connection) -> int:
            instance_id = conn.scalar(select(user_tasks.c.instance_id).where(user_tasks.c.id == task_id))
            if instance_id is None:
                raise NotFound(f"no task {task_id}")
            return instance_id

        def on_task(loaded: LoadedInstance) -> T:
            row, task = read_task(loaded.conn, task_id, loaded.now)
            if task.status != OPEN:
                raise Conflict(f"task {task.id} is {task.status}")
            return action(loaded, row, task)

        return self.uow.run(
            instance_of_task, actor, on_task, needs_workflow=needs_workflow, trail={"task_id": task_id}
        )

    def _set_assignee(self, loaded: LoadedInstance, task: TaskInfo, user: str | None, event: str) -> TaskInfo:
        claimed_at = loaded.now if user else None
        fast_writer(loaded.conn).execute(
            loaded.conn, _SET_ASSIGNEE, {"task_id": task.id, "v_assignee": user, "v_claimed_at": claimed_at}
        )
        loaded.history.add(
            event,
            loaded.actor.name,
            loaded.now,
            element_id=task.element_id,
            task_id=task.id,
            assignee=user,
            previous=task.assignee,
        )
        return replace(task, assignee=user, claimed_at=claimed_at)
