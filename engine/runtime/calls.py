"""Call activities: a child process instance per call, linked to its parent (Camunda 7 semantics).

A call activity waits (engine/spiff/call_activity.py) while the engine runs a child instance of
the called model. Everything happens inside the commands that hold the locks:

- the parent's command that reaches a call activity starts the child in the same transaction
  (``sync``), and notes it in ``instance_calls``; a call that cannot start (no such model or
  version, too deep, the business key taken) becomes an incident on the parent — it never waits
  silently;
- the child's command that completes it completes the parent's waiting call activity with the
  output mappings and advances the parent (``child_ended``), in the same transaction: locks are
  taken child first, then parent;
- a call activity that stops waiting for another reason (the parent cancelled, an interrupting
  boundary event) cancels its child, recursively; a cancel of the parent locks its descendants,
  deepest first, before the parent (``lock_descendants``), so the two orders never cross;
- a child cancelled on its own (by an admin) leaves an incident on its parent.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, insert, select, text, update
from sqlalchemy.exc import OperationalError

from engine import access
from engine.actor import Actor
from engine.errors import (
    ApprovalsError,
    ConcurrentModification,
    Conflict,
    InvalidInput,
    NotFound,
    Problem,
    WorkflowError,
)
from engine.runtime.stalls import PROBES
from engine.runtime.unit_of_work import LoadedInstance, Projection, UnitOfWork
from engine.scripting.sandbox import evaluate
from engine.spiff.call_activity import (
    PARENT_BUSINESS_KEY,
    CallDefinition,
    Mapping,
    PendingCall,
    call_is_waiting,
    ended_with_error,
    finish_call,
    throw_call_error,
    waiting_calls,
)
from engine.spiff.steps import cancel as cancel_workflow
from engine.spiff.steps import instance_data
from engine.statuses import CANCELLED, COMPLETED, INCIDENT, RESOLVED, RUNNING, SUSPENDED
from engine.store.schema import instance_calls, model_versions, process_instances

# A model calling itself (directly or round a cycle) would start instances for ever inside one command.
MAX_CALL_DEPTH = 10
_SYSTEM_VARIABLES = ("initiator", "business_key")
_EXPRESSION = re.compile(r"^[$#]\{(.+)\}$", re.S)
_OPEN = (RUNNING, INCIDENT)


class CallProblem(Exception):
    """Why a call activity cannot start its child: an incident on the parent."""


class CallActivities(Projection):
    """Child instances of call activities, started, cancelled and heard from in the commands of
    their parents and children (a projection: the unit of work calls it in every command)."""

    def __init__(self, uow: UnitOfWork, start_in: Callable[..., tuple[Any, LoadedInstance]]) -> None:
        self.uow = uow
        self.start_in = start_in  # RuntimeService.start_in: a child starts like any instance
        self.repository = uow.repository

    def settle(self, instance: LoadedInstance) -> None:
        if instance.model.calls:
            self.sync(instance)  # children started, or cancelled, in this transaction

    def project(self, instance: LoadedInstance) -> None:
        if instance.row.parent_instance_id is not None:
            self.child_ended(instance)  # the parent moves on (or gets an incident) now

    # --- the parent's side ---------------------------------------------------------------------

    def sync(self, loaded: LoadedInstance) -> None:
        """Start a child for each call activity that began waiting; cancel the children of calls
        that stopped waiting. Runs in each command of an instance whose model has call activities."""
        conn = loaded.conn
        for _ in range(10_000):  # each round starts at least one child or stops
            rows = {
                r.parent_spiff_task_id: r
                for r in conn.execute(
                    select(instance_calls).where(
                        (instance_calls.c.parent_instance_id == loaded.id)
                        & instance_calls.c.status.in_(_OPEN)
                    )
                )
            }
            waiting = {p.spiff_task_id: p for p in waiting_calls(loaded.workflow)}
            for task_id, row in rows.items():
                if task_id not in waiting:
                    self._call_ended_in_parent(loaded, row)
            new = [p for task_id, p in waiting.items() if task_id not in rows]
            if not new:
                return
            advanced = False
            for pending in new:
                # A child that ended at once moved the parent on: is this call still waiting?
                if not advanced or call_is_waiting(loaded.workflow, pending.spiff_task_id):
                    advanced |= self._start_child(loaded, pending)
            if not advanced:
                return

    def _call_ended_in_parent(self, loaded: LoadedInstance, row: Any) -> None:
        """The call activity no longer waits though its child runs: the parent was cancelled, or an
        interrupting event on the call activity took the parent elsewhere. Cancel the child."""
        status = CANCELLED
        if row.status == RUNNING and row.child_instance_id is not None:
            reason = (
                f"parent instance {loaded.id} was cancelled"
                if loaded.status == CANCELLED
                else f"call activity '{row.parent_element_id}' of instance {loaded.id} was interrupted"
            )
            self._cancel_child(loaded, row.child_instance_id, reason)
        elif row.status == INCIDENT:
            status = RESOLVED
        loaded.conn.execute(
            update(instance_calls)
            .where(instance_calls.c.id == row.id)
            .values(status=status, ended_at=loaded.now)
        )

    def _cancel_child(self, parent: LoadedInstance, child_id: int, reason: str) -> None:
        conn = parent.conn
        status = conn.scalar(select(process_instances.c.status).where(process_instances.c.id == child_id))
        if status not in (RUNNING, SUSPENDED):
            return
        if not self.uow.db.is_sqlite:
            # Parent before child is the reverse of the usual order: never wait for the child here
            # (a cancel of the parent holds it already, see lock_descendants).
            try:
                conn.execute(
                    text("SELECT id FROM process_instances WHERE id = :id FOR UPDATE NOWAIT"),
                    {"id": child_id},
                )
            except OperationalError:
                raise ConcurrentModification(
                    f"child instance {child_id} is busy with another command; try again"
                ) from None

        def action(child: LoadedInstance) -> None:
            cancel_workflow(child.workflow)
            child.status = CANCELLED
            child.ended_at = child.now
            child.cancelled_by_parent = True
            child.end_with("instance_cancelled", reason=reason)

        parent.tx.run(child_id, parent.actor, action, statuses=(RUNNING, SUSPENDED))

    def _start_child(self, loaded: LoadedInstance, pending: PendingCall) -> bool:
        """Start the child of ``pending``; True if the parent moved on (the child ended at once)."""
        definition = pending.definition
        conn = loaded.conn
        key = definition.called_element
        try:
            key = self._called_key(definition, pending.data)
            version_id = self._version(conn, loaded, key, definition, pending.data)
            if self._depth(conn, loaded.row) + 1 > MAX_CALL_DEPTH:
                raise CallProblem(
                    f"calls are nested more than {MAX_CALL_DEPTH} deep (does a model call itself?)"
                )
            child_model = self.repository.compiled(version_id)
            reserved = set(_SYSTEM_VARIABLES) | set(child_model.properties)
            data = {k: v for k, v in _mapped(definition.inputs, pending.data).items() if k not in reserved}
            business_key = self._business_key(definition, loaded, pending.data)
            # A savepoint: a child that cannot start leaves nothing behind but the incident.
            with conn.begin_nested():
                info, child = self.start_in(
                    loaded.tx,
                    version_id,
                    loaded.actor,
                    data,
                    business_key,
                    check_form=False,
                    initiator=loaded.row.initiator,
                    parent=(loaded.id, definition.element_id, pending.spiff_task_id),
                )
        except CallProblem as exc:
            self._incident(loaded, pending, key, str(exc))
            return False
        except (Conflict, NotFound, InvalidInput) as exc:
            self._incident(loaded, pending, key, exc.message)
            return False
        loaded.history.add(
            "call_activity_started",
            loaded.actor.name,
            loaded.now,
            element_id=definition.element_id,
            child_instance_id=info.id,
            model_key=info.model_key,
            model_version=info.model_version,
            data=data,
        )
        ended = child.status == COMPLETED
        conn.execute(
            insert(instance_calls).values(
                parent_instance_id=loaded.id,
                parent_element_id=definition.element_id,
                parent_spiff_task_id=pending.spiff_task_id,
                called_key=key,
                child_instance_id=info.id,
                status=COMPLETED if ended else RUNNING,
                created_at=loaded.now,
                ended_at=loaded.now if ended else None,
            )
        )
        if ended:
            self._finish(loaded, definition, pending.spiff_task_id, info.id, instance_data(child.workflow))
        return ended

    def _incident(self, loaded: LoadedInstance, pending: PendingCall, key: str, error: str) -> None:
        element_id = pending.definition.element_id
        message = f"call activity '{element_id}' cannot start '{key}': {error}"
        loaded.conn.execute(
            insert(instance_calls).values(
                parent_instance_id=loaded.id,
                parent_element_id=element_id,
                parent_spiff_task_id=pending.spiff_task_id,
                called_key=key[:200],
                status=INCIDENT,
                error=message,
                created_at=loaded.now,
            )
        )
        loaded.history.add(
            "incident", loaded.actor.name, loaded.now, element_id=element_id, called=key, error=message
        )

    def _finish(
        self,
        loaded: LoadedInstance,
        definition: CallDefinition,
        spiff_task_id: str,
        child_id: int,
        child_data: dict[str, Any],
    ) -> None:
        """Complete the parent's call activity with the output mappings, and advance the parent."""
        out = _outputs(definition, child_data)
        finish_call(loaded.workflow, spiff_task_id, out)
        loaded.history.add(
            "call_activity_completed",
            loaded.actor.name,
            loaded.now,
            element_id=definition.element_id,
            child_instance_id=child_id,
            data=out,
        )
        loaded.advance()

    def _called_key(self, definition: CallDefinition, data: dict[str, Any]) -> str:
        expression = definition.called_expression
        if expression is None:
            return definition.called_element
        value = _evaluate(expression, data, "calledElement")
        if not isinstance(value, str) or not value:
            raise CallProblem(f"calledElement {definition.called_element!r} gave {value!r}, not a model key")
        return value

    def _version(
        self, conn: Connection, loaded: LoadedInstance, key: str, definition: CallDefinition, data: dict
    ) -> int:
        if definition.binding == "deployment":
            # Deployed together: the called model's version stored from the same bundle.
            version_id = conn.scalar(
                select(model_versions.c.id)
                .where(
                    (model_versions.c.model_key == key)
                    & (
                        model_versions.c.content_hash
                        == select(model_versions.c.content_hash)
                        .where(model_versions.c.id == loaded.row.version_id)
                        .scalar_subquery()
                    )
                )
                .order_by(model_versions.c.version.desc())
                .limit(1)
            )
            if version_id is None:
                raise CallProblem(f"no model '{key}' was deployed together with this one")
            return version_id
        number = None
        if definition.binding == "version":
            text_value = definition.version or ""
            match = _EXPRESSION.match(text_value)
            value = _evaluate(match.group(1), data, "calledElementVersion") if match else text_value
            try:
                number = int(value)
            except (TypeError, ValueError):
                raise CallProblem(f"calledElementVersion gave {value!r}, not a version number") from None
        try:
            return self.repository.resolve_version_id(conn, key, number)
        except NotFound as exc:
            raise CallProblem(exc.message) from None

    def _business_key(self, definition: CallDefinition, loaded: LoadedInstance, data: dict) -> str | None:
        given = definition.business_key
        if given is None:
            return None
        match = _EXPRESSION.match(given)
        if match is None:
            return given
        if match.group(1).strip() == PARENT_BUSINESS_KEY:
            return loaded.row.business_key
        value = _evaluate(match.group(1), data, "businessKey")
        return None if value is None else str(value)

    def _depth(self, conn: Connection, row: Any) -> int:
        depth, parent = 0, row.parent_instance_id
        while parent is not None and depth <= MAX_CALL_DEPTH:
            depth += 1
            parent = conn.scalar(
                select(process_instances.c.parent_instance_id).where(process_instances.c.id == parent)
            )
        return depth

    # --- the child's side ----------------------------------------------------------------------

    def child_ended(self, loaded: LoadedInstance) -> None:
        """The child ``loaded`` completed or was cancelled in this command: tell its parent."""
        row = loaded.row
        if row.parent_instance_id is None or loaded.started_by_parent or loaded.status == row.status:
            return
        if loaded.status == COMPLETED:
            self._child_completed(loaded)
        elif loaded.status == CANCELLED and not loaded.cancelled_by_parent:
            self._child_cancelled(loaded)

    def _open_call(self, conn: Connection, child_id: int) -> Any:
        return conn.execute(
            select(instance_calls).where(
                (instance_calls.c.child_instance_id == child_id) & (instance_calls.c.status == RUNNING)
            )
        ).first()

    def _child_completed(self, child: LoadedInstance) -> None:
        call = self._open_call(child.conn, child.id)
        if call is None:
            return
        child_data = instance_data(child.workflow)
        error = ended_with_error(child.workflow)

        def action(parent: LoadedInstance) -> None:
            definition = parent.model.calls.get(call.parent_element_id)
            if definition is None or not call_is_waiting(parent.workflow, call.parent_spiff_task_id):
                return
            parent.conn.execute(
                update(instance_calls)
                .where(instance_calls.c.id == call.id)
                .values(status=COMPLETED, ended_at=parent.now)
            )
            if error is None:
                self._finish(parent, definition, call.parent_spiff_task_id, child.id, child_data)
                return
            # An error end event in the child is a BPMN error thrown at the call activity (Camunda).
            caught_by, steps = throw_call_error(
                parent.workflow, call.parent_spiff_task_id, error, _outputs(definition, child_data)
            )
            parent.history.add(
                "call_activity_error",
                parent.actor.name,
                parent.now,
                element_id=definition.element_id,
                child_instance_id=child.id,
                error_code=error,
                caught_by=caught_by,
            )
            parent.record_steps(steps)

        self._on_parent(child, call.parent_instance_id, action, (RUNNING,))

    def _child_cancelled(self, child: LoadedInstance) -> None:
        call = self._open_call(child.conn, child.id)
        if call is None:
            return
        message = (
            f"child instance {child.id} of call activity '{call.parent_element_id}' was cancelled by "
            f"{child.actor.name}: the parent waits until an admin resolves it"
        )
        child.conn.execute(
            update(instance_calls)
            .where(instance_calls.c.id == call.id)
            .values(status=INCIDENT, error=message)
        )

        def action(parent: LoadedInstance) -> None:
            parent.history.add(
                "incident",
                child.actor.name,
                parent.now,
                element_id=call.parent_element_id,
                child_instance_id=child.id,
                error=message,
            )

        self._on_parent(child, call.parent_instance_id, action, (RUNNING, SUSPENDED), needs_workflow=False)

    def _on_parent(
        self,
        child: LoadedInstance,
        parent_id: int,
        action: Any,
        statuses: tuple[str, ...],
        needs_workflow: bool = True,
    ) -> None:
        try:
            child.tx.run(parent_id, child.actor, action, statuses=statuses, needs_workflow=needs_workflow)
        except Conflict as exc:
            raise Conflict(
                f"instance {child.id} cannot end while its parent instance {parent_id} cannot go on: "
                f"{exc.message}"
            ) from None

    # --- admins --------------------------------------------------------------------------------

    def retry(self, instance_id: int, actor: Actor, call_id: int | None = None) -> int:
        """Try again every call activity of the instance that is an incident (a missing model
        deployed since, a cancelled child), or only the call ``call_id``; returns how many were
        retried. Under the instance's lock: of two admins retrying at once, the second finds nothing
        left to retry (Conflict)."""
        access.retry_incidents(actor).require()

        def action(loaded: LoadedInstance) -> int:
            which = (instance_calls.c.parent_instance_id == loaded.id) & (instance_calls.c.status == INCIDENT)
            if call_id is not None:
                which = which & (instance_calls.c.id == call_id)
            resolved = loaded.conn.execute(
                update(instance_calls).where(which).values(status=RESOLVED, ended_at=loaded.now)
            ).rowcount
            if not resolved:
                raise Conflict(f"instance {loaded.id} has no call activity incident to retry")
            loaded.history.add(
                "incident_retried",
                actor.name,
                loaded.now,
                kind="call_activity",
                calls=resolved,
                **({"call_id": call_id} if call_id is not None else {}),
            )
            return resolved

        return self.uow.run(instance_id, actor, action)[0]


