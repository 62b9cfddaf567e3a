"""Keeps ``instance_values`` (the data's top-level scalars, engine/datavalues.py) in step with the
instance's data, inside the command that changed it.

Only the fields whose text changed are written: a completion that sets ``approved`` upserts one row
and leaves the others alone, and a command that leaves the data as it was writes nothing.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import bindparam, delete

from engine.datavalues import searchable
from engine.runtime.unit_of_work import LoadedInstance, Projection
from engine.store.fastpath import fast_writer
from engine.store.schema import instance_values
from engine.store.upsert import upsert_statement

_DELETE = delete(instance_values).where(
    (instance_values.c.instance_id == bindparam("instance_id"))
    & (instance_values.c.name == bindparam("name"))
)


class InstanceValues(Projection):
    def __init__(self) -> None:
        self._upserts: dict[str, Any] = {}

    def _upsert(self, dialect: str) -> Any:
        statement = self._upserts.get(dialect)
        if statement is None:
            statement = self._upserts[dialect] = upsert_statement(
                dialect, instance_values, ["instance_id", "name"], ["value"]
            )
        return statement

    def project(self, instance: LoadedInstance) -> None:
        if instance.encoded_data is None or instance.encoded_data == instance.row.data:
            return
        before = searchable(json.loads(instance.row.data))
        after = searchable(instance.data or {})
        changed = [
            {"instance_id": instance.id, "name": name, "value": text}
            for name, text in after.items()
            if before.get(name) != text
        ]
        gone = [{"instance_id": instance.id, "name": name} for name in before if name not in after]
        conn = instance.conn
        writer = fast_writer(conn)
        if changed:
            writer.executemany(conn, self._upsert(conn.dialect.name), changed)
        if gone:
            writer.executemany(conn, _DELETE, gone)
