"""Starting, reading and controlling process instances."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from engine import access
from engine.actor import Actor
from engine.clock import Clock
from engine.config import Settings
from engine.errors import Conflict, DataValidationError, InvalidInput, Problem
from engine.forms import Form
from engine.repository.service import RepositoryService
from engine.runtime import search as searching
from engine.runtime.business_keys import next_business_key
from engine.runtime.calls import CallActivities, call_children, lock_descendants
from engine.runtime.search import InstancePage, InstanceSearch
from engine.runtime.stalls import why_waiting
from engine.runtime.unit_of_work import LoadedInstance, Transaction, UnitOfWork
from engine.spiff.steps import cancel as cancel_workflow
from engine.spiff.steps import initial_data, instance_data
from engine.spiff.workflow import ApprovalsWorkflow
from engine.statuses import CANCELLED, INCIDENT, RUNNING, SUSPENDED
from engine.store.database import Database
from engine.store.schema import external_tasks, instance_calls, model_versions, process_instances, timers

BUSINESS_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}$")
SYSTEM_VARIABLES = ("initiator", "business_key")
EXPORT_PAGE = 2000  # rows per read of an export


# Cancel, suspend and resume say why, in the trail: an auditor reading a stopped request must not
# have to ask. One rule for every face (API, CLI, web UI), so it is checked here.
MAX_REASON = 2000


def required_reason(reason: str | None, command: str) -> str:
    """The reason a command was given, stripped; refused when missing, blank or too long."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise DataValidationError(f"{command} needs a reason", [Problem("is required", field="reason")])
    if len(text) > MAX_REASON:
        raise DataValidationError(
            f"the reason to {command} is too long",
            [Problem(f"must be at most {MAX_REASON} characters", field="reason")],
        )
    return text


@dataclass(frozen=True)
class ModelPage:
    model_key: str
    name: str | None
    latest: Any  # engine.repository.service.VersionInfo
    start_form: dict[str, Any] | None  # JSON Schema, or None: the model has no start form
    starter_groups: list[str]  # empty: anyone may start it
    may_start: bool  # for the person asking


@dataclass(frozen=True)
class InstanceInfo:
    id: int
    model_key: str
    model_version: int
    version_id: int
    business_key: str | None
    status: str
    initiator: str
    started_at: datetime
    updated_at: datetime
    ended_at: datetime | None
    data: dict[str, Any]
    # Call activities: the instance whose call activity started this one, and what this one's call
    # activities started (engine/runtime/calls.py).
    parent: dict[str, Any] | None = None
    children: list[dict[str, Any]] = field(default_factory=list)
    # What a running or suspended instance waits for (runtime/stalls.py); read for one instance only,
    # None in lists.
    waiting_for: list[str] | None = None


@dataclass(frozen=True)
class InstanceRights:
    """What the person asking may do with an instance now, as engine/access.py decides it: a page
    shows only these buttons, and each command checks again when it runs."""

    cancel: bool = False
    suspend: bool = False
    resume: bool = False
    retry: bool = False  # it has an incident a retry can move on (a timer, external task, call)


@dataclass(frozen=True)
class InstanceFilter:
    model_key: str | None = None
    status: str | None = None
    initiator: str | None = None
    business_key: str | None = None
    started_from: datetime | None = None
    started_to: datetime | None = None
    limit: int = 50
    offset: int = 0


def _info(row: Any, children: list[dict[str, Any]] | None = None) -> InstanceInfo:
    parent_id = getattr(row, "parent_instance_id", None)
    return InstanceInfo(
        row.id,
        row.model_key,
        row.model_version,
        row.version_id,
        row.business_key,
        row.status,
        row.initiator,
        row.started_at,
        row.updated_at,
        row.ended_at,
        json.loads(row.data),
        {"instance_id": parent_id, "element_id": row.parent_element_id} if parent_id is not None else None,
        children or [],
    )


