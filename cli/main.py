"""Entry point of the ``approvals`` command."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib import metadata

from cli import admin_commands, audit_commands, event_commands, model_commands, serve_command, work_commands
from cli.render import emit_json, one_line
from engine import Engine, store
from engine.errors import ApprovalsError, InvalidInput


def _version() -> str:
    try:
        return metadata.version("marketing-approvals")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def error_lines(exc: ApprovalsError) -> list[str]:
    """The error as a first line that says it all (with the first problem and where it is), then every
    problem on its own indented line, as before, for a person (or a script) going through them."""
    first = f"error: {one_line(exc.message)}"
    problems = exc.problems
    if problems and str(problems[0]) not in exc.message:
        first += f" — {one_line(str(problems[0]))}"
        if len(problems) > 1:
            first += f" (and {len(problems) - 1} more below)"
    return [first, *(f"  {one_line(str(problem))}" for problem in problems)]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="approvals",
        description="marketing-approvals: versioned BPMN/DMN approval processes. The database is "
        "APPROVALS_DATABASE_URL (default: ./instance/approvals.db).",
    )
    parser.add_argument("--version", action="version", version=f"approvals {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    model_commands.register(sub)
    work_commands.register(sub)
    admin_commands.register(sub)
    event_commands.register(sub)
    serve_command.register(sub)
    audit_commands.register(sub)
    return parser


def open_engine(args: argparse.Namespace) -> Engine:
    engine = Engine()
    if getattr(args, "handler", None) is not admin_commands.db_upgrade:
        current = store.current_revision(engine.db)
        if current is None:
            # A fresh database: create the schema rather than make a new user run a second command.
            store.upgrade(engine.db)
        elif current != store.SCHEMA_HEAD:
            raise InvalidInput(
                f"the database schema is at {current}, this version needs "
                f"{store.SCHEMA_HEAD}: run `approvals db upgrade`"
            )
    return engine


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    as_json = getattr(args, "json", False)
    engine = None
    try:
        engine = open_engine(args)
        return args.handler(engine, args) or 0
    except ApprovalsError as exc:
        if as_json:
            emit_json(
                {
                    "error": {
                        "type": type(exc).__name__,
                        "message": exc.message,
                        "problems": [p.as_dict() for p in exc.problems],
                    }
                }
            )
        else:
            for line in error_lines(exc):
                print(line, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`approvals history 1 | head`): what it wanted was written. Pointing
        # stdout at /dev/null keeps Python's exit-time flush from raising the same error again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        if engine is not None:
            engine.close()


if __name__ == "__main__":
    sys.exit(main())
