"""Reading and verifying an instance's audit trail."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from engine.errors import NotFound
from engine.history.chain import GENESIS, event_hash
from engine.identity.actor import Actor
from engine.runtime.visibility import require_visible
from engine.store.database import Database
from engine.store.schema import history_events, model_versions, process_instances


@dataclass(frozen=True)
class HistoryEvent:
    seq: int
    type: str
    actor: str | None
    occurred_at: datetime
    model_key: str
    model_version: int
    element_id: str | None
    task_id: int | None
    data: dict[str, Any]
    hash: str


@dataclass(frozen=True)
class ChainVerification:
    instance_id: int
    ok: bool
    events: int
    first_broken_seq: int | None = None
    reason: str | None = None

    def describe(self) -> str:
        if self.ok:
            return f"instance {self.instance_id}: history intact ({self.events} events, hash chain verified)"
        return f"instance {self.instance_id}: history BROKEN at event {self.first_broken_seq}: {self.reason}"


def read_events(conn: Connection, instance_id: int) -> list[HistoryEvent]:
    rows = conn.execute(
        select(history_events, model_versions.c.model_key)
        .join(model_versions, model_versions.c.id == history_events.c.version_id)
        .where(history_events.c.instance_id == instance_id)
        .order_by(history_events.c.seq)
    ).all()
    return [
        HistoryEvent(
            r.seq,
            r.type,
            r.actor,
            r.occurred_at,
            r.model_key,
            r.model_version,
            r.element_id,
            r.task_id,
            json.loads(r.data),
            r.hash,
        )
        for r in rows
    ]


def verify_chain(conn: Connection, instance_id: int) -> ChainVerification:
    instance = conn.execute(
        select(process_instances.c.last_seq, process_instances.c.last_hash).where(
            process_instances.c.id == instance_id
        )
    ).first()
    if instance is None:
        raise NotFound(f"no process instance {instance_id}")
    rows = conn.execute(
        select(history_events)
        .where(history_events.c.instance_id == instance_id)
        .order_by(history_events.c.seq)
    ).all()
    previous = GENESIS
    for expected_seq, row in enumerate(rows, start=1):
        if row.seq != expected_seq:
            return ChainVerification(
                instance_id,
                False,
                len(rows),
                expected_seq,
                f"event {expected_seq} is missing (found {row.seq} next)",
            )
        if row.prev_hash != previous:
            return ChainVerification(
                instance_id,
                False,
                len(rows),
                row.seq,
                "its link to the previous event does not match that event's hash",
            )
        recomputed = event_hash(
            previous,
            instance_id,
            row.seq,
            row.type,
            row.actor,
            row.occurred_at,
            row.version_id,
            row.model_version,
            row.element_id,
            row.task_id,
            row.data,
        )
        if recomputed != row.hash:
            return ChainVerification(
                instance_id,
                False,
                len(rows),
                row.seq,
                f"its content was altered (type {row.type}, stored hash does not match)",
            )
        previous = row.hash
    if len(rows) != instance.last_seq or previous != instance.last_hash:
        return ChainVerification(
            instance_id,
            False,
            len(rows),
            len(rows) + 1 if len(rows) < instance.last_seq else instance.last_seq,
            f"the instance records {instance.last_seq} events ending in "
            f"{instance.last_hash[:12]}…, the log holds {len(rows)}",
        )
    return ChainVerification(instance_id, True, len(rows))


class HistoryService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def events(self, instance_id: int, actor: Actor) -> list[HistoryEvent]:
        """The audit trail of an instance the actor may read (auditors read every instance)."""
        with self.db.read() as conn:
            require_visible(conn, instance_id, actor)
            return read_events(conn, instance_id)

    def verify(self, instance_id: int, actor: Actor) -> ChainVerification:
        with self.db.read() as conn:
            require_visible(conn, instance_id, actor)
            return verify_chain(conn, instance_id)
