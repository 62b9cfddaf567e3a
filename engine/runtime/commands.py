"""One command = one transaction.

``InstanceCommands.run`` locks the instance row (``SELECT … FOR UPDATE`` on PostgreSQL; on
SQLite the transaction already holds the write lock), takes the live workflow from the
cache when its revision is current (else rebuilds it from the task rows), lets the command
change it, then writes back — in the same transaction — the changed task rows, the inbox,
the history events and the instance row, the latter only if its revision is still the one
read. Any exception rolls all of it back and the in-memory workflow is discarded.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Row, bindparam, delete, insert, select, update

from engine import jsonvalues
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
from engine.external.sync import sync_external
from engine.history.keys import chain_keys
from engine.history.recorder import HistoryRecorder
from engine.identity.actor import Actor
from engine.records.service import file_record
from engine.repository.compiler import CompiledModel
from engine.repository.service import RepositoryService
from engine.runtime.cache import WorkflowCache
from engine.runtime.stalls import STALLED, check_stalled
from engine.runtime.waits import sync_waits
from engine.spiff import state as spiff_state
from engine.spiff.context import CommandContext, WorkLimit
from engine.spiff.event_subprocesses import EventSubprocessStartEvent
from engine.spiff.flow_nodes import PASS_THROUGH_KINDS, PASSED
from engine.spiff.steps import Step, advance, instance_data, thrown_events
from engine.spiff.tokens import token_positions
from engine.spiff.workflow import ApprovalsWorkflow
from engine.store.database import Database
from engine.store.fastpath import fast_writer
from engine.store.schema import instance_task_states, outbox, process_instances
from engine.store.statuses import CANCELLED, COMPLETED, RUNNING, SUSPENDED
from engine.store.upsert import upsert_statement
from engine.tasks.escalation import apply_boundary_effects
from engine.tasks.projection import sync_inbox
from engine.tasks.views import TaskInfo, read_task

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass
class LoadedInstance:
    """Everything a command works with, for the length of its transaction."""

    conn: Connection
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
    sync_inbox: bool = True
    task: tuple[Row, TaskInfo] | None = None  # the task a task command targets: its row, as read under lock
    created_tasks: list[Any] = field(default_factory=list)  # inbox rows this command created
    # Call activities (runtime/calls.py): instances this command also changed (children started or
    # cancelled, a parent moved on), to remember once committed; and why this one changes.
    related: list[tuple[Any, int]] = field(default_factory=list)
    started_by_parent: bool = False
    cancelled_by_parent: bool = False
    # The event that ends the instance (instance_completed/cancelled), recorded after everything the
    # command did to the instance's waits, so the trail reads in causal order.
    ending: tuple[str, dict[str, Any]] | None = None

    @property
    def id(self) -> int:
        return self.row.id

    def end_with(self, type_: str, **data: Any) -> None:
        """Record the instance's end as the command's last event."""
        self.ending = (type_, data)

    def advance(self) -> None:
        """Run the workflow's automatic elements and record what they did."""
        assert self.workflow is not None
        self.record_steps(advance(self.workflow))

    def record_steps(self, steps: list[Step]) -> None:
        """History (and side effects the model asks for) of what the automatic elements just did."""
        context = self.workflow.context
        for notice in context.notices:
            self.history.add(
                notice.type, self.actor.name, self.now, element_id=notice.element_id, **notice.data
            )
        context.notices.clear()
        for step in steps:
            self._record_step(step)
            self._file_record(step)
            trigger = self.model.document.triggers.get(step.element_id)
            if step.kind == "BoundaryEvent" and trigger is not None:
                apply_boundary_effects(
                    self.conn,
                    instance_id=self.id,
                    trigger=trigger,
                    watched=self.model.document.covered_by(trigger.attached_to or step.element_id),
                    data=step.data,
                    history=self.history,
                    now=self.now,
                    actor=self.actor.name,
                )

    def _record_step(self, step: Step) -> None:
        doc, actor = self.model.document, self.actor.name
        if step.kind in ("ExclusiveGateway", "InclusiveGateway", "EventBasedGateway"):
            if doc.outgoing_count(step.element_id) < 2:
                return  # a merging gateway decides nothing
            taken = []
            for target in step.targets:
                flow = doc.flow_between(step.element_id, target)
                taken.append(
                    {
                        "flow": flow.id if flow else None,
                        "target": target,
                        "condition": flow.condition if flow else None,
                    }
                )
            self.history.add("gateway_decision", actor, self.now, element_id=step.element_id, taken=taken)
        elif step.changed or step.removed:
            self.history.add(
                "data_set",
                actor,
                self.now,
                element_id=step.element_id,
                kind=step.kind,
                changed=step.changed,
                removed=step.removed,
            )
        elif step.kind == "EndEvent":
            self.history.add("end_event", actor, self.now, element_id=step.element_id, **(step.thrown or {}))
        elif step.thrown is not None:
            self.history.add("event_thrown", actor, self.now, element_id=step.element_id, **step.thrown)
        elif step.kind in ("BoundaryEvent", "IntermediateCatchEvent"):
            self.history.add("event_caught", actor, self.now, element_id=step.element_id)
        elif step.kind == EventSubprocessStartEvent.__name__:
            start = doc.event_subprocess_starts.get(step.element_id)
            self.history.add(
                "event_caught",
                actor,
                self.now,
                element_id=step.element_id,
                event_subprocess=start.event_subprocess if start else None,
                interrupting=start.interrupting if start else None,
            )
        elif step.kind in PASS_THROUGH_KINDS:
            self.history.add(PASSED, actor, self.now, element_id=step.element_id)

    def _file_record(self, step: Step) -> None:
        spec = self.model.document.records.get(step.element_id)
        if spec is not None and not step.wraps_instances:
            kept = file_record(
                self.conn,
                instance=self.row,
                spec=spec,
                element_id=step.element_id,
                data=step.data,
                now=self.now,
            )
            self.history.add(
                "record_filed",
                self.actor.name,
                self.now,
                element_id=step.element_id,
                kind=spec.kind,
                data=kept,
            )


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


