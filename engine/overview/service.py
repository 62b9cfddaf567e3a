"""OverviewService: read-only figures for the people who run the processes (engine.access.read_overview).

Counts are grouped in the database by version (``GROUP BY version_id``); waiting times are ranked there
too (engine/overview/percentiles.py), so a page costs a few queries whatever the number of instances.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, func, literal, select

from engine.access import read_overview
from engine.actor import Actor
from engine.clock import Clock
from engine.errors import NotFound
from engine.overview.percentiles import EMPTY, WaitFigures, seconds_between, summarise
from engine.overview.period import Period
from engine.statuses import CANCELLED, COMPLETED, INCIDENT, OPEN, RUNNING, SUSPENDED
from engine.store.bounds import range_bound
from engine.store.database import Database
from engine.store.fastpath import plain_rows
from engine.store.schema import (
    UTCDateTime,
    external_tasks,
    model_versions,
    process_instances,
    timers,
    user_tasks,
)

USER_TASK = "userTask"
EXTERNAL_TASK = "externalTask"


@dataclass(frozen=True)
class VersionCounts:
    """One deployed version: its instances running and suspended now, completed and cancelled in
    the period, its open and overdue user tasks now, and its incidents now."""

    model_key: str
    version: int
    name: str | None
    deployed_at: datetime
    running: int
    suspended: int
    completed: int
    cancelled: int
    open_tasks: int
    overdue_tasks: int
    incidents: int


@dataclass(frozen=True)
class ElementWaits:
    """One task element of a version: how long its tasks waited before completion (completed in the
    period), and how long the ones still open have waited so far."""

    element_id: str
    name: str | None
    kind: str  # userTask | externalTask
    completed: WaitFigures
    waiting: WaitFigures


@dataclass(frozen=True)
class VersionWaits:
    model_key: str
    version: int
    period: Period
    now: datetime
    elements: list[ElementWaits]


class OverviewService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def processes(self, actor: Actor, period: Period) -> list[VersionCounts]:
        """Every deployed version, by model key and newest version first."""
        read_overview(actor).require()
        now = self.clock.now()
        with self.db.read() as conn:
            versions = conn.execute(
                select(
                    model_versions.c.id,
                    model_versions.c.model_key,
                    model_versions.c.version,
                    model_versions.c.name,
                    model_versions.c.deployed_at,
                ).order_by(model_versions.c.model_key, model_versions.c.version.desc())
            ).all()
            instances = self._instance_counts(conn, period)
            tasks = self._task_counts(conn, now)
            incidents = self._incident_counts(conn)
        return [
            VersionCounts(
                model_key=v.model_key,
                version=v.version,
                name=v.name,
                deployed_at=v.deployed_at,
                running=instances.get((v.id, RUNNING), 0),
                suspended=instances.get((v.id, SUSPENDED), 0),
                completed=instances.get((v.id, COMPLETED), 0),
                cancelled=instances.get((v.id, CANCELLED), 0),
                open_tasks=tasks.get(v.id, (0, 0))[0],
                overdue_tasks=tasks.get(v.id, (0, 0))[1],
                incidents=incidents.get(v.id, 0),
            )
            for v in versions
        ]

    def waits(self, model_key: str, version: int, actor: Actor, period: Period) -> VersionWaits:
        """Per task element of one version: count, median and p90 of the wait, in seconds."""
        read_overview(actor).require()
        now = self.clock.now()
        with self.db.read() as conn:
            version_id = conn.scalar(
                select(model_versions.c.id).where(
                    (model_versions.c.model_key == model_key) & (model_versions.c.version == version)
                )
            )
            if version_id is None:
                raise NotFound(f"model {model_key!r} has no version {version}")
            completed = self._user_task_waits(conn, version_id, period) | self._external_waits(
                conn, version_id, period
            )
            waiting = self._user_tasks_open(conn, version_id, now) | self._external_open(
                conn, version_id, now
            )
            names = self._names(conn, version_id, {element for kind, element in completed | waiting})
        keys = sorted(set(completed) | set(waiting))
        elements = [
            ElementWaits(
                element_id=element,
                name=names.get(element),
                kind=kind,
                completed=completed.get((kind, element), EMPTY),
                waiting=waiting.get((kind, element), EMPTY),
            )
            for kind, element in keys
        ]
        elements.sort(key=lambda e: -max(e.completed.p90 or 0, e.waiting.p90 or 0))
        return VersionWaits(model_key, version, period, now, elements)

    # --- counts --------------------------------------------------------------------------------

    def _instance_counts(self, conn: Connection, period: Period) -> dict[tuple[int, str], int]:
        """Two queries, each one range of ``ix_process_instances_status_ended_at_version_id``: an OR
        of the two conditions would read every instance."""
        p = process_instances.c
        now = select(p.version_id, p.status, func.count()).where(p.status.in_((RUNNING, SUSPENDED)))
        ended = select(p.version_id, p.status, func.count()).where(
            p.status.in_((COMPLETED, CANCELLED))
            & (p.ended_at >= range_bound(period.since, low=True))
            & (p.ended_at < range_bound(period.until, low=True))
        )
        counts: dict[tuple[int, str], int] = {}
        for query in (now, ended):
            for version_id, status, count in conn.execute(query.group_by(p.version_id, p.status)):
                counts[(version_id, status)] = count
        return counts

    def _task_counts(self, conn: Connection, now: datetime) -> dict[int, tuple[int, int]]:
        c = user_tasks.c
        overdue = case((c.due_at < range_bound(now, low=True), 1), else_=0)
        # Per version (version_id first, as in ix_user_tasks_version_waits): a range of the index
        # each, instead of every open task's row found through the status index.
        rows = conn.execute(
            select(c.version_id, func.count(), func.coalesce(func.sum(overdue), 0))
            .where((c.status == OPEN) & c.version_id.in_(select(model_versions.c.id)))
            .group_by(c.version_id)
        )
        return {version_id: (int(count), int(late)) for version_id, count, late in rows}

    def _incident_counts(self, conn: Connection) -> dict[int, int]:
        """Instances stopped by an error (a stall, a failed call), timers and external tasks out of
        retries."""
        p = process_instances.c
        queries = (
            select(p.version_id, func.count())
            .where(p.status.in_((RUNNING, SUSPENDED)) & p.error.is_not(None))
            .group_by(p.version_id),
            select(timers.c.version_id, func.count())
            .where(timers.c.status == INCIDENT)
            .group_by(timers.c.version_id),
            select(external_tasks.c.version_id, func.count())
            .where(external_tasks.c.status == INCIDENT)
            .group_by(external_tasks.c.version_id),
        )
        total: dict[int, int] = {}
        for query in queries:
            for version_id, count in conn.execute(query):
                total[version_id] = total.get(version_id, 0) + count
        return total

    # --- waits ---------------------------------------------------------------------------------

    def _figures(
        self, conn: Connection, kind: str, key: Any, start: Any, end: Any, source: Any, where: Any
    ) -> dict:
        seconds = seconds_between(self.db.dialect, start, end)
        rows = plain_rows(conn, select(key, seconds).select_from(source).where(where))
        return {(kind, element): figures for element, figures in summarise(rows).items()}

    def _names(self, conn: Connection, version_id: int, elements: set[str]) -> dict[str, str | None]:
        """Each element's name as its tasks carry it: one task each (a GROUP BY would read every row)."""
        c = user_tasks.c
        return {
            element: conn.scalar(
                select(c.name).where((c.version_id == version_id) & (c.element_id == element)).limit(1)
            )
            for element in sorted(elements)
        }

    def _user_task_waits(self, conn: Connection, version_id: int, period: Period) -> dict:
        c = user_tasks.c
        where = (
            (c.version_id == version_id)
            & (c.status == COMPLETED)
            & (c.completed_at >= range_bound(period.since, low=True))
            & (c.completed_at < range_bound(period.until, low=True))
        )
        return self._figures(conn, USER_TASK, c.element_id, c.created_at, c.completed_at, user_tasks, where)

    def _user_tasks_open(self, conn: Connection, version_id: int, now: datetime) -> dict:
        c = user_tasks.c
        where = (c.version_id == version_id) & (c.status == OPEN)
        return self._figures(conn, USER_TASK, c.element_id, c.created_at, _instant(now), user_tasks, where)

    def _external_waits(self, conn: Connection, version_id: int, period: Period) -> dict:
        c = external_tasks.c
        where = (
            (c.version_id == version_id)
            & (c.status == COMPLETED)
            & (c.closed_at >= range_bound(period.since, low=True))
            & (c.closed_at < range_bound(period.until, low=True))
        )
        return self._figures(
            conn, EXTERNAL_TASK, c.element_id, c.created_at, c.closed_at, external_tasks, where
        )

    def _external_open(self, conn: Connection, version_id: int, now: datetime) -> dict:
        c = external_tasks.c
        where = (c.version_id == version_id) & c.status.in_((OPEN, INCIDENT))
        return self._figures(
            conn, EXTERNAL_TASK, c.element_id, c.created_at, _instant(now), external_tasks, where
        )


def _instant(now: datetime) -> Any:
    return literal(now, UTCDateTime())
