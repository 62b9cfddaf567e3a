"""The link of one history event to the previous one.

Each event's hash covers its content and the previous event's hash, so altering, inserting or
removing a stored event breaks the chain from that event on. Plain SHA-256 (``event_hash``) only
shows accidents: anyone who can write the database can recompute it. Events are therefore
chained with HMAC-SHA-256 under a key kept outside the database (``event_mac``); the plain form
stays for events written before the chain was keyed (migration 0005) and for reading them.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

GENESIS = ""


def link_content(
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
) -> bytes:
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
    return b"\x1e".join([prev_hash.encode("ascii"), header.encode("utf-8"), data.encode("utf-8")])


def event_hash(content: bytes) -> str:
    """Plain SHA-256 link over ``link_content(...)`` (events written before the chain was keyed)."""
    return hashlib.sha256(content).hexdigest()


def event_mac(key: bytes, content: bytes) -> str:
    """HMAC-SHA-256 link over ``link_content(...)``: only a holder of ``key`` can produce or recompute it."""
    return hmac.new(key, content, hashlib.sha256).hexdigest()


def head_seal(key: bytes, generation: int, instance_id: int, last_seq: int, last_hash: str) -> str:
    """The instance row's seal over its chain head, ``"<generation>:<last seq>:<hex>"``.

    Without it, deleting the newest events and pointing the instance row at the new last event
    would leave a valid (shorter) chain; with it, the row can only be moved back to a head it
    once had (which only a checkpoint detects).
    """
    content = f"head\x1f{instance_id}\x1f{last_seq}\x1f{last_hash}".encode("ascii")
    return f"{generation}:{last_seq}:{hmac.new(key, content, hashlib.sha256).hexdigest()}"
