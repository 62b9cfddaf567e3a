"""Reading and verifying an instance's audit trail."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from engine.access import require_visible
from engine.actor import Actor
from engine.config import Settings
from engine.history.keys import chain_keys
from engine.history.verify import ChainVerification, snapshot, verify_chain
from engine.store.database import Database
from engine.store.schema import history_events, model_versions

__all__ = ["ChainVerification", "HistoryEvent", "HistoryService", "read_events"]


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


class HistoryService:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    def events(self, instance_id: int, actor: Actor) -> list[HistoryEvent]:
        """The audit trail of an instance the actor may read (auditors read every instance)."""
        with self.db.read() as conn:
            require_visible(conn, instance_id, actor)
            return read_events(conn, instance_id)

    def verify(self, instance_id: int, actor: Actor) -> ChainVerification:
        with snapshot(self.db) as conn:
            require_visible(conn, instance_id, actor)
            return verify_chain(conn, instance_id, chain_keys(self.settings, conn))
