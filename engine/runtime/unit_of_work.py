"""One command = one transaction: the unit of work every change of an instance goes through.

``UnitOfWork.transaction()`` is the one way in. Inside it, ``Transaction.run`` locks an instance
row (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite the transaction already holds the write
lock), takes the live workflow from the cache when its revision is current (else rebuilds it from
the task rows), lets the command change it, then writes back — in the same transaction — the task
rows, what the projections keep in step (the inbox, the waits, the outbox, the trail …) and the
instance row, the latter only if its revision is still the one read. ``Transaction.start`` does
the same for an instance inserted in this transaction. After the commit, every instance the
transaction wrote goes back into the cache; an exception rolls all of it back and the in-memory
workflows are discarded. ``UnitOfWork.run`` is a command that is its own transaction, and records
in the trail a model that failed.

What the command's steps mean beyond the workflow's own state is not written here: the projections
handed to ``project_with`` (by the engine's facade, in the order they run) do it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Row, bindparam, delete, select, update

from engine import jsonvalues
from engine.actor import Actor
from engine.clock import Clock
from engine.config import Settings
from engine.datalimits import check_stored_depth, check_stored_size, could_be_too_deep
from engine.errors import (
    ApprovalsError,
    ConcurrentModification,
    Conflict,
    DecisionError,
    NotFound,
    ScriptError,
    WorkflowError,
)
from engine.history.keys import chain_keys
from engine.history.recorder import HistoryRecorder
from engine.repository.compiler import CompiledModel
from engine.repository.service import RepositoryService
from engine.runtime.cache import WorkflowCache
from engine.spiff import state as spiff_state
from engine.spiff.context import CommandContext, WorkLimit
from engine.spiff.steps import Step, advance, instance_data
from engine.spiff.workflow import ApprovalsWorkflow
from engine.statuses import COMPLETED, INSTANCE_STATUSES, RUNNING
from engine.store.database import Database
from engine.store.fastpath import fast_writer
from engine.store.schema import instance_task_states, process_instances
from engine.store.upsert import upsert_statement

T = TypeVar("T")
log = logging.getLogger(__name__)


class Projection:
    """Keeps something in step with what a command did, inside the command's transaction.

    The unit of work calls each projection, in the order the facade handed them over:
    ``step`` for each element that ran automatically, while the command runs; ``settle`` once the
    command is done and before the unit of work decides whether the instance ended (a call activity's
    child, started and ended at once, can still move the instance on); ``project`` afterwards, before
    the instance row is written. ``project`` is called for commands that left the workflow alone (claim,
    suspend: ``instance.workflow`` is None) only where ``with_workflow_only`` is False.
    """

    with_workflow_only = True

    def step(self, instance: LoadedInstance, step: Step) -> None:
        """An element ran automatically (a gateway decided, a script set data, an event fired)."""

    def settle(self, instance: LoadedInstance) -> None:
        """The command is done with the workflow; the instance's end is not decided yet."""

    def project(self, instance: LoadedInstance) -> None:
        """The command's outcome is known (``instance.status``): bring a table in step with it."""


class TableSync(Projection):
    """A projection written as one function ``sync(conn, *, instance, workflow, model, history, now,
    actor)`` that brings a table in step with what the workflow now waits for (the timer and
    subscription rows, the external tasks)."""

    def __init__(self, sync: Callable[..., None]) -> None:
        self.sync = sync

    def project(self, instance: LoadedInstance) -> None:
        self.sync(
            instance.conn,
            instance=instance.row,
            workflow=instance.workflow,
            model=instance.model,
            history=instance.history,
            now=instance.now,
            actor=instance.actor.name,
        )