class InstanceCommands:
    def __init__(self, db: Database, repository: RepositoryService, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.repository = repository
        self.clock = clock
        self.settings = settings
        self.cache = WorkflowCache(0 if settings.cold_commands else settings.workflow_cache_size)
        self.timezone = ZoneInfo(settings.timezone)
        self.calls: Any = None  # engine.runtime.calls.CallActivities, wired by the facade
        self._upsert_states = upsert_statement(
            self.db.dialect,
            instance_task_states,
            ["instance_id", "task_id"],
            ["ord", "workflow_key", "payload"],
        )

    def run(
        self,
        instance_id: int | None,
        actor: Actor,
        action: Callable[[LoadedInstance], T],
        *,
        task_id: int | None = None,
        statuses: tuple[str, ...] = (RUNNING,),
        needs_workflow: bool = True,
    ) -> T:
        """Run ``action`` on the instance (given, or the one owning ``task_id``) as one transaction.

        With ``task_id`` the task row, read after the instance lock, is ``loaded.task``.
        """
        return self.execute(
            instance_id, actor, action, task_id=task_id, statuses=statuses, needs_workflow=needs_workflow
        )[0]

    def execute(
        self,
        instance_id: int | None,
        actor: Actor,
        action: Callable[[LoadedInstance], T],
        *,
        task_id: int | None = None,
        statuses: tuple[str, ...] = (RUNNING,),
        needs_workflow: bool = True,
    ) -> tuple[T, LoadedInstance]:
        """``run``, also returning the committed LoadedInstance (final status, tasks created)."""
        try:
            with self.db.transaction() as conn:
                result, loaded, revision = self.execute_in(
                    conn,
                    instance_id,
                    actor,
                    action,
                    task_id=task_id,
                    statuses=statuses,
                    needs_workflow=needs_workflow,
                )
        except (WorkflowError, ScriptError, DecisionError) as exc:
            # The model failed, not the request: the command left nothing behind, but the attempt
            # belongs in the audit trail.
            self._record_error(instance_id, task_id, actor, exc)
            raise
        self.remember(loaded, revision)
        return result, loaded

    def _record_error(
        self, instance_id: int | None, task_id: int | None, actor: Actor, exc: ApprovalsError
    ) -> None:
        def record(loaded: LoadedInstance) -> None:
            element = next((p.element_id for p in exc.problems if p.element_id), None)
            loaded.history.add(
                "error", actor.name, loaded.now, element_id=element, task_id=task_id, error=exc.message[:2000]
            )

        try:
            with self.db.transaction() as conn:
                self.execute_in(
                    conn,
                    instance_id,
                    actor,
                    record,
                    task_id=task_id,
                    needs_workflow=False,
                    statuses=(RUNNING, SUSPENDED, COMPLETED, CANCELLED),
                )
        except Exception:  # the original error is what the caller must see
            log.exception("could not record the failure of a command on instance %s", instance_id)

    def execute_in(
        self,
        conn: Connection,
        instance_id: int | None,
        actor: Actor,
        action: Callable[[LoadedInstance], T],
        *,
        task_id: int | None = None,
        statuses: tuple[str, ...] = (RUNNING,),
        needs_workflow: bool = True,
    ) -> tuple[T, LoadedInstance, int]:
        """The command inside a transaction the caller owns (and commits, then calls ``remember``)."""
        task = None
        if task_id is not None:
            task = read_task(conn, task_id, self.clock.now())
            instance_id = task[0].instance_id
        row = lock_instance(conn, instance_id, for_update=not self.db.is_sqlite)
        if task is not None and not self.db.is_sqlite:
            # Every writer of a task row holds its instance's lock: re-read it under ours.
            task = read_task(conn, task_id, self.clock.now())
        if row.status not in statuses:
            raise Conflict(f"instance {instance_id} is {row.status}; this needs it " + " or ".join(statuses))
        loaded = self._load(conn, row, actor, needs_workflow)
        loaded.task = task
        result = action(loaded)
        return result, loaded, self._persist(loaded)

    def create(
        self, conn: Connection, row: Row, actor: Actor, model: CompiledModel, workflow: ApprovalsWorkflow
    ) -> LoadedInstance:
        """A LoadedInstance for an instance row inserted in this transaction (used by start)."""
        version = self.repository.version_number(conn, row.version_id)
        history = HistoryRecorder(row.id, row.version_id, version, 0, "", chain_keys(self.settings, conn))
        loaded = LoadedInstance(
            conn, row, model, version, actor, self.clock.now(), history, workflow, None, row.status
        )
        workflow.context = self.context(actor, model)
        return loaded

    def context(self, actor: Actor, model: CompiledModel) -> CommandContext:
        return CommandContext(
            self.clock,
            actor.name,
            model.decisions,
            timezone=self.timezone,
            work_limit=WorkLimit(self.settings.command_max_elements, self.settings.command_timeout_ms),
        )

    def persist_created(self, loaded: LoadedInstance) -> int:
        """Write a new instance's first state; call ``remember`` once the transaction committed."""
        return self._persist(loaded)

    def remember(self, loaded: LoadedInstance, revision: int) -> None:
        """Keep the workflow of a committed command for the next one."""
        if loaded.workflow is not None:
            self.cache.put(loaded.id, revision, loaded.workflow, loaded.fingerprint)
        for other, other_revision in loaded.related:
            self.remember(other, other_revision)

    def _load(self, conn: Connection, row: Row, actor: Actor, needs_workflow: bool) -> LoadedInstance:
        model = self.repository.compiled(row.version_id)
        version = self.repository.version_number(conn, row.version_id)
        loaded = LoadedInstance(
            conn,
            row,
            model,
            version,
            actor,
            self.clock.now(),
            HistoryRecorder(
                row.id, row.version_id, version, row.last_seq, row.last_hash, chain_keys(self.settings, conn)
            ),
            status=row.status,
            ended_at=row.ended_at,
            sync_inbox=needs_workflow,
        )
        if needs_workflow:
            cached = self.cache.take(row.id, row.revision)
            if cached is None:
                rows = conn.execute(_SELECT_STATES, {"instance_id": row.id}).all()
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

    def _persist(self, loaded: LoadedInstance) -> int:
        conn, row, wf = loaded.conn, loaded.row, loaded.workflow
        values: dict[str, Any] = {}
        if wf is not None:
            if self.calls is not None and loaded.model.calls:
                self.calls.sync(loaded)  # children started, or cancelled, in this transaction
            data = instance_data(wf)
            encoded = self._checked_depth(data, row.data)
            if loaded.status == RUNNING and wf.is_completed():
                loaded.status = COMPLETED
                loaded.ended_at = loaded.now
                loaded.end_with("instance_completed", data=instance_data(wf))
            if self.calls is not None and row.parent_instance_id is not None:
                self.calls.child_ended(loaded)  # the parent moves on (or gets an incident) now
            if loaded.sync_inbox:
                loaded.created_tasks = sync_inbox(
                    conn,
                    instance=row,
                    workflow=wf,
                    model=loaded.model,
                    history=loaded.history,
                    now=loaded.now,
                    actor=loaded.actor.name,
                    suspended=loaded.status == SUSPENDED,
                )
            # Timer and subscription rows, then external-task rows: each table kept in step with what
            # the workflow now waits for, in this transaction.
            for sync in (sync_waits, sync_external):
                sync(
                    conn,
                    instance=row,
                    workflow=wf,
                    model=loaded.model,
                    history=loaded.history,
                    now=loaded.now,
                    actor=loaded.actor.name,
                )
            for kind, name, payload in thrown_events(wf):
                conn.execute(
                    insert(outbox).values(
                        instance_id=row.id,
                        kind=kind,
                        created_at=loaded.now,
                        payload=jsonvalues.dumps({"name": name, "payload": payload}),
                    )
                )
                loaded.history.add(f"{kind}_thrown", loaded.actor.name, loaded.now, name=name)
            if loaded.status == RUNNING and loaded.sync_inbox:
                self._check_stalled(loaded)
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
        return revision

    def _check_stalled(self, loaded: LoadedInstance) -> None:
        def record(message: str, positions: list[str]) -> None:
            loaded.history.add(
                "incident",
                loaded.actor.name,
                loaded.now,
                element_id=positions[0] if positions else None,
                reason=STALLED,
                elements=positions,
                error=message,
            )

        check_stalled(loaded.conn, loaded.row, lambda: token_positions(loaded.workflow), record)


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
