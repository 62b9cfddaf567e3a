"""Records a process files when an element with a ``record`` property completes.

The element names the kind of record (``record="discount_grant"``) and the process variables it
keeps (``recordFields="amount,quantity,reason,recipient"``). Each record is a row — queryable by
kind and time, kept with the instance, business key and model version — and a history event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine.access import visible_to
from engine.actor import Actor
from engine.store.database import Database
from engine.store.schema import process_instances, records


@dataclass(frozen=True)
class Record:
    id: int
    kind: str
    instance_id: int
    model_key: str
    business_key: str | None
    element_id: str
    data: dict[str, Any]
    created_at: datetime


class RecordService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def list(
        self,
        actor: Actor,
        kind: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Record]:
        query = select(records).join(process_instances, process_instances.c.id == records.c.instance_id)
        condition = visible_to(actor)
        if condition is not None:
            query = query.where(condition)
        if kind:
            query = query.where(records.c.kind == kind)
        if since:
            query = query.where(records.c.created_at >= since)
        if until:
            query = query.where(records.c.created_at < until)
        query = (
            query.order_by(records.c.created_at, records.c.id).limit(max(1, min(limit, 1000))).offset(offset)
        )
        with self.db.read() as conn:
            return [
                Record(
                    r.id,
                    r.kind,
                    r.instance_id,
                    r.model_key,
                    r.business_key,
                    r.element_id,
                    json.loads(r.data),
                    r.created_at,
                )
                for r in conn.execute(query)
            ]
