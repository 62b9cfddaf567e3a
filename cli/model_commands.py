"""approvals deploy | validate | models | versions | model-file"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from cli.arguments import json_object
from cli.render import data_text, emit_json, table, when
from engine import Engine
from engine.actor import ADMIN, SYSTEM, Actor
from engine.errors import InvalidInput
from engine.repository import read_organisation


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("deploy", help="validate and deploy BPMN files or model directories")
    p.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="a .bpmn file, a model directory, or a directory of model directories",
    )
    p.add_argument("--note", help="a note stored with the new versions")
    p.add_argument("--user", help="who deploys (default: the login name)")
    p.add_argument("--strict", action="store_true", help="refuse to deploy when there are warnings")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=deploy)

    p = sub.add_parser("validate", help="check bundles without deploying them")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    p.add_argument("--strict", action="store_true")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=validate)

    p = sub.add_parser("models", help="list deployed models")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=models)

    p = sub.add_parser("versions", help="list the versions of a model")
    p.add_argument("key")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=versions)

    p = sub.add_parser("model-file", help="print a file of a deployed version, byte for byte")
    p.add_argument("key")
    p.add_argument("version", type=int)
    p.add_argument("name")
    p.set_defaults(handler=model_file)
    register_decide(sub)


def _organisation(paths: list[Path]) -> dict[str, str] | None:
    """The groups of the ``groups.toml`` of the directories given: deploy registers them, and
    validate counts them as known, so that both accept and refuse the same models."""
    groups: dict[str, str] = {}
    for path in paths:
        if path.is_dir():
            groups.update(read_organisation(path) or {})
    return groups or None


def deploy(engine: Engine, args: argparse.Namespace) -> int:
    deployer = Actor(args.user or getpass.getuser(), frozenset({ADMIN}))
    bundles = engine.repository.bundles_from_paths(args.paths)
    results = engine.repository.deploy(
        bundles, deployer, note=args.note, strict=args.strict, organisation=_organisation(args.paths)
    )
    if args.json:
        emit_json(results)
        return 0
    for result in results:
        v = result.version
        state = "deployed as version" if result.created else "unchanged, still version"
        print(f"{v.model_key}: {state} {v.version} ({len(v.files)} files, hash {v.content_hash[:12]})")
        for warning in result.warnings:
            print(f"  warning: {warning}")
    return 0


def validate(engine: Engine, args: argparse.Namespace) -> int:
    organisation = _organisation(args.paths)
    reports = [
        model  # one report per executable process: each is a model of its own
        for b in engine.repository.bundles_from_paths(args.paths)
        for model in engine.repository.validate_all(
            b, strict=args.strict, organisation=organisation, actor=SYSTEM
        )
    ]
    if args.json:
        emit_json(
            [
                {"model_key": r.model_key, "name": r.name, "warnings": [w.as_dict() for w in r.warnings]}
                for r in reports
            ]
        )
        return 0
    for report in reports:
        print(
            f"{report.model_key}: valid" + (f", {len(report.warnings)} warning(s)" if report.warnings else "")
        )
        for warning in report.warnings:
            print(f"  warning: {warning}")
    return 0


def models(engine: Engine, args: argparse.Namespace) -> int:
    found = engine.repository.list_models()
    if args.json:
        emit_json(found)
    else:
        table(
            ["KEY", "NAME", "LATEST", "VERSIONS", "DEPLOYED"],
            [(m.model_key, m.name, m.latest_version, m.versions, when(m.deployed_at)) for m in found],
        )
    return 0


def versions(engine: Engine, args: argparse.Namespace) -> int:
    found = engine.repository.versions(args.key)
    if args.json:
        emit_json(found)
    else:
        table(
            ["VERSION", "DEPLOYED", "BY", "HASH", "FILES", "NOTE"],
            [
                (
                    v.version,
                    when(v.deployed_at),
                    v.deployed_by,
                    v.content_hash[:12],
                    ", ".join(f.name for f in v.files),
                    v.note,
                )
                for v in found
            ],
        )
    return 0


def model_file(engine: Engine, args: argparse.Namespace) -> int:
    content, _ = engine.repository.file(args.key, args.version, args.name)
    sys.stdout.buffer.write(content)
    return 0


def register_decide(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("decide", help="evaluate a decision of a DMN file or of a deployed model")
    p.add_argument("source", metavar="FILE.dmn|MODEL_KEY")
    p.add_argument("--decision", help="decision id or name (default: the one no other decision requires)")
    p.add_argument("--input", required=True, help="input values as a JSON object, or @file.json")
    p.add_argument("--version", type=int, help="version of a deployed model (default: the latest)")
    p.add_argument("--trace", action="store_true", help="also show inputs and matched rules")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=decide)


def decide(engine: Engine, args: argparse.Namespace) -> int:
    inputs = json_object(args.input, "--input")
    path = Path(args.source)
    if args.source.endswith(".dmn"):
        if not path.is_file():
            raise InvalidInput(f"{path} does not exist")
        outcome = engine.decisions.evaluate_files({path.name: path.read_bytes()}, args.decision, inputs)
    else:
        outcome = engine.decisions.evaluate_deployed(args.source, args.decision, inputs, args.version)
    if args.json:
        emit_json(
            {"results": outcome.results, "trace": [t.as_dict() for t in outcome.trace]}
            if args.trace
            else outcome.results
        )
        return 0
    for name, result in outcome.results.items():
        print(f"{name}: {data_text(result)}")
    if args.trace:
        for trace in outcome.trace:
            entry = trace.as_dict()
            print(
                f"  {entry['decision_id']}: inputs {data_text(entry['inputs'])}, "
                f"matched rules {', '.join(entry['matched_rules']) or 'none'}"
            )
    return 0
