"""Verifying an instance's chain: every link, which key generation signed it, and the row's seal."""

from __future__ import annotations

import hmac
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Connection, Row, select

from engine.errors import NotFound
from engine.history.chain import GENESIS, event_hash, event_mac, head_seal, link_content
from engine.history.keys import KeyRing
from engine.store.database import Database
from engine.store.schema import history_events, process_instances


@dataclass(frozen=True)
class KeySegment:
    """A run of consecutive events signed by one key generation (None: plain SHA-256, unkeyed)."""

    generation: int | None
    first_seq: int
    last_seq: int

    def describe(self) -> str:
        events = (
            f"event {self.first_seq}"
            if self.first_seq == self.last_seq
            else (f"events {self.first_seq}-{self.last_seq}")
        )
        if self.generation is None:
            return f"{events} unkeyed (plain SHA-256, from before the chain was keyed: weaker)"
        return f"{events} signed by key generation {self.generation}"


@dataclass(frozen=True)
class ChainVerification:
    instance_id: int
    ok: bool
    events: int
    first_broken_seq: int | None = None
    reason: str | None = None
    # What verified before the first broken event (everything, when ok).
    segments: tuple[KeySegment, ...] = field(default=())

    @property
    def unkeyed_events(self) -> int:
        return sum(s.last_seq - s.first_seq + 1 for s in self.segments if s.generation is None)

    def describe(self) -> str:
        signed = "; ".join(s.describe() for s in self.segments)
        if self.ok:
            return f"instance {self.instance_id}: history intact ({self.events} events: {signed or 'none'})"
        text = f"instance {self.instance_id}: history BROKEN at event {self.first_broken_seq}: {self.reason}"
        return text + (f" (verified before it: {signed})" if signed else "")


class _Walk:
    """Segments of key generations as the walk goes."""

    def __init__(self) -> None:
        self.segments: list[KeySegment] = []

    def add(self, generation: int | None, seq: int) -> None:
        last = self.segments[-1] if self.segments else None
        if last is not None and last.generation == generation and last.last_seq == seq - 1:
            self.segments[-1] = KeySegment(generation, last.first_seq, seq)
        else:
            self.segments.append(KeySegment(generation, seq, seq))


def _link_problem(row: Row, instance_id: int, previous: str, keys: KeyRing, keyed_before: bool) -> str | None:
    """Why this event's stored MAC (or hash) does not verify, or None."""
    content = (
        previous,
        instance_id,
        row.seq,
        row.type,
        row.actor,
        row.occurred_at,
        row.version_id,
        row.model_version,
        row.element_id,
        row.task_id,
        row.data,
    )
    if row.key_gen is None:
        if keyed_before:
            return "it is unkeyed (plain SHA-256) after keyed events; a keyed chain never goes back"
        if instance_id > keys.unkeyed_through:
            return (
                f"it is unkeyed (plain SHA-256), but only instances up to {keys.unkeyed_through} were "
                "chained before the key existed: it was rewritten without the key"
            )
        if event_hash(link_content(*content)) != row.hash:
            return f"its content was altered (type {row.type}, stored hash does not match)"
        return None
    key = keys.keys.get(row.key_gen)
    if key is None:
        return (
            f"it is signed by key generation {row.key_gen}, which the key ring ({keys.source}) does not "
            f"hold (it holds {', '.join(map(str, keys.generations))}): it cannot be verified"
        )
    if not hmac.compare_digest(event_mac(key, link_content(*content)), row.hash):
        return (
            f"its content was altered or its MAC recomputed without the key (type {row.type}, "
            f"key generation {row.key_gen} does not match)"
        )
    return None


def verify_rows(instance: Row, rows: Sequence[Row], keys: KeyRing) -> ChainVerification:
    """Check the events of one instance (in seq order) and its row's head and seal."""
    instance_id = instance.id
    walk = _Walk()

    def broken(seq: int, reason: str) -> ChainVerification:
        return ChainVerification(instance_id, False, len(rows), seq, reason, tuple(walk.segments))

    previous, keyed = GENESIS, False
    for expected_seq, row in enumerate(rows, start=1):
        if row.seq != expected_seq:
            return broken(expected_seq, f"event {expected_seq} is missing (found {row.seq} next)")
        if row.prev_hash != previous:
            return broken(row.seq, "its link to the previous event does not match that event's hash")
        problem = _link_problem(row, instance_id, previous, keys, keyed)
        if problem is not None:
            return broken(row.seq, problem)
        keyed = keyed or row.key_gen is not None
        walk.add(row.key_gen, row.seq)
        previous = row.hash
    if len(rows) != instance.last_seq or previous != instance.last_hash:
        return broken(
            len(rows) + 1 if len(rows) < instance.last_seq else instance.last_seq,
            f"the instance records {instance.last_seq} events ending in "
            f"{instance.last_hash[:12]}…, the log holds {len(rows)}",
        )
    problem = _seal_problem(instance, keys)
    if problem is not None:
        return broken(*problem)
    return ChainVerification(instance_id, True, len(rows), segments=tuple(walk.segments))


def _seal_problem(instance: Row, keys: KeyRing) -> tuple[int, str] | None:
    if instance.head_seal is None:
        if instance.id <= keys.unkeyed_through:
            return None  # not written since the chain was keyed
        return instance.last_seq, "the instance row carries no seal of its chain head"
    parts = instance.head_seal.split(":")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return instance.last_seq, "the instance row's seal of its chain head is malformed"
    generation, sealed_seq = int(parts[0]), int(parts[1])
    key = keys.keys.get(generation)
    if key is None:
        return (
            instance.last_seq,
            f"the instance row is sealed by key generation {generation}, not in the key ring",
        )
    expected = head_seal(key, generation, instance.id, sealed_seq, instance.last_hash)
    if sealed_seq > instance.last_seq:
        return (
            instance.last_seq + 1,
            f"the instance row was sealed at event {sealed_seq} but the row and log end at event "
            f"{instance.last_seq}: the newest events were removed",
        )
    if sealed_seq != instance.last_seq or not hmac.compare_digest(expected, instance.head_seal):
        return (
            instance.last_seq,
            "the instance row's chain head does not match its seal: it was changed without the key",
        )
    return None


_INSTANCE = select(
    process_instances.c.id,
    process_instances.c.last_seq,
    process_instances.c.last_hash,
    process_instances.c.head_seal,
)


def verify_chain(conn: Connection, instance_id: int, keys: KeyRing) -> ChainVerification:
    instance = conn.execute(_INSTANCE.where(process_instances.c.id == instance_id)).first()
    if instance is None:
        raise NotFound(f"no process instance {instance_id}")
    rows = conn.execute(
        select(history_events)
        .where(history_events.c.instance_id == instance_id)
        .order_by(history_events.c.seq)
    ).all()
    return verify_rows(instance, rows, keys)


@contextmanager
def snapshot(db: Database) -> Iterator[Connection]:
    """One consistent view of instance rows and events (REPEATABLE READ on PostgreSQL; SQLite's
    read transaction already is one), so a command committing meanwhile cannot look like tampering."""
    if db.is_sqlite:
        with db.read() as conn:
            yield conn
        return
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn
