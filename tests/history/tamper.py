"""What an attacker with write access to the database does to a trail (test helper).

``rewrite`` changes events and then recomputes every later link and the instance row, either with
plain SHA-256 (the attacker has the database but not the key) or with the real MAC key (the
attacker also stole the key: only a checkpoint can tell).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update

from engine.history.chain import GENESIS, event_hash, event_mac, head_seal, link_content
from engine.store.schema import history_events, metadata, process_instances


def events(engine, instance_id: int) -> list[dict[str, Any]]:
    with engine.db.read() as conn:
        rows = conn.execute(
            select(history_events)
            .where(history_events.c.instance_id == instance_id)
            .order_by(history_events.c.seq)
        ).all()
    return [dict(r._mapping) for r in rows]


def _link(event: dict[str, Any], previous: str, key: bytes | None) -> str:
    content = (
        previous,
        event["instance_id"],
        event["seq"],
        event["type"],
        event["actor"],
        event["occurred_at"],
        event["version_id"],
        event["model_version"],
        event["element_id"],
        event["task_id"],
        event["data"],
    )
    return event_mac(key, link_content(*content)) if key is not None else event_hash(link_content(*content))


def store(
    engine,
    instance_id: int,
    chain: list[dict[str, Any]],
    *,
    relink_from: int = 1,
    key: bytes | None = None,
    generation: int | None = None,
    unkeyed: bool = False,
    seal: bool = False,
) -> None:
    """Replace the instance's events by ``chain``, relinking from ``relink_from`` on (plain SHA-256
    unless ``key``), and point the instance row at the new head (sealed only if ``seal``)."""
    previous = GENESIS
    for event in chain:
        if event["seq"] >= relink_from:
            event["prev_hash"] = previous
            if unkeyed:
                event["key_gen"] = None
            elif generation is not None:
                event["key_gen"] = generation
            event["hash"] = _link(event, previous, key if event["key_gen"] is not None else None)
        previous = event["hash"]
    values: dict[str, Any] = {"last_seq": chain[-1]["seq"] if chain else 0, "last_hash": previous}
    if seal:
        values["head_seal"] = head_seal(key, generation, instance_id, values["last_seq"], previous)
    with engine.db.transaction() as conn:
        conn.execute(delete(history_events).where(history_events.c.instance_id == instance_id))
        for event in chain:
            conn.execute(history_events.insert().values({k: v for k, v in event.items() if k != "id"}))
        conn.execute(update(process_instances).where(process_instances.c.id == instance_id).values(**values))


def delete_instance(engine, instance_id: int) -> None:
    """Remove an instance and everything of it, as a database writer could."""
    with engine.db.transaction() as conn:
        for table in reversed(metadata.sorted_tables):
            if "instance_id" in table.c and table is not history_events:
                conn.execute(delete(table).where(table.c.instance_id == instance_id))
        conn.execute(delete(history_events).where(history_events.c.instance_id == instance_id))
        conn.execute(delete(process_instances).where(process_instances.c.id == instance_id))
