"""Signed checkpoints: the chain heads of all instances, sealed with Ed25519 and kept off the database.

A checkpoint lists, for every instance, its last event's seq and MAC, after verifying each chain
from genesis. Exported to a place the database writer cannot reach (write-once storage), it
proves later that no sealed history changed, even against someone who holds the MAC key and can
write the database: rewriting an event changes the MAC at the sealed seq, deleting an instance
leaves a sealed head without an instance, and re-signing needs the private key.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, select

from engine.clock import Clock
from engine.config import Settings
from engine.errors import InvalidInput, KeyUnavailable
from engine.history.keys import KeyRing, chain_keys
from engine.history.signing import fingerprint, load_private_key, load_public_key
from engine.history.verify import ChainVerification, snapshot, verify_rows
from engine.store.database import Database
from engine.store.schema import history_events, process_instances

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

log = logging.getLogger(__name__)

FORMAT = "approvals-history-checkpoint/1"


def _canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def all_chains(conn: Connection, keys: KeyRing) -> Iterator[tuple[Row, list[Row], ChainVerification]]:
    """Every instance with its chain verified, in id order; events are streamed, not held."""
    instances = conn.execute(
        select(
            process_instances.c.id,
            process_instances.c.last_seq,
            process_instances.c.last_hash,
            process_instances.c.head_seal,
        ).order_by(process_instances.c.id)
    ).all()
    events = conn.execution_options(yield_per=2000).execute(
        select(history_events).order_by(history_events.c.instance_id, history_events.c.seq)
    )
    pending = next(events, None)
    for instance in instances:
        while pending is not None and pending.instance_id < instance.id:
            pending = next(events, None)  # events of no instance row: the FK forbids them
        rows = []
        while pending is not None and pending.instance_id == instance.id:
            rows.append(pending)
            pending = next(events, None)
        yield instance, rows, verify_rows(instance, rows, keys)
    events.close()


def take_checkpoint(
    conn: Connection, keys: KeyRing, signer: Ed25519PrivateKey, now: datetime
) -> dict[str, Any]:
    heads, unverified = [], []
    for instance, _rows, result in all_chains(conn, keys):
        heads.append([instance.id, instance.last_seq, instance.last_hash])
        if not result.ok:
            unverified.append([instance.id, result.describe()])
    payload = {
        "format": FORMAT,
        "created_at": now.isoformat(timespec="seconds"),
        "signer": fingerprint(signer.public_key()),
        "mac_generation": keys.signing_generation,
        "heads": heads,
        "unverified": unverified,
    }
    signature = signer.sign(_canonical(payload))
    return {
        "payload": payload,
        "algorithm": "Ed25519",
        "signature": base64.b64encode(signature).decode("ascii"),
    }


def write_checkpoint(document: dict[str, Any], path: Path) -> Path:
    """Write a new file (never replacing one: a checkpoint is evidence)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise InvalidInput(f"{path} already exists; checkpoints are never overwritten")
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        json.dump(document, handle, indent=1, sort_keys=True)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    return path


def checkpoint_name(now: datetime) -> str:
    return f"checkpoint-{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(4)}.json"


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    if not settings.checkpoint_signing_key_file:
        raise KeyUnavailable(
            "no checkpoint signing key: set APPROVALS_CHECKPOINT_SIGNING_KEY_FILE (create one with "
            "`approvals audit keygen`)"
        )
    return load_private_key(Path(settings.checkpoint_signing_key_file))


def public_key(settings: Settings, path: str | None = None) -> Ed25519PublicKey:
    """The key to check signatures with: given, configured, or derived from the signing key."""
    if path:
        return load_public_key(Path(path))
    if settings.checkpoint_public_key_file:
        return load_public_key(Path(settings.checkpoint_public_key_file))
    if settings.checkpoint_signing_key_file:
        return load_private_key(Path(settings.checkpoint_signing_key_file)).public_key()
    raise KeyUnavailable(
        "no public key to check the checkpoint with: pass --public-key or set "
        "APPROVALS_CHECKPOINT_PUBLIC_KEY_FILE"
    )


def checkpoint_now(
    db: Database, settings: Settings, clock: Clock, out: Path | None = None
) -> tuple[Path, dict]:
    """Take a checkpoint and write it to ``out`` or a new file in APPROVALS_CHECKPOINT_DIR."""
    signer = signing_key(settings)
    now = clock.now()
    if out is None:
        if not settings.checkpoint_dir:
            raise InvalidInput(
                "say where to write the checkpoint: --out FILE, or set APPROVALS_CHECKPOINT_DIR"
            )
        out = Path(settings.checkpoint_dir) / checkpoint_name(now)
    with snapshot(db) as conn:
        document = take_checkpoint(conn, chain_keys(settings, conn), signer, now)
    return write_checkpoint(document, out), document


