"""The outbox: what the engine tells the world (thrown messages and signals, escalation notices),
written in the command's transaction and delivered by whoever reads the table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from engine import jsonvalues
from engine.runtime.unit_of_work import LoadedInstance, Projection
from engine.spiff.steps import thrown_events
from engine.store.schema import outbox


def post(conn: Connection, instance_id: int, kind: str, payload: dict[str, Any], now: datetime) -> None:
    """One outbox row (the only writer of the table)."""
    conn.execute(
        insert(outbox).values(
            instance_id=instance_id, kind=kind, created_at=now, payload=jsonvalues.dumps(payload)
        )
    )


class Outbox(Projection):
    """Messages and signals the command's elements threw, each also an event of the trail."""

    def project(self, instance: LoadedInstance) -> None:
        for kind, name, payload in thrown_events(instance.workflow):
            post(instance.conn, instance.id, kind, {"name": name, "payload": payload}, instance.now)
            instance.history.add(f"{kind}_thrown", instance.actor.name, instance.now, name=name)