def _evaluate(expression: str, data: dict[str, Any], what: str) -> Any:
    try:
        return evaluate(expression, data)
    except ApprovalsError as exc:
        raise CallProblem(f"{what} ${{{expression}}} failed: {exc.message}") from None
    except Exception as exc:  # the model's expression failed: say so on the parent
        raise CallProblem(f"{what} ${{{expression}}} failed: {type(exc).__name__}: {exc}") from None


def _outputs(definition: CallDefinition, child_data: dict[str, Any]) -> dict[str, Any]:
    """The camunda:out mappings over the child's final data. A failing expression fails the command
    that ended the child (it is rolled back), naming the call activity."""
    try:
        out = _mapped(definition.outputs, child_data)
    except CallProblem as exc:
        message = f"call activity '{definition.element_id}': {exc}"
        raise WorkflowError(message, [Problem(str(exc), element_id=definition.element_id)]) from None
    return {k: v for k, v in out.items() if k not in _SYSTEM_VARIABLES}


def _mapped(mappings: tuple[Mapping, ...], data: dict[str, Any]) -> dict[str, Any]:
    """Camunda's camunda:in / camunda:out: without any mapping nothing is passed."""
    result: dict[str, Any] = {}
    for mapping in mappings:
        if mapping.all:
            result.update(data)
        elif mapping.source_expression is not None:
            result[mapping.target] = _evaluate(mapping.source_expression, data, "sourceExpression")
        else:
            result[mapping.target] = data.get(mapping.source)
    return result


