"""Firing due timers: exactly once, whoever polls.

Each due timer is fired in its own transaction. On PostgreSQL the poller claims it by locking its
instance row with ``FOR UPDATE SKIP LOCKED`` (start timers: the timer row), so several pollers —
in several processes — never fire the same timer, and a poller that dies mid-fire releases the
lock with its transaction: the timer is still pending and fires later. On SQLite the database's
single write lock serialises pollers the same way. A timer whose firing fails is retried with
exponential backoff and, after ``APPROVALS_TIMER_MAX_ATTEMPTS``, becomes an incident that an
admin retries (``approvals timers retry ID``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, func, or_, select, update

from engine import access
from engine.actor import ADMIN, Actor
from engine.clock import Clock
from engine.config import Settings
from engine.errors import ApprovalsError, Conflict, NotFound, WorkflowError
from engine.repository.service import RepositoryService
from engine.repository.start_triggers import next_start
from engine.runtime.service import RuntimeService
from engine.runtime.unit_of_work import LoadedInstance, Transaction, UnitOfWork
from engine.spiff.steps import fire_timers
from engine.statuses import FIRED, INCIDENT, INSTANCE_STATUSES, PENDING, RUNNING, SUSPENDED
from engine.store.database import Database
from engine.store.schema import process_instances, timers

log = logging.getLogger(__name__)

TIMER_ACTOR = Actor("timer", frozenset({ADMIN}))


@dataclass(frozen=True)
class TimerInfo:
    id: int
    instance_id: int | None
    model_key: str
    element_id: str
    kind: str
    expression: str | None
    due_at: datetime
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    fired_at: datetime | None


@dataclass
class FireReport:
    fired: int = 0
    failed: int = 0


def _info(row: Any) -> TimerInfo:
    return TimerInfo(
        row.id,
        row.instance_id,
        row.model_key,
        row.element_id,
        row.kind,
        row.expression,
        row.due_at,
        row.status,
        row.attempts,
        row.next_attempt_at,
        row.last_error,
        row.fired_at,
    )


def _due(now: Any) -> Any:
    return (
        (timers.c.status == PENDING)
        & (timers.c.due_at <= now)
        & or_(timers.c.next_attempt_at.is_(None), timers.c.next_attempt_at <= now)
    )


_INSTANCE_TIMER = (
    select(timers)
    .join(process_instances, process_instances.c.id == timers.c.instance_id)
    .where(_due(bindparam("now")) & (process_instances.c.status == RUNNING))
    .order_by(timers.c.due_at)
    .limit(1)
)
_START_TIMER = (
    select(timers)
    .where(_due(bindparam("now")) & timers.c.instance_id.is_(None))
    .order_by(timers.c.due_at)
    .limit(1)
)
# Indexed by "skip locked?" (PostgreSQL) or not (SQLite).
_DUE_INSTANCE_TIMER = {
    False: _INSTANCE_TIMER,
    True: _INSTANCE_TIMER.with_for_update(skip_locked=True, of=process_instances),
}
_DUE_START_TIMER = {False: _START_TIMER, True: _START_TIMER.with_for_update(skip_locked=True)}


class TimerService:
    def __init__(
        self,
        db: Database,
        repository: RepositoryService,
        runtime: RuntimeService,
        uow: UnitOfWork,
        clock: Clock,
        settings: Settings,
    ) -> None:
        self.db = db
        self.repository = repository
        self.runtime = runtime
        self.uow = uow
        self.clock = clock
        self.settings = settings
        self.timezone = ZoneInfo(settings.timezone)

    # --- reading --------------------------------------------------------------------------

    def list(
        self,
        actor: Actor,
        *,
        status: str | None = PENDING,
        due_only: bool = False,
        instance_id: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[TimerInfo]:
        access.list_timers(actor).require()
        query = select(timers).outerjoin(process_instances, process_instances.c.id == timers.c.instance_id)
        condition = access.visible_to(actor)
        if condition is not None:
            query = query.where(timers.c.instance_id.is_not(None) & condition)
        if status:
            query = query.where(timers.c.status == status)
        if due_only:
            query = query.where(timers.c.due_at <= self.clock.now())
        if instance_id is not None:
            query = query.where(timers.c.instance_id == instance_id)
        query = (
            query.order_by(timers.c.due_at, timers.c.id)
            .limit(max(1, min(limit, 1000)))
            .offset(max(0, offset))
        )
        with self.db.read() as conn:
            return [_info(r) for r in conn.execute(query)]

    def next_due(self) -> datetime | None:
        """When the earliest timer that could fire comes due (retries included), or None."""
        moment = func.coalesce(timers.c.next_attempt_at, timers.c.due_at)
        query = (
            select(func.min(moment))
            .outerjoin(process_instances, process_instances.c.id == timers.c.instance_id)
            .where(
                (timers.c.status == PENDING)
                & (timers.c.instance_id.is_(None) | (process_instances.c.status == RUNNING))
            )
        )
        with self.db.read() as conn:
            return conn.scalar(query)

    # --- firing ---------------------------------------------------------------------------

    def fire_due(self, limit: int = 1000) -> FireReport:
        """Fire timers that are due now, one transaction each, until none is left (or ``limit``)."""
        report = FireReport()
        while report.fired + report.failed < limit:
            outcome = self._fire_next()
            if outcome is None:
                break
            if outcome:
                report.fired += 1
            else:
                report.failed += 1
        return report

    def _claim(self, conn: Connection, now: datetime) -> Any:
        # On PostgreSQL the instance row is locked (as every command does first), skipping instances
        # another poller or a person's command holds; SQLite's write lock already excludes both.
        skip = not self.db.is_sqlite
        params = {"now": now}
        return (
            conn.execute(_DUE_INSTANCE_TIMER[skip], params).first()
            or conn.execute(_DUE_START_TIMER[skip], params).first()
        )

    def _fire_next(self) -> bool | None:
        """Fire one due timer: True when fired, False when it failed, None when nothing is due."""
        now = self.clock.now()
        claimed = None
        try:
            with self.uow.transaction() as tx:
                claimed = self._claim(tx.conn, now)
                if claimed is None:
                    return None
                if claimed.instance_id is None:
                    self._fire_start(tx, claimed, now)
                else:
                    self._fire_in_instance(tx, claimed)
            return True
        except Exception as exc:
            if claimed is None:
                raise
            log.warning(
                "timer %s (%s, instance %s) failed: %s",
                claimed.id,
                claimed.element_id,
                claimed.instance_id,
                exc,
            )
            self._record_failure(claimed, exc)
            return False

    def _fire_in_instance(self, tx: Transaction, claimed: Any) -> None:
        def action(loaded: LoadedInstance) -> None:
            loaded.workflow.context.fire_until = claimed.due_at
            loaded.record_steps(fire_timers(loaded.workflow))

        tx.run(claimed.instance_id, TIMER_ACTOR, action)
        after = tx.conn.execute(
            select(timers.c.status, timers.c.due_at).where(timers.c.id == claimed.id)
        ).one()
        if after.status == PENDING and after.due_at == claimed.due_at:
            raise WorkflowError(
                f"timer {claimed.id} ({claimed.element_id}) was due but its event did not fire"
            )

    def _fire_start(self, tx: Transaction, claimed: Any, now: datetime) -> None:
        model = self.repository.compiled(claimed.version_id)
        trigger = next((t for t in model.document.start_triggers if t.element_id == claimed.element_id), None)
        if trigger is None:
            raise WorkflowError(
                f"start timer {claimed.id}: the model has no start event {claimed.element_id}"
            )
        self.runtime.start_in(
            tx,
            claimed.version_id,
            TIMER_ACTOR,
            {},
            check_form=False,
            trigger={"kind": "timer", "element_id": claimed.element_id, "due_at": claimed.due_at},
        )
        following = next_start(trigger, claimed.created_at, claimed.occurrence, now, self.timezone)
        if following is None:
            values: dict[str, Any] = {"status": FIRED, "fired_at": now}
        else:
            values = {"due_at": following[0], "occurrence": following[1], "fired_at": now}
        tx.conn.execute(
            update(timers)
            .where(timers.c.id == claimed.id)
            .values(attempts=0, next_attempt_at=None, last_error=None, **values)
        )

    def _record_failure(self, claimed: Any, exc: Exception) -> None:
        now = self.clock.now()
        attempts = claimed.attempts + 1
        message = exc.message if isinstance(exc, ApprovalsError) else f"{type(exc).__name__}: {exc}"
        incident = attempts >= self.settings.timer_max_attempts
        backoff = timedelta(seconds=min(self.settings.timer_retry_seconds * 2 ** (attempts - 1), 3600))
        with self.uow.transaction() as tx:
            tx.conn.execute(
                update(timers)
                .where(timers.c.id == claimed.id)
                .values(
                    attempts=attempts,
                    last_error=message[:2000],
                    status=INCIDENT if incident else PENDING,
                    next_attempt_at=None if incident else now + backoff,
                )
            )
            if claimed.instance_id is not None:

                def record(loaded: LoadedInstance) -> None:
                    loaded.history.add(
                        "incident" if incident else "timer_failed",
                        TIMER_ACTOR.name,
                        now,
                        element_id=claimed.element_id,
                        timer_id=claimed.id,
                        attempts=attempts,
                        error=message[:2000],
                    )

                tx.run(
                    claimed.instance_id,
                    TIMER_ACTOR,
                    record,
                    needs_workflow=False,
                    statuses=INSTANCE_STATUSES,
                )

    def retry(self, timer_id: int, actor: Actor) -> TimerInfo:
        """Put an incident (or a failing timer) back to pending, due now; recorded in the instance's
        trail (``incident_retried``). Under the instance's lock, so of two admins retrying at once
        the second finds it pending and not failed: a Conflict, not a second retry."""
        access.retry_incidents(actor).require()
        with self.db.read() as conn:
            row = conn.execute(select(timers).where(timers.c.id == timer_id)).first()
        if row is None:
            raise NotFound(f"no timer {timer_id}")
        if row.instance_id is None:  # a start timer: no instance, no trail; the row itself decides
            with self.db.transaction() as conn:
                self._reset(conn, timer_id, expected=row)
                return _info(conn.execute(select(timers).where(timers.c.id == timer_id)).one())

        def action(loaded: LoadedInstance) -> TimerInfo:
            current = loaded.conn.execute(select(timers).where(timers.c.id == timer_id)).one()
            info = self._reset(loaded.conn, timer_id, expected=current)
            loaded.history.add(
                "incident_retried",
                actor.name,
                loaded.now,
                element_id=current.element_id,
                kind="timer",
                timer_id=timer_id,
                attempts=current.attempts,
            )
            return info

        return self.uow.run(
            row.instance_id, actor, action, statuses=(RUNNING, SUSPENDED), needs_workflow=False
        )[0]

    def _reset(self, conn: Connection, timer_id: int, expected: Any) -> TimerInfo:
        now = self.clock.now()
        if expected.status not in (INCIDENT, PENDING):
            raise Conflict(f"timer {timer_id} is {expected.status}")
        if expected.status == PENDING and not expected.attempts:
            # Moving it earlier would not make the process's own timer due: the poller would
            # record a firing while nothing fired.
            raise Conflict(
                f"timer {timer_id} has not failed: it is pending, due "
                f"{expected.due_at.isoformat(timespec='seconds')}; "
                "only an incident or a failing timer is retried"
            )
        changed = conn.execute(
            update(timers)
            .where(
                (timers.c.id == timer_id)
                & (timers.c.status == expected.status)
                & (timers.c.attempts == expected.attempts)
            )
            .values(status=PENDING, attempts=0, next_attempt_at=None, due_at=min(expected.due_at, now))
        ).rowcount
        if not changed:  # a start timer another admin retried (or the poller fired) meanwhile
            raise Conflict(f"timer {timer_id} changed meanwhile; look again before retrying")
        return _info(conn.execute(select(timers).where(timers.c.id == timer_id)).one())