@dataclass
class LoadedInstance:
    """Everything a command works with, for the length of its transaction."""

    tx: Transaction
    row: Row
    model: CompiledModel
    model_version: int
    actor: Actor
    now: datetime
    history: HistoryRecorder
    workflow: ApprovalsWorkflow | None = None
    fingerprint: spiff_state.Fingerprint | None = None
    status: str = ""
    ended_at: datetime | None = None
    created_tasks: list[Any] = field(default_factory=list)  # inbox rows this command created
    # Call activities (runtime/calls.py): why this instance changes in a command of its parent.
    started_by_parent: bool = False
    cancelled_by_parent: bool = False
    # The event that ends the instance (instance_completed/cancelled), recorded after everything the
    # command did to the instance's waits, so the trail reads in causal order.
    ending: tuple[str, dict[str, Any]] | None = None
    # The instance's data as this command leaves it, and its JSON (set before the projections run;
    # None for a command that left the workflow alone).
    data: dict[str, Any] | None = None
    encoded_data: str | None = None

    @property
    def id(self) -> int:
        return self.row.id

    @property
    def conn(self) -> Connection:
        return self.tx.conn

    def end_with(self, type_: str, **data: Any) -> None:
        """Record the instance's end as the command's last event."""
        self.ending = (type_, data)

    def advance(self) -> None:
        """Run the workflow's automatic elements and record what they did."""
        assert self.workflow is not None
        self.record_steps(advance(self.workflow))

    def record_steps(self, steps: list[Step]) -> None:
        """The trail, and what the projections make of each step the automatic elements just did."""
        context = self.workflow.context
        for notice in context.notices:
            self.history.add(
                notice.type, self.actor.name, self.now, element_id=notice.element_id, **notice.data
            )
        context.notices.clear()
        projections = self.tx.unit.projections
        for step in steps:
            for projection in projections:
                projection.step(self, step)


_SELECT_INSTANCE = select(process_instances).where(process_instances.c.id == bindparam("instance_id"))
_LOCK_INSTANCE = _SELECT_INSTANCE.with_for_update()
_SELECT_STATES = select(
    instance_task_states.c.task_id,
    instance_task_states.c.ord,
    instance_task_states.c.workflow_key,
    instance_task_states.c.payload,
).where(instance_task_states.c.instance_id == bindparam("instance_id"))
_DELETE_STATES = delete(instance_task_states).where(
    (instance_task_states.c.instance_id == bindparam("instance_id"))
    & instance_task_states.c.task_id.in_(bindparam("task_ids", expanding=True))
)
_INSTANCE_COLUMNS = ("status", "updated_at", "ended_at", "revision", "last_seq", "last_hash", "head_seal")


def _update_instance(with_state: bool) -> Any:
    columns = _INSTANCE_COLUMNS + (("state", "data") if with_state else ())
    return (
        update(process_instances)
        .where(
            (process_instances.c.id == bindparam("w_id"))
            & (process_instances.c.revision == bindparam("w_rev"))
        )
        .values({c: bindparam(f"v_{c}") for c in columns})
    )


_UPDATE_INSTANCE = {True: _update_instance(True), False: _update_instance(False)}


def lock_instance(conn: Connection, instance_id: int, for_update: bool) -> Row:
    row = conn.execute(
        _LOCK_INSTANCE if for_update else _SELECT_INSTANCE, {"instance_id": instance_id}
    ).first()
    if row is None:
        raise NotFound(f"no process instance {instance_id}")
    return row


class Transaction:
    """One database transaction of the unit of work, and the instances it wrote."""

    def __init__(self, unit: UnitOfWork, conn: Connection) -> None:
        self.unit = unit
        self.conn = conn
        self.written: dict[int, tuple[LoadedInstance, int]] = {}  # instance id -> (instance, revision)

    def run(
        self,
        instance_id: int,
        actor: Actor,
        action: Callable[[LoadedInstance], T],
        *,
        statuses: tuple[str, ...] = (RUNNING,),
        needs_workflow: bool = True,
    ) -> tuple[T, LoadedInstance]:
        """Lock and load the instance, let ``action`` change it, write it back (not committed yet)."""
        row = lock_instance(self.conn, instance_id, for_update=not self.unit.db.is_sqlite)
        if row.status not in statuses:
            raise Conflict(f"instance {instance_id} is {row.status}; this needs it " + " or ".join(statuses))
        loaded = self.unit.load(self, row, actor, needs_workflow)
        result = action(loaded)
        self.unit.persist(loaded)
        return result, loaded

    def start(
        self,
        row: Row,
        actor: Actor,
        model: CompiledModel,
        workflow: ApprovalsWorkflow,
        action: Callable[[LoadedInstance], T],
    ) -> tuple[T, LoadedInstance]:
        """``run`` for an instance row inserted in this transaction, with its new workflow."""
        version = self.unit.repository.version_number(self.conn, row.version_id)
        history = HistoryRecorder(
            row.id, row.version_id, version, 0, "", chain_keys(self.unit.settings, self.conn)
        )
        loaded = LoadedInstance(
            self, row, model, version, actor, self.unit.clock.now(), history, workflow, None, row.status
        )
        workflow.context = self.unit.context(actor, model)
        result = action(loaded)
        self.unit.persist(loaded)
        return result, loaded