def call_children(conn: Connection, instance_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The call activities of each instance: the child each started (or the incident), oldest first."""
    found: dict[int, list[dict[str, Any]]] = {}
    if not instance_ids:
        return found
    rows = conn.execute(
        select(instance_calls)
        .where(instance_calls.c.parent_instance_id.in_(instance_ids))
        .order_by(instance_calls.c.id)
    )
    for r in rows:
        found.setdefault(r.parent_instance_id, []).append(
            {
                "instance_id": r.child_instance_id,
                "element_id": r.parent_element_id,
                "model_key": r.called_key,
                "status": r.status,
                "error": r.error,
            }
        )
    return found


def _calls_probe(conn: Connection, instance_id: int) -> list[str]:
    """What a parent waits for at its call activities (runtime/stalls.py)."""
    return [
        f"child instance {r.child_instance_id} ({r.called_key}) at {r.parent_element_id}"
        if r.status == RUNNING
        else f"incident: {r.error} (an admin may retry it)"
        for r in conn.execute(
            select(instance_calls)
            .where((instance_calls.c.parent_instance_id == instance_id) & instance_calls.c.status.in_(_OPEN))
            .order_by(instance_calls.c.id)
        )
    ]


PROBES.append(_calls_probe)


def lock_descendants(conn: Connection, instance_id: int, on_postgres: bool) -> None:
    """Lock the running descendants of an instance, deepest first, before the instance itself:
    the order a child's completion takes (child, then parent), so a cancel never deadlocks it."""
    if not on_postgres:
        return  # SQLite: the transaction holds the database's one write lock
    levels: list[list[int]] = []
    frontier = [instance_id]
    while frontier and len(levels) <= MAX_CALL_DEPTH + 1:
        frontier = list(
            conn.scalars(
                select(process_instances.c.id).where(
                    process_instances.c.parent_instance_id.in_(frontier)
                    & process_instances.c.status.in_((RUNNING, SUSPENDED))
                )
            )
        )
        if frontier:
            levels.append(frontier)
    for level in reversed(levels):
        for child_id in sorted(level):
            conn.execute(
                select(process_instances.c.id).where(process_instances.c.id == child_id).with_for_update()
            )