class RuntimeService:
    def __init__(
        self,
        db: Database,
        repository: RepositoryService,
        uow: UnitOfWork,
        clock: Clock,
        settings: Settings,
    ) -> None:
        self.db = db
        self.repository = repository
        self.uow = uow
        self.calls = CallActivities(uow, self.start_in)
        self.clock = clock
        self.timezone = ZoneInfo(settings.timezone)

    def model_page(self, model_key: str, actor: Actor) -> ModelPage:
        """What a person about to start a model needs: its latest version, start form, who may start it."""
        with self.db.read() as conn:
            version_id = self.repository.resolve_version_id(conn, model_key, None)
        model = self.repository.compiled(version_id)
        latest = self.repository.get_version(model_key)
        start_form = model.start_form
        return ModelPage(
            model_key=model_key,
            name=latest.name,
            latest=latest,
            start_form=start_form.schema if start_form else None,
            starter_groups=list(model.document.starter_groups),
            may_start=access.start_instance(actor, model_key, model.document.starter_groups).allowed,
        )

    # --- commands -------------------------------------------------------------------------

    def start(
        self,
        model_key: str,
        actor: Actor,
        data: dict[str, Any] | None = None,
        business_key: str | None = None,
        version: int | None = None,
    ) -> InstanceInfo:
        """Start an instance of the latest (or the given) version and run it to its first wait state."""
        access.change_anything(actor).require()
        data = dict(data or {})
        with self.db.read() as conn:
            version_id = self.repository.resolve_version_id(conn, model_key, version)
        model = self.repository.compiled(version_id)
        access.start_instance(actor, model_key, model.document.starter_groups).require()
        try:
            with self.uow.transaction() as tx:
                info, _ = self.start_in(tx, version_id, actor, data, business_key)
        except IntegrityError as exc:
            if "business_key" not in str(exc):
                raise
            raise Conflict(f"{model_key} already has an instance with business key {business_key!r}")
        return info

    def start_in(
        self,
        tx: Transaction,
        version_id: int,
        actor: Actor,
        data: dict[str, Any],
        business_key: str | None = None,
        trigger: dict[str, Any] | None = None,
        check_form: bool = True,
        initiator: str | None = None,
        parent: tuple[int, str, str] | None = None,
    ) -> tuple[InstanceInfo, LoadedInstance]:
        """Start an instance inside the caller's transaction (timers and messages start them too).

        A call activity starts its child with ``parent`` (instance id, element id, SpiffWorkflow task
        id) and the parent's ``initiator`` (engine/runtime/calls.py).
        """
        conn = tx.conn
        model = self.repository.compiled(version_id)
        model_key = model.model_key
        if any(not isinstance(k, str) for k in data):
            raise InvalidInput("start data must be a JSON object with string keys")
        reserved = sorted((set(model.properties) | set(SYSTEM_VARIABLES)) & data.keys())
        if reserved:
            raise InvalidInput(f"start data may not set {', '.join(reserved)}: the model or engine sets them")
        if check_form and model.start_form is not None:
            _check_start_fields(model.start_form, data, model_key)
            model.start_form.validate(data, f"start data of {model_key}")
        if business_key is not None and not BUSINESS_KEY.match(business_key):
            raise InvalidInput(
                f"invalid business key {business_key!r}: letters, digits and _ . : / - "
                "(at most 100, starting with a letter or digit)"
            )
        workflow = ApprovalsWorkflow(model.spec, model.subprocess_specs)
        now = self.clock.now()
        prefix = model.info.get("business_key_prefix")
        if business_key is None and prefix:
            business_key = next_business_key(conn, prefix, now.astimezone(self.timezone))
        elif business_key is not None and _business_key_taken(conn, model_key, business_key):
            raise Conflict(f"{model_key} already has an instance with business key {business_key!r}")
        instance_id = conn.execute(
            insert(process_instances).values(
                model_key=model_key,
                version_id=version_id,
                business_key=business_key,
                status=RUNNING,
                initiator=initiator or actor.name,
                started_at=now,
                updated_at=now,
                revision=0,
                state="{}",
                data="{}",
                last_seq=0,
                last_hash="",
                parent_instance_id=parent[0] if parent else None,
                parent_element_id=parent[1] if parent else None,
                parent_spiff_task_id=parent[2] if parent else None,
            )
        ).inserted_primary_key[0]
        row = conn.execute(select(process_instances).where(process_instances.c.id == instance_id)).one()

        def begin(loaded: LoadedInstance) -> None:
            loaded.started_by_parent = parent is not None
            initial_data(
                workflow,
                {
                    **data,
                    **model.properties,
                    "initiator": initiator or actor.name,
                    "business_key": business_key,
                },
            )
            loaded.history.add(
                "instance_started",
                actor.name,
                now,
                element_id=model.document.process_id,
                model_key=model_key,
                business_key=business_key,
                data=data,
                **({"trigger": trigger} if trigger else {}),
            )
            if parent is not None:
                loaded.history.add(
                    "started_by_call_activity",
                    actor.name,
                    now,
                    element_id=model.document.process_id,
                    parent_instance_id=parent[0],
                    parent_element_id=parent[1],
                )
            loaded.advance()

        _, loaded = tx.start(row, actor, model, workflow, begin)
        info = InstanceInfo(
            instance_id,
            model_key,
            loaded.model_version,
            version_id,
            business_key,
            loaded.status,
            initiator or actor.name,
            now,
            loaded.now,
            loaded.ended_at,
            instance_data(workflow),
            waiting_for=why_waiting(conn, instance_id) if loaded.status in (RUNNING, SUSPENDED) else [],
            parent={"instance_id": parent[0], "element_id": parent[1]} if parent else None,
            children=call_children(conn, [instance_id]).get(instance_id, []) if model.calls else [],
        )
        return info, loaded

    def cancel(self, instance_id: int, actor: Actor, reason: str | None) -> InstanceInfo:
        """Cancel a running or suspended instance (and its children); ``reason`` is required and
        recorded in the trail. A requester withdrawing his own request gives one too."""
        access.change_anything(actor).require()

        def action(loaded: LoadedInstance) -> None:
            access.cancel_instance(actor, loaded.row.initiator).require()
            # After the rules that say whether it could run at all: a refusal or a finished instance
            # is the more useful answer than "give a reason".
            why = required_reason(reason, "cancelling an instance")
            cancel_workflow(loaded.workflow)
            loaded.status = CANCELLED
            loaded.ended_at = loaded.now
            loaded.end_with("instance_cancelled", reason=why)

        # Its children are cancelled in the same transaction: lock them first (runtime/calls.py).
        with self.uow.transaction() as tx:
            lock_descendants(tx.conn, instance_id, not self.db.is_sqlite)
            tx.run(instance_id, actor, action, statuses=(RUNNING, SUSPENDED))
        return self.get(instance_id, actor)

    def retry_calls(self, instance_id: int, actor: Actor, call_id: int | None = None) -> int:
        """Admins: start again every call activity of the instance that is an incident (or the one
        ``call_id``)."""
        return self.calls.retry(instance_id, actor, call_id)

    def suspend(self, instance_id: int, actor: Actor, reason: str | None) -> InstanceInfo:
        """Suspend a running instance: its tasks leave the inboxes, its timers wait. ``reason`` is
        required and recorded in the trail."""
        return self._set_suspended(instance_id, actor, True, reason)

    def resume(self, instance_id: int, actor: Actor, reason: str | None) -> InstanceInfo:
        """Resume a suspended instance; ``reason`` is required and recorded in the trail."""
        return self._set_suspended(instance_id, actor, False, reason)

    def _set_suspended(
        self, instance_id: int, actor: Actor, suspend: bool, reason: str | None
    ) -> InstanceInfo:
        access.suspend_instance(actor).require()

        def action(loaded: LoadedInstance) -> None:
            why = required_reason(reason, "suspending an instance" if suspend else "resuming an instance")
            loaded.status = SUSPENDED if suspend else RUNNING  # the inbox hides or shows its tasks
            loaded.history.add(
                "instance_suspended" if suspend else "instance_resumed", actor.name, loaded.now, reason=why
            )

        self.uow.run(
            instance_id, actor, action, statuses=(RUNNING,) if suspend else (SUSPENDED,), needs_workflow=False
        )
        return self.get(instance_id, actor)

    # --- reading --------------------------------------------------------------------------

    def get(self, instance_id: int, actor: Actor) -> InstanceInfo:
        with self.db.read() as conn:
            row = access.require_visible(conn, instance_id, actor)
            info = _info(row, call_children(conn, [instance_id]).get(instance_id))
            waits = why_waiting(conn, instance_id) if row.status in (RUNNING, SUSPENDED) else []
            return replace(info, waiting_for=waits)

    def rights(self, instance_id: int, actor: Actor) -> InstanceRights:
        """What ``actor`` may do with the instance now (for a page's buttons); NotFound or
        PermissionDenied when they may not read it."""
        with self.db.read() as conn:
            row = access.require_visible(conn, instance_id, actor)
            may_retry = access.retry_incidents(actor).allowed and _has_retryable_incident(conn, instance_id)
        may_suspend = access.suspend_instance(actor).allowed
        return InstanceRights(
            cancel=row.status in (RUNNING, SUSPENDED)
            and access.cancel_instance(actor, row.initiator).allowed,
            suspend=row.status == RUNNING and may_suspend,
            resume=row.status == SUSPENDED and may_suspend,
            retry=may_retry,
        )

    def list(self, actor: Actor, filters: InstanceFilter | None = None) -> list[InstanceInfo]:
        f = filters or InstanceFilter()
        query = select(*access.INSTANCE_COLUMNS).join(
            model_versions, model_versions.c.id == process_instances.c.version_id
        )
        conditions = [
            c
            for c in (
                access.visible_to(actor),
                process_instances.c.model_key == f.model_key if f.model_key else None,
                process_instances.c.status == f.status if f.status else None,
                process_instances.c.initiator == f.initiator if f.initiator else None,
                process_instances.c.business_key == f.business_key if f.business_key else None,
                process_instances.c.started_at >= f.started_from if f.started_from else None,
                process_instances.c.started_at < f.started_to if f.started_to else None,
            )
            if c is not None
        ]
        for condition in conditions:
            query = query.where(condition)
        query = query.order_by(process_instances.c.started_at.desc(), process_instances.c.id.desc())
        query = query.limit(max(1, min(f.limit, 500))).offset(max(0, f.offset))
        with self.db.read() as conn:
            rows = conn.execute(query).all()
            children = call_children(conn, [r.id for r in rows])
            return [_info(r, children.get(r.id)) for r in rows]

    def search(self, actor: Actor, search: InstanceSearch) -> InstancePage:
        """The instances ``actor`` may read that match ``search``: one page, in its order."""
        searching.check(search)
        with self.db.read() as conn:
            rows, more, total = self._search_rows(conn, actor, search, searching.PAGE_COLUMNS)
            children = call_children(conn, [r.id for r in rows])
            items = [_info(r, children.get(r.id)) for r in rows]
        return InstancePage(
            items,
            searching.cursor_after(items[-1], search) if more else None,
            total=None if total is None else min(total, searching.COUNT_CAP),
            total_capped=total is not None and total > searching.COUNT_CAP,
            has_more=more,
        )

    def _search_rows(
        self,
        conn: Connection,
        actor: Actor,
        search: InstanceSearch,
        columns: tuple[Any, ...],
        page_cap: int = searching.MAX_LIMIT,
    ) -> tuple[list[Any], bool, int | None]:
        """One page of rows, whether more follow, and (when asked) the capped count."""
        limit = max(1, min(search.limit, page_cap))
        sqlite = self.db.is_sqlite
        driver = searching.choose_driver(conn, search, sqlite)
        where = searching.conditions(search, actor, driver, sqlite=sqlite)
        if search.offset:
            rows = list(conn.execute(searching.offset_query(search, where, limit + 1)).all())
        else:
            # SQLite walking in page order past rows that fail filters it cannot see: give the walk
            # WALK_LIMIT rows; matches that rare are read from the smallest filter instead
            # (engine/runtime/search.py, "how the rows are found").
            stop = None
            if sqlite and driver is None and searching.walks_blind(search):
                stop = searching.walk_limit(conn, search, searching.read_cursor(search))
            rows = self._page(conn, search, where, limit, columns, stop)
            if stop is not None and len(rows) <= limit:
                fallback = searching.choose_driver(conn, search, sqlite, searching.FALLBACK_LIMIT)
                where = searching.conditions(search, actor, fallback, sqlite=sqlite)
                rows = self._page(conn, search, where, limit, columns)
        total = None
        if search.count and search.after is None and not search.offset and len(rows) <= limit:
            total = len(rows)  # the whole result is on this page
        elif search.count:
            # No order to walk: each filter indexed, the planner reads the one it likes and stops at the cap.
            everything = searching.conditions(search, actor) if sqlite else where
            total = conn.scalar(searching.count_query(search, everything))
        return rows[:limit], len(rows) > limit, total

    def _page(
        self,
        conn: Connection,
        search: InstanceSearch,
        where: list[Any],
        limit: int,
        columns: tuple[Any, ...],
        stop: Any = None,
    ) -> list[Any]:
        """Up to ``limit`` + 1 rows after the cursor; ``stop`` bounds the first (keyed) query's walk,
        and a bounded walk that comes back short does not go on to the rows without a key."""
        rows: list[Any] = []
        for n, query in enumerate(searching.page_queries(search, where, limit + 1, columns)):
            if stop is not None:
                if n > 0:
                    break
                query = query.where(stop)
            rows += conn.execute(query.limit(limit + 1 - len(rows))).all()
            if len(rows) > limit:
                break
        return rows

    def export(self, actor: Actor, search: InstanceSearch, max_rows: int) -> Iterator[Any]:
        """Every match in the search's order, up to ``max_rows``, a page of rows at a time (each page
        a short read of its own: a slow reader of the export holds no transaction open). Each row has
        the list's columns (id, business_key, model_key, model_version, status, initiator,
        started_at, ended_at …) but not the data."""
        searching.check(search)
        searching.read_cursor(search)  # refused now, not halfway through a stream
        pages = replace(search, limit=EXPORT_PAGE, count=False, offset=0)
        return self._export(actor, pages, max_rows)

    def _export(self, actor: Actor, search: InstanceSearch, max_rows: int) -> Iterator[Any]:
        sent = 0
        while sent < max_rows:
            page = replace(search, limit=min(search.limit, max_rows - sent))
            with self.db.read() as conn:
                rows, more, _ = self._search_rows(conn, actor, page, searching.EXPORT_COLUMNS, EXPORT_PAGE)
            yield from rows
            sent += len(rows)
            if not more or not rows:
                return
            search = replace(search, after=searching.cursor_after(rows[-1], search))


