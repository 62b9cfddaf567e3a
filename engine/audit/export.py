"""An instance's whole trail as a file an auditor takes away: JSON (everything, as stored) or CSV
(one row per event, for a spreadsheet)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from engine import jsonvalues
from engine.audit.service import InstanceAudit
from engine.runtime.export import cell as spreadsheet_cell

CSV_COLUMNS = ("seq", "occurred_at", "type", "actor", "element_id", "element_name", "task_id", "data", "hash")


def trail_document(audit: InstanceAudit) -> dict[str, Any]:
    instance, version, check = audit.instance, audit.version, audit.verification
    return {
        "instance": {
            "id": instance.id,
            "model_key": instance.model_key,
            "model_version": instance.model_version,
            "business_key": instance.business_key,
            "status": instance.status,
            "initiator": instance.initiator,
            "started_at": instance.started_at.isoformat(),
            "ended_at": instance.ended_at.isoformat() if instance.ended_at else None,
        },
        "version": {
            "model_key": version.model_key,
            "version": version.version,
            "content_hash": version.content_hash,
            "deployed_by": version.deployed_by,
            "deployed_at": version.deployed_at.isoformat(),
            "files": [{"name": f.name, "kind": f.kind, "sha256": f.sha256} for f in version.files],
        },
        "verification": {
            "ok": check.ok,
            "events": check.events,
            "first_broken_seq": check.first_broken_seq,
            "reason": check.reason,
            "summary": check.describe(),
        },
        "events": [
            {
                "seq": e.seq,
                "type": e.type,
                "actor": e.actor,
                "occurred_at": e.occurred_at.isoformat(),
                "model_version": e.model_version,
                "element_id": e.element_id,
                "element_name": audit.element_names.get(e.element_id or ""),
                "task_id": e.task_id,
                "data": e.data,
                "hash": e.hash,
            }
            for e in audit.events
        ],
    }


def trail_json(audit: InstanceAudit) -> str:
    return json.dumps(trail_document(audit), ensure_ascii=False, indent=2, default=str) + "\n"


def trail_csv(audit: InstanceAudit) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for e in audit.events:
        row = (
            e.seq,
            e.occurred_at.isoformat(),
            e.type,
            e.actor,
            e.element_id,
            audit.element_names.get(e.element_id or ""),
            e.task_id,
            jsonvalues.dumps(e.data),
            e.hash,
        )
        writer.writerow([spreadsheet_cell(v) for v in row])
    # A byte order mark: Excel opens UTF-8 (the Chinese names) correctly only with it.
    return "\ufeff" + out.getvalue()