def periodic_checkpoints(db: Database, settings: Settings, clock: Clock) -> Callable[[], None] | None:
    """The job a poller runs every APPROVALS_CHECKPOINT_SECONDS, or None when no directory is set."""
    if not settings.checkpoint_dir:
        return None
    signing_key(settings)  # a configured but unusable key stops the start, not the 3 a.m. job

    def job() -> None:
        try:
            path, document = checkpoint_now(db, settings, clock)
            log.info("history checkpoint %s: %d instances", path, len(document["payload"]["heads"]))
        except Exception:  # the next interval tries again; the poller must keep running
            log.exception("history checkpoint failed")

    return job


# --- verifying ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    instance_id: int
    reason: str

    def describe(self) -> str:
        return f"instance {self.instance_id}: {self.reason}"


@dataclass(frozen=True)
class CheckpointReport:
    signature_ok: bool
    created_at: str | None
    signer: str | None
    sealed: int = 0
    checked: int = 0
    differences: list[Difference] = field(default_factory=list)
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.signature_ok and not self.differences

    def describe(self) -> str:
        if not self.signature_ok:
            return f"checkpoint REJECTED: {self.reason}"
        head = f"checkpoint of {self.created_at} signed by {self.signer}: {self.sealed} instances sealed"
        if self.ok:
            return f"{head}; all unchanged since, and all {self.checked} chains verify"
        lines = [f"{head}; {len(self.differences)} instance(s) DIFFER:"]
        return "\n".join(lines + ["  " + d.describe() for d in self.differences])


def read_checkpoint(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(f"no checkpoint file {path}")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{path} is not a checkpoint (JSON): {exc}")
    payload = document.get("payload") if isinstance(document, dict) else None
    if (
        not isinstance(payload, dict)
        or payload.get("format") != FORMAT
        or not isinstance(document.get("signature"), str)
        or not isinstance(payload.get("heads"), list)
    ):
        raise InvalidInput(f"{path} is not a checkpoint of format {FORMAT}")
    return document


def _heads(payload: dict[str, Any], path: Path) -> dict[int, tuple[int, str]]:
    heads: dict[int, tuple[int, str]] = {}
    for number, head in enumerate(payload["heads"]):
        if (
            not isinstance(head, list)
            or len(head) != 3
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in head[:2])
            or not isinstance(head[2], str)
        ):
            raise InvalidInput(f"{path}: head {number} is not [instance id, seq, mac]")
        heads[head[0]] = (head[1], head[2])
    return heads


def verify_checkpoint(
    db: Database, settings: Settings, path: Path, public_key_path: str | None
) -> CheckpointReport:
    document = read_checkpoint(path)
    payload = document["payload"]
    key = public_key(settings, public_key_path)
    from cryptography.exceptions import InvalidSignature  # see signing.py

    try:
        signature = base64.b64decode(document["signature"], validate=True)
        key.verify(signature, _canonical(payload))
    except (InvalidSignature, binascii.Error, ValueError):
        return CheckpointReport(
            False,
            payload.get("created_at"),
            payload.get("signer"),
            reason=f"its signature does not verify with the public key {fingerprint(key)}: the file was "
            "altered, or signed by another key",
        )
    heads = _heads(payload, path)
    newest_sealed = max(heads, default=0)
    differences: list[Difference] = []
    seen: set[int] = set()
    checked = 0
    with snapshot(db) as conn:
        for instance, rows, result in all_chains(conn, chain_keys(settings, conn)):
            checked += 1
            seen.add(instance.id)
            difference = _compare(instance, rows, result, heads.get(instance.id), newest_sealed)
            if difference is not None:
                differences.append(Difference(instance.id, difference))
    for instance_id in sorted(set(heads) - seen):
        seq = heads[instance_id][0]
        differences.append(Difference(instance_id, f"is gone: the checkpoint sealed it with {seq} events"))
    differences.sort(key=lambda d: d.instance_id)
    return CheckpointReport(
        True, payload["created_at"], payload.get("signer"), len(heads), checked, differences
    )


def _compare(
    instance: Row,
    rows: list[Row],
    result: ChainVerification,
    head: tuple[int, str] | None,
    newest_sealed: int,
) -> str | None:
    if head is None:
        if instance.id < newest_sealed:
            return "is not in the checkpoint, though older than instances it seals: it was inserted since"
        return None if result.ok else f"(started after the checkpoint) {result.describe()}"
    seq, mac = head
    stored = next((r.hash for r in rows if r.seq == seq), None)
    if seq > 0 and stored is None:
        return f"its event {seq}, the head the checkpoint sealed, is gone: its history was cut back"
    if seq > 0 and stored != mac:
        return f"its event {seq} differs from the one the checkpoint sealed: its history was rewritten"
    if not result.ok:
        return result.describe()
    return None