class UnitOfWork:
    def __init__(self, db: Database, repository: RepositoryService, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.repository = repository
        self.clock = clock
        self.settings = settings
        self.cache = WorkflowCache(0 if settings.cold_commands else settings.workflow_cache_size)
        self.timezone = ZoneInfo(settings.timezone)
        self.projections: tuple[Projection, ...] = ()
        self._upsert_states = upsert_statement(
            self.db.dialect,
            instance_task_states,
            ["instance_id", "task_id"],
            ["ord", "workflow_key", "payload"],
        )

    def project_with(self, *projections: Projection) -> None:
        """The projections every command runs, in this order (set once, by the facade)."""
        self.projections = projections

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """A transaction for one or more instance commands; committed when the block ends, and the
        instances it wrote cached for the next command."""
        with self.db.transaction() as conn:
            tx = Transaction(self, conn)
            yield tx
        for loaded, revision in tx.written.values():
            if loaded.workflow is not None:
                self.cache.put(loaded.id, revision, loaded.workflow, loaded.fingerprint)

    def run(
        self,
        instance: int | Callable[[Connection], int],
        actor: Actor,
        action: Callable[[LoadedInstance], T],
        *,
        statuses: tuple[str, ...] = (RUNNING,),
        needs_workflow: bool = True,
        trail: dict[str, Any] | None = None,
    ) -> tuple[T, LoadedInstance]:
        """One command in its own transaction, on ``instance``: its id, or a function that finds it
        in the transaction (a task's instance, from the task's row). When the model fails (a script,
        a decision, the workflow), the command leaves nothing behind but an ``error`` event, with
        ``trail``'s details."""
        found: list[int] = []
        try:
            with self.transaction() as tx:
                found.append(instance(tx.conn) if callable(instance) else instance)
                return tx.run(found[0], actor, action, statuses=statuses, needs_workflow=needs_workflow)
        except (WorkflowError, ScriptError, DecisionError) as exc:
            if found:
                self._record_error(found[0], actor, exc, trail or {})
            raise

    def _record_error(
        self, instance_id: int, actor: Actor, exc: ApprovalsError, details: dict[str, Any]
    ) -> None:
        def record(loaded: LoadedInstance) -> None:
            element = next((p.element_id for p in exc.problems if p.element_id), None)
            loaded.history.add(
                "error", actor.name, loaded.now, element_id=element, error=exc.message[:2000], **details
            )

        try:
            with self.transaction() as tx:
                tx.run(instance_id, actor, record, needs_workflow=False, statuses=INSTANCE_STATUSES)
        except Exception:  # the original error is what the caller must see
            log.exception("could not record the failure of a command on instance %s", instance_id)

    def context(self, actor: Actor, model: CompiledModel) -> CommandContext:
        return CommandContext(
            self.clock,
            actor.name,
            model.decisions,
            timezone=self.timezone,
            work_limit=WorkLimit(self.settings.command_max_elements, self.settings.command_timeout_ms),
        )

    def load(self, tx: Transaction, row: Row, actor: Actor, needs_workflow: bool) -> LoadedInstance:
        model = self.repository.compiled(row.version_id)
        version = self.repository.version_number(tx.conn, row.version_id)
        loaded = LoadedInstance(
            tx,
            row,
            model,
            version,
            actor,
            self.clock.now(),
            HistoryRecorder(
                row.id,
                row.version_id,
                version,
                row.last_seq,
                row.last_hash,
                chain_keys(self.settings, tx.conn),
            ),
            status=row.status,
            ended_at=row.ended_at,
        )
        if needs_workflow:
            cached = self.cache.take(row.id, row.revision)
            if cached is None:
                rows = tx.conn.execute(_SELECT_STATES, {"instance_id": row.id}).all()
                cached = spiff_state.restore(
                    model.spec, model.subprocess_specs, row.state, [tuple(r) for r in rows]
                )
            loaded.workflow, loaded.fingerprint = cached
            loaded.workflow.context = self.context(actor, model)
        return loaded

    def _checked_depth(self, data: dict[str, Any], stored: str) -> str:
        """The data's JSON, once its nesting is known to be within the limit. Checked before the
        state is saved: SpiffWorkflow's serializer recurses once per level of nesting."""
        limit = self.settings.max_data_depth
        try:
            encoded = jsonvalues.dumps(data)
        except RecursionError:  # deeper than any limit: the walk below says where
            encoded = ""
        if not encoded or (encoded != stored and could_be_too_deep(encoded, limit)):
            check_stored_depth(data, limit)
        return encoded or jsonvalues.dumps(data)

    def _check_size(self, encoded: str, data: dict[str, Any], rows: list[Any]) -> None:
        """The data cap, on the instance's data and on each task's (a parallel branch has its own)."""
        limit = self.settings.max_data_bytes
        check_stored_size(encoded, data, limit)
        for r in rows:
            if len(r.payload) * 4 > limit and len(r.payload.encode("utf-8")) > limit:
                # SpiffWorkflow's task dictionary: the data a task changed is its delta's updates.
                task = json.loads(r.payload)
                changed = task.get("data") or (task.get("delta") or {}).get("updates") or {}
                check_stored_size(jsonvalues.dumps(changed), changed, limit, "a task's data")

    def persist(self, loaded: LoadedInstance) -> None:
        """Write the instance back inside its transaction: projections, task rows, trail, row."""
        conn, row, wf = loaded.conn, loaded.row, loaded.workflow
        values: dict[str, Any] = {}
        if wf is not None:
            for projection in self.projections:
                projection.settle(loaded)
            data = instance_data(wf)
            encoded = self._checked_depth(data, row.data)
            loaded.data, loaded.encoded_data = data, encoded
            if loaded.status == RUNNING and wf.is_completed():
                loaded.status = COMPLETED
                loaded.ended_at = loaded.now
                loaded.end_with("instance_completed", data=instance_data(wf))
        for projection in self.projections:
            if wf is not None or not projection.with_workflow_only:
                projection.project(loaded)
        if wf is not None:
            changes = spiff_state.save_changes(wf, loaded.fingerprint)
            values["v_data"] = encoded
            if encoded != row.data:
                # Only a command that changes the data is held to the limits: an instance stored
                # under a higher limit can still be cancelled, suspended or resumed.
                self._check_size(encoded, data, changes.upserts)
            if changes.upserts:
                fast_writer(conn).executemany(
                    conn,
                    self._upsert_states,
                    [
                        {
                            "instance_id": row.id,
                            "task_id": r.task_id,
                            "ord": r.ord,
                            "workflow_key": r.workflow_key,
                            "payload": r.payload,
                        }
                        for r in changes.upserts
                    ],
                )
            if changes.deletes:
                conn.execute(_DELETE_STATES, {"instance_id": row.id, "task_ids": changes.deletes})
            loaded.fingerprint = changes.fingerprint
            values["v_state"] = changes.envelope
            if self.settings.verify_state:
                _verify_state(conn, row.id, wf)
        if loaded.ending is not None:
            loaded.history.add(loaded.ending[0], loaded.actor.name, loaded.now, **loaded.ending[1])
        loaded.history.flush(conn)
        # The revision counts changes of the workflow state; inbox-only commands (claim, assign)
        # leave it, so the cached workflow stays valid.
        revision = row.revision + 1 if wf is not None else row.revision
        values.update(
            w_id=row.id,
            w_rev=row.revision,
            v_status=loaded.status,
            v_updated_at=loaded.now,
            v_ended_at=loaded.ended_at,
            v_revision=revision,
            v_last_seq=loaded.history.last_seq,
            v_last_hash=loaded.history.last_hash,
            v_head_seal=loaded.history.head_seal(),
        )
        if fast_writer(conn).execute(conn, _UPDATE_INSTANCE[wf is not None], values) != 1:
            raise ConcurrentModification(
                f"instance {row.id} was changed by another command at the same time; try again"
            )
        loaded.tx.written[row.id] = (loaded, revision)


def _verify_state(conn: Connection, instance_id: int, workflow: ApprovalsWorkflow) -> None:
    """Debug check (APPROVALS_VERIFY_STATE=1): the incremental rows equal a full serialization."""
    stored = {
        r.task_id: (r.workflow_key, r.payload)
        for r in conn.execute(
            select(instance_task_states).where(instance_task_states.c.instance_id == instance_id)
        )
    }
    expected = spiff_state.full_rows(workflow)
    if stored != expected:
        differing = sorted(k for k in stored.keys() | expected.keys() if stored.get(k) != expected.get(k))
        raise AssertionError(
            f"instance {instance_id}: stored task rows differ from the workflow: {differing[:5]}"
        )