def _has_retryable_incident(conn: Connection, instance_id: int) -> bool:
    """A failed timer, an external task without retries, or a call activity that could not start
    (engine/incidents lists them all; a stall is not retried but cancelled)."""
    for table, column in (
        (timers, timers.c.instance_id),
        (external_tasks, external_tasks.c.instance_id),
        (instance_calls, instance_calls.c.parent_instance_id),
    ):
        found = conn.scalar(
            select(table.c.id).where((column == instance_id) & (table.c.status == INCIDENT)).limit(1)
        )
        if found is not None:
            return True
    return False


def _business_key_taken(conn: Connection, model_key: str, business_key: str) -> bool:
    return (
        conn.scalar(
            select(process_instances.c.id).where(
                (process_instances.c.model_key == model_key)
                & (process_instances.c.business_key == business_key)
            )
        )
        is not None
    )


def _check_start_fields(form: Form, data: dict[str, Any], model_key: str) -> None:
    """A requester writes what the start form declares, like every other step: a variable the model
    sets later (an approval level, a flag a gateway reads) cannot be decided in advance."""
    undeclared = sorted(k for k in data if k not in form.fields)
    if undeclared:
        declared = ", ".join(sorted(form.fields)) or "nothing"
        raise DataValidationError(
            f"start data of {model_key}: {len(undeclared)} field(s) its start form does not declare",
            [
                Problem(f"not a field of the start form '{form.key}' (it declares: {declared})", field=k)
                for k in undeclared
            ],
        )
