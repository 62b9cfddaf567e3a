"""Starting, reading and controlling process instances."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from engine.clock import Clock
from engine.config import Settings
from engine.errors import Conflict, DataValidationError, InvalidInput, PermissionDenied, Problem
from engine.forms import Form
from engine.identity.actor import PROCESS_OWNER, Actor
from engine.repository.service import RepositoryService
from engine.runtime.business_keys import next_business_key
from engine.runtime.commands import CANCELLED, RUNNING, SUSPENDED, InstanceCommands, LoadedInstance
from engine.runtime.visibility import INSTANCE_COLUMNS, require_visible, visible_to
from engine.spiff.steps import cancel as cancel_workflow
from engine.spiff.steps import initial_data, instance_data
from engine.spiff.workflow import ApprovalsWorkflow
from engine.store.database import Database
from engine.store.schema import model_versions, process_instances, user_tasks
from engine.tasks.views import OPEN

BUSINESS_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}$")
SYSTEM_VARIABLES = ("initiator", "business_key")


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


def _info(row: Any) -> InstanceInfo:
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
    )


class RuntimeService:
    def __init__(
        self,
        db: Database,
        repository: RepositoryService,
        commands: InstanceCommands,
        clock: Clock,
        settings: Settings,
    ) -> None:
        self.db = db
        self.repository = repository
        self.commands = commands
        self.clock = clock
        self.timezone = ZoneInfo(settings.timezone)

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
        data = dict(data or {})
        with self.db.read() as conn:
            version_id = self.repository.resolve_version_id(conn, model_key, version)
        model = self.repository.compiled(version_id)
        starters = model.document.starter_groups
        if starters and not actor.is_admin and not actor.in_any(*starters):
            raise PermissionDenied(f"only members of {', '.join(starters)} may start {model_key}")
        try:
            with self.db.transaction() as conn:
                info, loaded, revision = self.start_in(conn, version_id, actor, data, business_key)
        except IntegrityError as exc:
            if "business_key" not in str(exc):
                raise
            raise Conflict(f"{model_key} already has an instance with business key {business_key!r}")
        self.commands.remember(loaded, revision)
        return info

    def start_in(
        self,
        conn: Connection,
        version_id: int,
        actor: Actor,
        data: dict[str, Any],
        business_key: str | None = None,
        trigger: dict[str, Any] | None = None,
        check_form: bool = True,
    ) -> tuple[InstanceInfo, LoadedInstance, int]:
        """Start an instance inside the caller's transaction (timers and messages start them too).

        The caller commits, then hands ``loaded`` and the revision to ``commands.remember``.
        """
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
                initiator=actor.name,
                started_at=now,
                updated_at=now,
                revision=0,
                state="{}",
                data="{}",
                last_seq=0,
                last_hash="",
            )
        ).inserted_primary_key[0]
        row = conn.execute(select(process_instances).where(process_instances.c.id == instance_id)).one()
        loaded = self.commands.create(conn, row, actor, model, workflow)
        initial_data(
            workflow, {**data, **model.properties, "initiator": actor.name, "business_key": business_key}
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
        loaded.advance()
        revision = self.commands.persist_created(loaded)
        info = InstanceInfo(
            instance_id,
            model_key,
            loaded.model_version,
            version_id,
            business_key,
            loaded.status,
            actor.name,
            now,
            loaded.now,
            loaded.ended_at,
            instance_data(workflow),
        )
        return info, loaded, revision

    def cancel(self, instance_id: int, actor: Actor, reason: str | None = None) -> InstanceInfo:
        def action(loaded: LoadedInstance) -> None:
            if not (actor.is_admin or actor.in_any(PROCESS_OWNER) or loaded.row.initiator == actor.name):
                raise PermissionDenied("only the initiator, a process owner or an admin cancels an instance")
            cancel_workflow(loaded.workflow)
            loaded.status = CANCELLED
            loaded.ended_at = loaded.now
            loaded.history.add("instance_cancelled", actor.name, loaded.now, reason=reason)

        self.commands.run(instance_id, actor, action, statuses=(RUNNING, SUSPENDED))
        return self.get(instance_id, actor)

    def suspend(self, instance_id: int, actor: Actor, reason: str | None = None) -> InstanceInfo:
        return self._set_suspended(instance_id, actor, True, reason)

    def resume(self, instance_id: int, actor: Actor, reason: str | None = None) -> InstanceInfo:
        return self._set_suspended(instance_id, actor, False, reason)

    def _set_suspended(
        self, instance_id: int, actor: Actor, suspend: bool, reason: str | None
    ) -> InstanceInfo:
        if not (actor.is_admin or actor.in_any(PROCESS_OWNER)):
            raise PermissionDenied("only process owners and admins suspend or resume instances")

        def action(loaded: LoadedInstance) -> None:
            loaded.status = SUSPENDED if suspend else RUNNING
            loaded.conn.execute(
                update(user_tasks)
                .where((user_tasks.c.instance_id == loaded.id) & (user_tasks.c.status == OPEN))
                .values(suspended=suspend)
            )
            loaded.history.add(
                "instance_suspended" if suspend else "instance_resumed", actor.name, loaded.now, reason=reason
            )

        self.commands.run(
            instance_id, actor, action, statuses=(RUNNING,) if suspend else (SUSPENDED,), needs_workflow=False
        )
        return self.get(instance_id, actor)

    # --- reading --------------------------------------------------------------------------

    def get(self, instance_id: int, actor: Actor) -> InstanceInfo:
        with self.db.read() as conn:
            return _info(require_visible(conn, instance_id, actor))

    def list(self, actor: Actor, filters: InstanceFilter | None = None) -> list[InstanceInfo]:
        f = filters or InstanceFilter()
        query = select(*INSTANCE_COLUMNS).join(
            model_versions, model_versions.c.id == process_instances.c.version_id
        )
        conditions = [
            c
            for c in (
                visible_to(actor),
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
            return [_info(r) for r in conn.execute(query)]


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
