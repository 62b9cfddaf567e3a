"""Messages and signals from the outside world.

A message has a name, a correlation key and a payload. It goes to the one instance waiting for
that message name under that key — the instance's business key, unless the model names a
correlation expression for the message (``camunda:property name="correlationKey"`` on the
catching event, or a BPMN correlation property). Its payload is merged into the instance data —
only the fields the catching event declares in its ``payload`` extension property; any other field
refuses the whole message (engine/tasks/scope.py), as it does for signals and for the payload of a
message or signal that starts an instance.
If no instance waits but the latest version of a model starts on that message, a new instance is
started with the payload as its data. A message nobody waits for is refused (no buffering): the
sender learns at once that it went nowhere and can retry.

A signal is broadcast: every instance waiting for it receives it (each in its own transaction),
and every model that starts on it starts an instance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select, true

from engine import access
from engine.actor import Actor
from engine.errors import ApprovalsError, Conflict, InvalidInput, NotFound
from engine.events.correlation import carried_fields, key_from_payload
from engine.repository.service import RepositoryService
from engine.runtime.service import RuntimeService
from engine.runtime.unit_of_work import LoadedInstance, UnitOfWork
from engine.spiff.steps import deliver
from engine.statuses import RUNNING, WAITING
from engine.store.database import Database
from engine.store.schema import event_subscriptions, model_versions, process_instances
from engine.tasks.scope import check_writes, payload_scope


@dataclass(frozen=True)
class Delivery:
    instance_id: int
    element_id: str
    started: bool  # a new instance was started by the event


@dataclass
class SignalReport:
    delivered: list[Delivery] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)  # instance id -> error


def _trigger_properties(model: Any, element_id: str) -> dict[str, str]:
    trigger = model.document.triggers.get(element_id) or next(
        (t for t in model.document.start_triggers if t.element_id == element_id), None
    )
    return trigger.properties if trigger is not None else {}


def _senders(model: Any, element_id: str) -> list[str]:
    raw = _trigger_properties(model, element_id).get("senderGroups", "")
    return [g.strip() for g in raw.split(",") if g.strip()]


def _check_payload(model: Any, element_id: str, kind: str, name: str, payload: dict[str, Any]) -> None:
    scope = payload_scope(_trigger_properties(model, element_id), element_id)
    check_writes(scope, payload, {}, f"{kind} {name!r}")


class EventService:
    def __init__(
        self, db: Database, repository: RepositoryService, runtime: RuntimeService, uow: UnitOfWork
    ) -> None:
        self.db = db
        self.repository = repository
        self.runtime = runtime
        self.uow = uow

    def _check_sender(self, actor: Actor, version_id: int, element_id: str, name: str) -> None:
        senders = _senders(self.repository.compiled(version_id), element_id)
        access.send_event(actor, senders, name).require()

    def correlate_message(
        self,
        name: str,
        correlation_key: str | None,
        data: dict[str, Any] | None,
        actor: Actor,
        business_key: str | None = None,
    ) -> Delivery:
        """Deliver message ``name`` to the one instance waiting for it under ``correlation_key`` (or
        under the correlation property values its payload carries), and, given ``business_key``
        (Camunda's messageName + businessKey), only to the instance with that business key; or start
        an instance on it."""
        access.change_anything(actor).require()
        payload = dict(data or {})
        if not name:
            raise InvalidInput("a message needs a name")
        key = None if correlation_key is None else str(correlation_key)
        with self.db.read() as conn:
            waiting = self._waiting(conn, name, key, business_key, payload)
            starts = [] if waiting else self._start_subscriptions(conn, "message", name)
        if len({w.instance_id for w, _ in waiting}) > 1:
            ids = ", ".join(str(w.instance_id) for w, _ in waiting)
            raise Conflict(
                f"message {name!r} with key {key!r} is awaited by several instances ({ids}); "
                "a message goes to one"
            )
        if waiting:
            subscription, carried = waiting[0]
            self._check_sender(actor, subscription.version_id, subscription.element_id, name)
            payload = {k: v for k, v in payload.items() if k not in carried}
            return self._deliver(
                subscription, "message_received", name, subscription.correlation_key, payload, actor
            )
        if starts:
            start = starts[0]
            self._check_sender(actor, start.version_id, start.element_id, name)
            return self._start(start, "message", name, business_key or key, payload, actor)
        raise NotFound(
            f"no process waits for message {name!r}"
            + (f" with key {key!r}" if key else "")
            + (f" and business key {business_key!r}" if business_key else "")
            + " and none starts on it"
        )

    def _waiting(
        self, conn: Any, name: str, key: str | None, business_key: str | None, payload: dict[str, Any]
    ) -> list[tuple[Any, set[str]]]:
        """The waiting subscriptions the message reaches, each with the payload fields that only carried
        its correlation values (they matched the instance's, so they are not written again)."""
        subs = event_subscriptions.c
        base = (
            (subs.kind == "message")
            & (subs.event_name == name)
            & (subs.status == WAITING)
            & subs.instance_id.is_not(None)
        )
        if business_key is not None:
            base &= subs.instance_id.in_(
                select(process_instances.c.id).where(process_instances.c.business_key == business_key)
            )
        # What each waiting event's correlation properties read from this payload, per model version.
        derived: dict[tuple[int, str], tuple[tuple[str, ...], str | None]] = {}
        for version_id, element_id in conn.execute(
            select(subs.version_id, subs.element_id).where(base).distinct()
        ).all():
            trigger = self.repository.compiled(version_id).document.triggers.get(element_id)
            expressions = trigger.correlation_properties if trigger is not None else ()
            derived[(version_id, element_id)] = (expressions, key_from_payload(expressions, payload))
        if key is not None:
            condition = subs.correlation_key == key
        elif business_key is not None:
            condition = true()
        else:
            # Without a key: the waits that have none, and those whose key the payload carries.
            condition = or_(
                subs.correlation_key.is_(None),
                *(
                    (subs.version_id == version_id)
                    & (subs.element_id == element_id)
                    & (subs.correlation_key == k)
                    for (version_id, element_id), (_, k) in derived.items()
                    if k is not None
                ),
            )
        found = []
        for row in conn.execute(select(event_subscriptions).where(base & condition).order_by(subs.id)).all():
            expressions, carried_key = derived.get((row.version_id, row.element_id), ((), None))
            # Correlation values in the payload that contradict the instance's rule it out.
            if carried_key is None:
                found.append((row, set()))
            elif carried_key == row.correlation_key:
                found.append((row, carried_fields(expressions)))
        return found

    def broadcast_signal(self, name: str, data: dict[str, Any] | None, actor: Actor) -> SignalReport:
        access.change_anything(actor).require()
        payload = dict(data or {})
        report = SignalReport()
        with self.db.read() as conn:
            waiting = conn.execute(
                select(event_subscriptions)
                .where(
                    (event_subscriptions.c.kind == "signal")
                    & (event_subscriptions.c.event_name == name)
                    & (event_subscriptions.c.status == WAITING)
                    & event_subscriptions.c.instance_id.is_not(None)
                )
                .order_by(event_subscriptions.c.id)
            ).all()
            starts = self._start_subscriptions(conn, "signal", name)
        for start in starts:
            # A payload no starting model accepts refuses the broadcast before anyone received it.
            _check_payload(
                self.repository.compiled(start.version_id), start.element_id, "signal", name, payload
            )
        for subscription in waiting:
            try:
                self._check_sender(actor, subscription.version_id, subscription.element_id, name)
                report.delivered.append(
                    self._deliver(subscription, "signal_received", name, None, payload, actor)
                )
            except ApprovalsError as exc:
                report.failed[subscription.instance_id] = str(exc)  # with the fields it names
        for start in starts:
            self._check_sender(actor, start.version_id, start.element_id, name)
            report.delivered.append(self._start(start, "signal", name, None, payload, actor))
        return report

    def _start_subscriptions(self, conn: Any, kind: str, name: str) -> list[Any]:
        latest = (
            select(model_versions.c.model_key, func.max(model_versions.c.id).label("version_id"))
            .group_by(model_versions.c.model_key)
            .subquery()
        )
        return conn.execute(
            select(event_subscriptions)
            .join(latest, latest.c.version_id == event_subscriptions.c.version_id)
            .where(
                (event_subscriptions.c.kind == kind)
                & (event_subscriptions.c.event_name == name)
                & (event_subscriptions.c.status == WAITING)
                & event_subscriptions.c.instance_id.is_(None)
            )
        ).all()

    def _deliver(
        self, subscription: Any, event: str, name: str, key: str | None, payload: dict[str, Any], actor: Actor
    ) -> Delivery:
        kind = "message" if event == "message_received" else "signal"

        def action(loaded: LoadedInstance) -> None:
            _check_payload(loaded.model, subscription.element_id, kind, name, payload)
            loaded.history.add(
                event,
                actor.name,
                loaded.now,
                element_id=subscription.element_id,
                name=name,
                correlation_key=key,
                data=payload,
            )
            loaded.record_steps(
                deliver(loaded.workflow, subscription.spiff_task_id, subscription.element_id, payload, name)
            )

        self.uow.run(subscription.instance_id, actor, action, statuses=(RUNNING,))
        return Delivery(subscription.instance_id, subscription.element_id, started=False)

    def _start(
        self, start: Any, kind: str, name: str, key: str | None, payload: dict[str, Any], actor: Actor
    ) -> Delivery:
        model = self.repository.compiled(start.version_id)
        _check_payload(model, start.element_id, kind, name, payload)
        business_key = key if key is not None and not model.info.get("business_key_prefix") else None
        with self.uow.transaction() as tx:
            info, _ = self.runtime.start_in(
                tx,
                start.version_id,
                actor,
                payload,
                business_key,
                trigger={"kind": kind, "element_id": start.element_id, "name": name, "correlation_key": key},
            )
        return Delivery(info.id, start.element_id, started=True)
