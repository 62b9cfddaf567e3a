"""Collecting the events of one command and appending them to the instance's keyed chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert

from engine import jsonvalues
from engine.history.chain import event_mac, head_seal, link_content
from engine.history.keys import KeyRing
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
    "key_gen",
)
_INSERT_EVENTS = insert(history_events).values({c: bindparam(c) for c in _COLUMNS})


class HistoryRecorder:
    """Events of one command, each MAC-chained under the key ring's newest generation; ``flush``
    writes them in the command's transaction."""

    def __init__(
        self,
        instance_id: int,
        version_id: int,
        model_version: int,
        last_seq: int,
        last_hash: str,
        keys: KeyRing,
    ) -> None:
        self.generation = keys.signing_generation
        self._key = keys.signing_key
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
        digest = event_mac(
            self._key,
            link_content(
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
            ),
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
                "key_gen": self.generation,
            }
        )
        self.last_seq, self.last_hash = seq, digest

    def head_seal(self) -> str:
        """The instance row's seal over the chain head as it stands after this command."""
        return head_seal(self._key, self.generation, self.instance_id, self.last_seq, self.last_hash)

    def flush(self, conn: Connection) -> None:
        if self._pending:
            fast_writer(conn).executemany(conn, _INSERT_EVENTS, self._pending)
            self._pending = []
