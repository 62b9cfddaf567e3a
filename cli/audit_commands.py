"""approvals audit keygen | checkpoint | verify | chain-key: the tamper evidence beyond one instance."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.render import emit_json
from engine import Engine, history
from engine.errors import Conflict
from engine.history import (
    chain_keys,
    create_key_file,
    generate_key_pair,
    key_path,
    rotate_key_file,
    unkeyed_boundary,
)


def register(sub: argparse._SubParsersAction) -> None:
    audit = sub.add_parser("audit", help="signed checkpoints of the history, and the keys behind it")
    commands = audit.add_subparsers(dest="audit_command", required=True, metavar="AUDIT_COMMAND")

    p = commands.add_parser("keygen", help="create the Ed25519 key pair that signs checkpoints")
    p.add_argument("--private", required=True, type=Path, help="private key file to create (mode 0600)")
    p.add_argument(
        "--public", required=True, type=Path, help="public key file to create (give it to auditors)"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=keygen)

    p = commands.add_parser(
        "checkpoint", help="seal the chain heads of all instances into a signed checkpoint"
    )
    p.add_argument("--out", type=Path, help="file to write (default: a new file in APPROVALS_CHECKPOINT_DIR)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=checkpoint)

    p = commands.add_parser("verify", help="prove that no instance's history changed since a checkpoint")
    p.add_argument("--checkpoint", required=True, type=Path, help="the checkpoint file")
    p.add_argument(
        "--public-key", help="the signer's public key (default: APPROVALS_CHECKPOINT_PUBLIC_KEY_FILE)"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=verify)

    p = commands.add_parser("chain-key", help="the history chain's MAC key file: create, rotate or show")
    p.add_argument("action", choices=["new", "rotate", "show"])
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=chain_key)


def keygen(engine: Engine, args: argparse.Namespace) -> int:
    signer = generate_key_pair(args.private, args.public)
    if args.json:
        emit_json({"private": str(args.private), "public": str(args.public), "signer": signer})
    else:
        print(f"created {args.private} (keep it secret) and {args.public} ({signer})")
    return 0


def checkpoint(engine: Engine, args: argparse.Namespace) -> int:
    path, document = history.checkpoint_now(engine.db, engine.settings, engine.clock, args.out)
    payload = document["payload"]
    if args.json:
        emit_json({"file": str(path), **payload, "heads": len(payload["heads"])})
        return 0
    print(f"wrote {path}: {len(payload['heads'])} instances sealed, signed by {payload['signer']}")
    for instance_id, problem in payload["unverified"]:
        print(f"  warning: instance {instance_id} did not verify when sealed: {problem}")
    return 0


def verify(engine: Engine, args: argparse.Namespace) -> int:
    report = history.verify_checkpoint(engine.db, engine.settings, args.checkpoint, args.public_key)
    if args.json:
        emit_json({**checkpoints_as_dict(report), "ok": report.ok})
    else:
        print(report.describe())
    return 0 if report.ok else 1


def checkpoints_as_dict(report: history.CheckpointReport) -> dict:
    return {
        "signature_ok": report.signature_ok,
        "created_at": report.created_at,
        "signer": report.signer,
        "sealed": report.sealed,
        "checked": report.checked,
        "reason": report.reason,
        "differences": [{"instance_id": d.instance_id, "reason": d.reason} for d in report.differences],
    }


def chain_key(engine: Engine, args: argparse.Namespace) -> int:
    path, _configured = key_path(engine.settings)
    if engine.settings.chain_keys.strip() and args.action != "show":
        raise Conflict("the keys come from APPROVALS_CHAIN_KEYS; change them where that variable is set")
    if args.action == "new":
        with engine.db.read() as conn:
            created = create_key_file(path, unkeyed_boundary(conn))
        if not created:
            raise Conflict(
                f"{path} already exists; use `approvals audit chain-key rotate` for a new generation"
            )
        print(f"created {path} (mode 0600): generation 1 signs from now on")
        return 0
    if args.action == "rotate":
        generation = rotate_key_file(path)
        print(f"{path}: generation {generation} signs from now on; older generations still verify")
        return 0
    with engine.db.read() as conn:
        ring = chain_keys(engine.settings, conn)
    if args.json:
        emit_json(
            {
                "source": ring.source,
                "generations": list(ring.generations),
                "signing_generation": ring.signing_generation,
                "unkeyed_through": ring.unkeyed_through,
            }
        )
    else:
        print(
            f"{ring.source}: generations {', '.join(map(str, ring.generations))}; "
            f"{ring.signing_generation} signs; instances up to {ring.unkeyed_through} may hold unkeyed events"
        )
    return 0
