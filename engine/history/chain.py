"""Hashing of history events. Each event's hash covers its content and the previous event's hash,
so altering, inserting or removing a stored event breaks the chain from that event on."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

GENESIS = ""


def event_hash(
    prev_hash: str,
    instance_id: int,
    seq: int,
    type_: str,
    actor: str | None,
    occurred_at: datetime,
    version_id: int,
    model_version: int,
    element_id: str | None,
    task_id: int | None,
    data: str,
) -> str:
    header = "\x1f".join(
        [
            str(instance_id),
            str(seq),
            type_,
            actor or "",
            occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
            str(version_id),
            str(model_version),
            element_id or "",
            "" if task_id is None else str(task_id),
        ]
    )
    digest = hashlib.sha256()
    digest.update(prev_hash.encode("ascii"))
    digest.update(b"\x1e")
    digest.update(header.encode("utf-8"))
    digest.update(b"\x1e")
    digest.update(data.encode("utf-8"))
    return digest.hexdigest()
