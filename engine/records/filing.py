"""Filing a record when an element with a ``record`` property completes (see records/service.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from engine import jsonvalues
from engine.repository.bpmn_document import RecordSpec
from engine.runtime.unit_of_work import LoadedInstance, Projection
from engine.spiff.steps import Step
from engine.store.schema import records


def file_record(
    conn: Connection, *, instance: Any, spec: RecordSpec, element_id: str, data: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """Write the record; return what it keeps (for the history event)."""
    kept = {field: data.get(field) for field in spec.fields} if spec.fields else dict(data)
    conn.execute(
        insert(records).values(
            kind=spec.kind,
            instance_id=instance.id,
            model_key=instance.model_key,
            version_id=instance.version_id,
            business_key=instance.business_key,
            element_id=element_id,
            data=jsonvalues.dumps(kept),
            created_at=now,
        )
    )
    return kept


class RecordFiling(Projection):
    def step(self, instance: LoadedInstance, step: Step) -> None:
        spec = instance.model.document.records.get(step.element_id)
        if spec is None or step.wraps_instances:
            return
        kept = file_record(
            instance.conn,
            instance=instance.row,
            spec=spec,
            element_id=step.element_id,
            data=step.data,
            now=instance.now,
        )
        instance.history.add(
            "record_filed",
            instance.actor.name,
            instance.now,
            element_id=step.element_id,
            kind=spec.kind,
            data=kept,
        )
