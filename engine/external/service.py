"""External tasks: workers fetch and lock the work a process hands out, then report back.

Camunda 7's external-task contract (``ExternalTaskService``): fetch and lock by topic, complete with
variables, report a failure (retries, retry timeout; no retries left: an incident, until an admin
sets retries again), report a BPMN error (caught by an error boundary event on the task), extend
or release a lock. Every change is one command on the instance (engine/runtime/unit_of_work.py): the
instance lock first, then its external-task row, then the workflow, history and row written in
one transaction — so two workers fetching at once never both get a task (the second finds the
row locked once it holds the instance), and a completion races nothing.

Who may act: members of ``external_worker`` (the workers' service accounts) and admins. Auditors
read. A worker may set any variable, as in Camunda: its account is trusted like a script of the
model, within the data limits (engine/datalimits.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Row, and_, func, or_, select, update

from engine import access
from engine.actor import Actor
from engine.clock import Clock
from engine.config import Settings
from engine.datalimits import check_depth
from engine.errors import Conflict, InvalidInput, NotFound
from engine.external.sync import ACTIVE
from engine.runtime.unit_of_work import LoadedInstance, UnitOfWork
from engine.spiff.external import complete_external, external_data, throw_bpmn_error
from engine.statuses import COMPLETED, INCIDENT, OPEN, RUNNING, SUSPENDED
from engine.store.database import Database
from engine.store.schema import external_tasks, process_instances

T = TypeVar("T")

MAX_LOCK_MS = 7 * 24 * 3600 * 1000  # a week: a longer lock is a task nobody else may ever try
MAX_RETRY_TIMEOUT_MS = 30 * 24 * 3600 * 1000
MAX_WAIT_MS = 60_000  # long polling: a client waits at most this long for a task to appear
POLL_SECONDS = 0.2
MAX_TEXT = 4000  # error messages are kept to this many characters
MAX_DETAILS = 64 * 1024


@dataclass(frozen=True)
class TopicRequest:
    name: str
    lock_duration_ms: int
    variables: list[str] | None = None  # None: all
    business_key: str | None = None
    process_definition_key: str | None = None
    process_variables: dict[str, Any] = field(default_factory=dict)  # equality filter


@dataclass(frozen=True)
class ExternalTaskInfo:
    id: str
    topic: str
    status: str
    instance_id: int
    version_id: int
    model_key: str
    element_id: str
    priority: int
    business_key: str | None
    worker_id: str | None
    lock_expires_at: datetime | None
    retries: int | None
    error_message: str | None
    created_at: datetime
    closed_at: datetime | None
    suspended: bool = False
    variables: dict[str, Any] | None = None  # for a fetched task: what it may read


@dataclass(frozen=True)
class ExternalTaskQuery:
    topic_name: str | None = None
    worker_id: str | None = None
    locked: bool = False
    not_locked: bool = False
    with_retries_left: bool = False
    no_retries_left: bool = False
    instance_id: int | None = None
    activity_id: str | None = None
    external_task_id: str | None = None
    status: str | None = None  # None: the active ones (open or incident), as Camunda lists them
    limit: int = 100
    offset: int = 0


def _info(row: Row, variables: dict[str, Any] | None = None) -> ExternalTaskInfo:
    return ExternalTaskInfo(
        id=row.id,
        topic=row.topic,
        status=row.status,
        instance_id=row.instance_id,
        version_id=row.version_id,
        model_key=row.model_key,
        element_id=row.element_id,
        priority=row.priority,
        business_key=row.business_key,
        worker_id=row.worker_id,
        lock_expires_at=row.lock_expires_at,
        retries=row.retries,
        error_message=row.error_message,
        created_at=row.created_at,
        closed_at=row.closed_at,
        suspended=getattr(row, "instance_status", RUNNING) == SUSPENDED,
        variables=variables,
    )


_SELECT = select(external_tasks, process_instances.c.status.label("instance_status")).join(
    process_instances, process_instances.c.id == external_tasks.c.instance_id
)


def _text(value: str | None, limit: int) -> str | None:
    return None if value is None else value[:limit]


def _ms(value: int, what: str, maximum: int, minimum: int = 0) -> timedelta:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum or value > maximum:
        raise InvalidInput(f"{what} must be a whole number of milliseconds from {minimum} to {maximum}")
    return timedelta(milliseconds=value)


class ExternalTaskService:
    def __init__(self, db: Database, uow: UnitOfWork, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.uow = uow
        self.clock = clock
        self.settings = settings

    # --- reading --------------------------------------------------------------------------

    def _row(self, task_id: str) -> Row:
        with self.db.transaction() as conn:
            row = conn.execute(_SELECT.where(external_tasks.c.id == task_id)).first()
        if row is None:
            raise NotFound(f"external task {task_id} does not exist")
        return row

    def get(self, task_id: str, actor: Actor) -> ExternalTaskInfo:
        access.read_external_tasks(actor).require()
        return _info(self._row(task_id))

    def error_details(self, task_id: str, actor: Actor) -> str | None:
        access.read_external_tasks(actor).require()
        return self._row(task_id).error_details

    def _filtered(self, query: Any, q: ExternalTaskQuery, now: datetime) -> Any:
        c = external_tasks.c
        query = query.where(c.status.in_(ACTIVE) if q.status is None else c.status == q.status)
        if q.topic_name is not None:
            query = query.where(c.topic == q.topic_name)
        if q.worker_id is not None:
            query = query.where(c.worker_id == q.worker_id)
        if q.locked:
            query = query.where(c.lock_expires_at > now)
        if q.not_locked:
            query = query.where(or_(c.lock_expires_at.is_(None), c.lock_expires_at <= now))
        if q.with_retries_left:
            query = query.where(or_(c.retries.is_(None), c.retries > 0))
        if q.no_retries_left:
            query = query.where(c.retries == 0)
        if q.instance_id is not None:
            query = query.where(c.instance_id == q.instance_id)
        if q.activity_id is not None:
            query = query.where(c.element_id == q.activity_id)
        if q.external_task_id is not None:
            query = query.where(c.id == q.external_task_id)
        return query

    def list(self, actor: Actor, q: ExternalTaskQuery | None = None) -> list[ExternalTaskInfo]:
        access.read_external_tasks(actor).require()
        q = q or ExternalTaskQuery()
        query = self._filtered(_SELECT, q, self.clock.now()).order_by(
            external_tasks.c.created_at, external_tasks.c.id
        )
        with self.db.transaction() as conn:
            rows = conn.execute(query.limit(q.limit).offset(q.offset)).all()
        return [_info(r) for r in rows]

    def count(self, actor: Actor, q: ExternalTaskQuery | None = None) -> int:
        access.read_external_tasks(actor).require()
        query = self._filtered(
            select(func.count()).select_from(external_tasks), q or ExternalTaskQuery(), self.clock.now()
        )
        with self.db.transaction() as conn:
            return int(conn.execute(query).scalar_one())

    # --- fetch and lock -------------------------------------------------------------------

    def fetch_and_lock(
        self,
        actor: Actor,
        worker_id: str,
        max_tasks: int,
        topics: list[TopicRequest],
        *,
        use_priority: bool = False,
        wait_ms: int = 0,
    ) -> list[ExternalTaskInfo]:
        """Lock up to ``max_tasks`` tasks of the topics for ``worker_id``. With ``wait_ms`` (long
        polling) and none available, look again every ~200 ms until one is or the time is up; no
        transaction stays open while waiting."""
        access.work_external_tasks(actor).require()
        if not worker_id or not worker_id.strip():
            raise InvalidInput("workerId must not be empty")
        if not isinstance(max_tasks, int) or max_tasks < 0 or max_tasks > 1000:
            raise InvalidInput("maxTasks must be a whole number from 0 to 1000")
        for topic in topics:
            _ms(topic.lock_duration_ms, f"lockDuration of topic {topic.name!r}", MAX_LOCK_MS, minimum=1)
        if not topics or max_tasks == 0:
            return []  # nothing could ever be fetched: no point in waiting
        deadline = time.monotonic() + min(max(wait_ms, 0), MAX_WAIT_MS) / 1000
        while True:
            locked = self._fetch_once(actor, worker_id, max_tasks, topics, use_priority)
            if locked or time.monotonic() + POLL_SECONDS > deadline:
                return locked
            time.sleep(POLL_SECONDS)

    def _fetch_once(
        self, actor: Actor, worker_id: str, max_tasks: int, topics: list[TopicRequest], use_priority: bool
    ) -> list[ExternalTaskInfo]:
        if not topics or max_tasks == 0:
            return []
        now = self.clock.now()
        c = external_tasks.c
        by_topic = {t.name: t for t in topics}
        conditions = []
        for topic in topics:
            condition = c.topic == topic.name
            if topic.business_key is not None:
                condition = and_(condition, c.business_key == topic.business_key)
            if topic.process_definition_key is not None:
                condition = and_(condition, c.model_key == topic.process_definition_key)
            conditions.append(condition)
        query = (
            _SELECT.where(
                (c.status == OPEN)
                & (process_instances.c.status == RUNNING)
                & or_(*conditions)
                & or_(c.lock_expires_at.is_(None), c.lock_expires_at <= now)
                & or_(c.available_at.is_(None), c.available_at <= now)
            )
            .order_by(*((c.priority.desc(),) if use_priority else ()), c.created_at, c.id)
            .limit(max_tasks * 4 + 10)
        )
        with self.db.transaction() as conn:
            candidates = conn.execute(query).all()
        locked: list[ExternalTaskInfo] = []
        for row in candidates:
            if len(locked) >= max_tasks:
                break
            got = self._try_lock(actor, worker_id, row, by_topic[row.topic])
            if got is not None:
                locked.append(got)
        return locked

    def _try_lock(
        self, actor: Actor, worker_id: str, row: Row, topic: TopicRequest
    ) -> ExternalTaskInfo | None:
        wants_data = topic.variables != [] or bool(topic.process_variables)

        def action(loaded: LoadedInstance) -> ExternalTaskInfo | None:
            now = loaded.now
            current = self._locked_row(loaded, row.id)
            if current.status != OPEN or (
                current.lock_expires_at is not None and current.lock_expires_at > now
            ):
                return None  # another worker took it first
            if current.available_at is not None and current.available_at > now:
                return None
            data = external_data(loaded.workflow, current.spiff_task_id) if loaded.workflow else {}
            if any(
                name not in data or data[name] != value for name, value in topic.process_variables.items()
            ):
                return None
            expires = now + timedelta(milliseconds=topic.lock_duration_ms)
            c = external_tasks.c
            taken = loaded.conn.execute(
                update(external_tasks)
                .where(
                    (c.id == current.id)
                    & (c.status == OPEN)
                    & or_(c.lock_expires_at.is_(None), c.lock_expires_at <= now)
                )
                .values(worker_id=worker_id, lock_expires_at=expires)
            ).rowcount
            if taken != 1:
                return None
            loaded.history.add(
                "external_task_locked",
                loaded.actor.name,
                now,
                element_id=current.element_id,
                external_task_id=current.id,
                worker_id=worker_id,
                lock_expires_at=expires,
            )
            names = topic.variables
            variables = {k: v for k, v in data.items() if names is None or k in names}
            return replace(_info(current, variables), worker_id=worker_id, lock_expires_at=expires)

        try:
            return self.uow.run(row.instance_id, actor, action, needs_workflow=wants_data)[0]
        except (Conflict, NotFound):
            return None  # the instance stopped running, or another command changed it meanwhile

    # --- a worker's reports ---------------------------------------------------------------

    def _locked_row(self, loaded: LoadedInstance, task_id: str) -> Row:
        """The task's row, read under its instance's lock (every writer of it holds that lock)."""
        row = loaded.conn.execute(_SELECT.where(external_tasks.c.id == task_id)).first()
        if row is None:
            raise NotFound(f"external task {task_id} does not exist")
        return row

    def _on_task(
        self,
        task_id: str,
        actor: Actor,
        action: Callable[[LoadedInstance, Row], T],
        *,
        needs_workflow: bool,
        statuses: tuple[str, ...] = (RUNNING,),
    ) -> T:
        row = self._row(task_id)
        if row.status not in ACTIVE:
            raise NotFound(f"external task {task_id} does not exist any more: it was {row.status}")

        def locked(loaded: LoadedInstance) -> T:
            current = self._locked_row(loaded, task_id)
            if current.status not in ACTIVE:
                raise NotFound(f"external task {task_id} does not exist any more: it was {current.status}")
            return action(loaded, current)

        return self.uow.run(row.instance_id, actor, locked, needs_workflow=needs_workflow, statuses=statuses)[
            0
        ]

    @staticmethod
    def _check_holder(row: Row, worker_id: str, now: datetime, what: str) -> None:
        if row.status == INCIDENT:
            raise InvalidInput(
                f"external task {row.id} has no retries left (an incident): an admin sets its retries first"
            )
        if row.worker_id is None:
            raise InvalidInput(
                f"external task {row.id} cannot be {what} by worker '{worker_id}': it is not locked"
            )
        if row.worker_id != worker_id:
            raise InvalidInput(
                f"external task {row.id} cannot be {what} by worker '{worker_id}': "
                f"it is locked by worker '{row.worker_id}'"
            )

    def _checked_variables(self, variables: dict[str, Any] | None, what: str) -> dict[str, Any]:
        variables = dict(variables or {})
        if not all(isinstance(k, str) for k in variables):
            raise InvalidInput(f"{what}: variable names must be strings")
        check_depth(variables, self.settings.max_data_depth, what)
        return variables

    def complete(
        self,
        task_id: str,
        actor: Actor,
        worker_id: str,
        variables: dict[str, Any] | None = None,
        local_variables: dict[str, Any] | None = None,
    ) -> None:
        """The worker did the task: its variables go into the process data, the process goes on.

        Local variables live only as long as the task in Camunda; here the task ends with this
        call, so they are recorded (their names) in the history and not kept in the data."""
        access.work_external_tasks(actor).require()
        data = self._checked_variables(variables, "variables")
        local = self._checked_variables(local_variables, "localVariables")

        def action(loaded: LoadedInstance, row: Row) -> None:
            self._check_holder(row, worker_id, loaded.now, "completed")
            loaded.conn.execute(
                update(external_tasks)
                .where(external_tasks.c.id == row.id)
                .values(status=COMPLETED, closed_at=loaded.now, lock_expires_at=None)
            )
            loaded.history.add(
                "external_task_completed",
                loaded.actor.name,
                loaded.now,
                element_id=row.element_id,
                external_task_id=row.id,
                worker_id=worker_id,
                data=data,
                local_variables=sorted(local),
            )
            loaded.record_steps(complete_external(loaded.workflow, row.spiff_task_id, data))

        self._on_task(task_id, actor, action, needs_workflow=True)

    def failure(
        self,
        task_id: str,
        actor: Actor,
        worker_id: str,
        error_message: str | None,
        error_details: str | None = None,
        retries: int = 0,
        retry_timeout_ms: int = 0,
    ) -> None:
        """The worker could not do it (a technical failure): retry later, or with no retries left,
        an incident that waits for an admin (``set_retries``)."""
        access.work_external_tasks(actor).require()
        if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
            raise InvalidInput("retries must be a whole number, 0 or more")
        pause = _ms(retry_timeout_ms, "retryTimeout", MAX_RETRY_TIMEOUT_MS)

        def action(loaded: LoadedInstance, row: Row) -> None:
            self._check_holder(row, worker_id, loaded.now, "failed")
            incident = retries == 0
            loaded.conn.execute(
                update(external_tasks)
                .where(external_tasks.c.id == row.id)
                .values(
                    retries=retries,
                    error_message=_text(error_message, MAX_TEXT),
                    error_details=_text(error_details, MAX_DETAILS),
                    lock_expires_at=None,
                    available_at=loaded.now + pause if pause else None,
                    status=INCIDENT if incident else OPEN,
                )
            )
            details = {
                "element_id": row.element_id,
                "external_task_id": row.id,
                "worker_id": worker_id,
                "retries": retries,
                "error": _text(error_message, 2000),
            }
            loaded.history.add("external_task_failed", loaded.actor.name, loaded.now, **details)
            if incident:
                loaded.history.add("incident", loaded.actor.name, loaded.now, kind="external_task", **details)

        self._on_task(task_id, actor, action, needs_workflow=False, statuses=(RUNNING, SUSPENDED))

    def bpmn_error(
        self,
        task_id: str,
        actor: Actor,
        worker_id: str,
        error_code: str,
        error_message: str | None = None,
        variables: dict[str, Any] | None = None,
    ) -> str | None:
        """A business error: an error boundary event on the task with this code (or none: a catch-all)
        catches it; with none, the task's path ends (Camunda 7's default). Returns the catching
        event's id, or None."""
        access.work_external_tasks(actor).require()
        if not isinstance(error_code, str) or not error_code.strip():
            raise InvalidInput("errorCode must not be empty")
        data = self._checked_variables(variables, "variables")

        def action(loaded: LoadedInstance, row: Row) -> str | None:
            self._check_holder(row, worker_id, loaded.now, "reported")
            caught_by, steps = throw_bpmn_error(
                loaded.workflow, row.spiff_task_id, error_code, error_message, data
            )
            loaded.conn.execute(
                update(external_tasks)
                .where(external_tasks.c.id == row.id)
                .values(
                    status=COMPLETED,
                    closed_at=loaded.now,
                    lock_expires_at=None,
                    error_message=_text(
                        f"BPMN error {error_code}: {error_message or ''}".rstrip(": "), MAX_TEXT
                    ),
                )
            )
            loaded.history.add(
                "external_task_bpmn_error",
                loaded.actor.name,
                loaded.now,
                element_id=row.element_id,
                external_task_id=row.id,
                worker_id=worker_id,
                error_code=error_code,
                error=_text(error_message, 2000),
                caught_by=caught_by,
                data=data,
            )
            loaded.record_steps(steps)
            return caught_by

        return self._on_task(task_id, actor, action, needs_workflow=True)

    def extend_lock(self, task_id: str, actor: Actor, worker_id: str, new_duration_ms: int) -> None:
        access.work_external_tasks(actor).require()
        duration = _ms(new_duration_ms, "newDuration", MAX_LOCK_MS, minimum=1)

        def action(loaded: LoadedInstance, row: Row) -> None:
            self._check_holder(row, worker_id, loaded.now, "extended")
            if row.lock_expires_at is None or row.lock_expires_at <= loaded.now:
                raise InvalidInput(f"external task {row.id}: the lock of worker '{worker_id}' has expired")
            expires = loaded.now + duration
            loaded.conn.execute(
                update(external_tasks).where(external_tasks.c.id == row.id).values(lock_expires_at=expires)
            )
            loaded.history.add(
                "external_task_lock_extended",
                loaded.actor.name,
                loaded.now,
                element_id=row.element_id,
                external_task_id=row.id,
                worker_id=worker_id,
                lock_expires_at=expires,
            )

        self._on_task(task_id, actor, action, needs_workflow=False, statuses=(RUNNING, SUSPENDED))

    def unlock(self, task_id: str, actor: Actor) -> None:
        access.work_external_tasks(actor).require()

        def action(loaded: LoadedInstance, row: Row) -> None:
            loaded.conn.execute(
                update(external_tasks)
                .where(external_tasks.c.id == row.id)
                .values(worker_id=None, lock_expires_at=None)
            )
            loaded.history.add(
                "external_task_unlocked",
                loaded.actor.name,
                loaded.now,
                element_id=row.element_id,
                external_task_id=row.id,
                worker_id=row.worker_id,
            )

        self._on_task(task_id, actor, action, needs_workflow=False, statuses=(RUNNING, SUSPENDED))

    def set_retries(
        self, task_id: str, actor: Actor, retries: int, *, only_incident: bool = False
    ) -> ExternalTaskInfo:
        """An admin's answer to an incident (Camunda's PUT /external-task/{id}/retries): with retries
        left the task can be fetched again at once; 0 makes it an incident. ``only_incident``: a
        retry from the incidents list, refused (Conflict) once the task is no longer an incident, so
        that of two admins retrying at once the second is told rather than retrying again."""
        access.set_external_task_retries(actor).require()
        if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
            raise InvalidInput("retries must be a whole number, 0 or more")

        def action(loaded: LoadedInstance, row: Row) -> None:
            if only_incident and row.status != INCIDENT:
                raise Conflict(f"external task {row.id} is no longer an incident: someone retried it")
            status = INCIDENT if retries == 0 else OPEN
            loaded.conn.execute(
                update(external_tasks)
                .where(external_tasks.c.id == row.id)
                .values(retries=retries, status=status, available_at=None)
            )
            loaded.history.add(
                "external_task_retries_set",
                loaded.actor.name,
                loaded.now,
                element_id=row.element_id,
                external_task_id=row.id,
                retries=retries,
                previous=row.retries,
            )

        self._on_task(task_id, actor, action, needs_workflow=False, statuses=(RUNNING, SUSPENDED))
        return self.get(task_id, actor)
