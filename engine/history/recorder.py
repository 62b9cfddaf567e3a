"""Collecting the events of one command and appending them to the instance's chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert

from engine import jsonvalues
from engine.history.chain import event_hash
from engine.store.fastpath import fast_writer
from engine.store.schema import history_events

_COLUMNS = (
    "instance_id",
    "seq",
    "type",
    "actor",
    "occurred_at",
    "version_id",
    "model_version",
    "element_id",
    "task_id",
    "data",
    "prev_hash",
    "hash",
)
_INSERT_EVENTS = insert(history_events).values({c: bindparam(c) for c in _COLUMNS})


class HistoryRecorder:
    """Events of one command; ``flush`` writes them in the command's transaction."""

    def __init__(
        self, instance_id: int, version_id: int, model_version: int, last_seq: int, last_hash: str
    ) -> None:
        self.instance_id = instance_id
        self.version_id = version_id
        self.model_version = model_version
        self.last_seq = last_seq
        self.last_hash = last_hash
        self._pending: list[dict[str, Any]] = []

    def add(
        self,
        type_: str,
        actor: str | None,
        at: datetime,
        *,
        element_id: str | None = None,
        task_id: int | None = None,
        **data: Any,
    ) -> None:
        seq = self.last_seq + 1
        text = jsonvalues.dumps(data)
        digest = event_hash(
            self.last_hash,
            self.instance_id,
            seq,
            type_,
            actor,
            at,
            self.version_id,
            self.model_version,
            element_id,
            task_id,
            text,
        )
        self._pending.append(
            {
                "instance_id": self.instance_id,
                "seq": seq,
                "type": type_,
                "actor": actor,
                "occurred_at": at,
                "version_id": self.version_id,
                "model_version": self.model_version,
                "element_id": element_id,
                "task_id": task_id,
                "data": text,
                "prev_hash": self.last_hash,
                "hash": digest,
            }
        )
        self.last_seq, self.last_hash = seq, digest

    def flush(self, conn: Connection) -> None:
        if self._pending:
            fast_writer(conn).executemany(conn, _INSERT_EVENTS, self._pending)
            self._pending = []
