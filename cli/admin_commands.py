"""approvals users … | groups … | db …"""

from __future__ import annotations

import argparse
import difflib
import getpass
import sys

from cli.render import emit_json, table, when
from engine import Engine, store
from engine.errors import InvalidInput


def _groups(raw: str | None) -> list[str]:
    return [g.strip() for g in (raw or "").split(",") if g.strip()]


def _new_groups(engine: Engine, names: list[str]) -> list[str]:
    """Notes on the groups a command is about to create: a typo (`salse_rep`) otherwise makes a group
    no task names, and the user never sees a task."""
    known = [g.name for g in engine.identity.list_groups()]
    notes = []
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            notes.append(f"note: group '{name}' did not exist and was created{hint}")
    return notes


MIN_PASSWORD = 8  # the engine's rule too (IdentityService.set_password); checked here before asking twice


def read_new_password(name: str, from_stdin: bool) -> str:
    """A new login password: typed twice at a terminal (not echoed; both must match), else one line
    of standard input (a script's pipe, or ``--password-stdin``). Never printed back."""
    if from_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
        _check_length(password)
        return password
    password = getpass.getpass(f"New password for {name}: ")
    _check_length(password)
    if getpass.getpass("Repeat the password: ") != password:
        raise InvalidInput("the two passwords differ: nothing was changed")
    return password


def _check_length(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD} characters: nothing was changed")


def _say(notes: list[str]) -> None:
    for note in notes:
        print(note, file=sys.stderr)


def register(sub: argparse._SubParsersAction) -> None:
    users = sub.add_parser("users", help="manage users").add_subparsers(
        dest="users_command", required=True, metavar="ACTION"
    )
    p = users.add_parser("add", help="add a user and print their API token (shown once)")
    p.add_argument("name")
    p.add_argument("--groups", default="", help="comma-separated groups, e.g. sales_rep,finance")
    p.add_argument("--display-name")
    p.add_argument("--password-stdin", action="store_true", help="read a login password from standard input")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=users_add)

    p = users.add_parser("list", help="list users and their groups")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=users_list)

    p = users.add_parser("set-groups", help="replace a user's groups")
    p.add_argument("name")
    p.add_argument("--groups", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=users_set_groups)

    p = users.add_parser(
        "passwd", help="set a user's login password (asked twice at a terminal, else read from stdin)"
    )
    p.add_argument("name")
    p.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input (one line)"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=users_passwd)

    p = users.add_parser("token", help="issue a new API token for a user")
    p.add_argument("name")
    p.add_argument("--label")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=users_token)

    for name, active in (("deactivate", False), ("activate", True)):
        p = users.add_parser(name, help=f"{name} a user")
        p.add_argument("name")
        p.add_argument("--json", action="store_true")
        p.set_defaults(handler=users_activate, active=active)

    p = users.add_parser(
        "unblock", help="forget a user name's failed logins (and an address's), lifting their back-off"
    )
    p.add_argument("name", nargs="?", help="the user name (any name, known or not)")
    p.add_argument("--address", help="also, or only, this client address")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=users_unblock)

    groups = sub.add_parser("groups", help="manage groups").add_subparsers(
        dest="groups_command", required=True, metavar="ACTION"
    )
    p = groups.add_parser("add", help="register groups")
    p.add_argument("names", nargs="+")
    p.add_argument("--description")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=groups_add)
    p = groups.add_parser("list", help="list groups")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=groups_list)

    db = sub.add_parser("db", help="database schema").add_subparsers(
        dest="db_command", required=True, metavar="ACTION"
    )
    p = db.add_parser("upgrade", help="create or upgrade the schema (Alembic migrations)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=db_upgrade)
    p = db.add_parser("current", help="show the schema revision")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=db_current)


def users_add(engine: Engine, args: argparse.Namespace) -> int:
    password = read_new_password(args.name, from_stdin=False) if args.password_stdin else None
    notes = _new_groups(engine, _groups(args.groups))
    user, token = engine.identity.add_user(
        args.name, _groups(args.groups), display_name=args.display_name, password=password
    )
    _say(notes)
    if args.json:
        emit_json({"user": user, "token": token})
    else:
        print(f"user {user.name} added to {', '.join(user.groups) or 'no groups'}")
        print(f"API token (shown once, keep it safe): {token}")
    return 0


def users_list(engine: Engine, args: argparse.Namespace) -> int:
    found = engine.identity.list_users()
    if args.json:
        emit_json(found)
    else:
        table(
            ["NAME", "GROUPS", "ACTIVE", "CREATED"],
            [(u.name, ",".join(u.groups), "yes" if u.active else "no", when(u.created_at)) for u in found],
        )
    return 0


def users_set_groups(engine: Engine, args: argparse.Namespace) -> int:
    notes = _new_groups(engine, _groups(args.groups))
    user = engine.identity.set_groups(args.name, _groups(args.groups))
    _say(notes)
    if args.json:
        emit_json(user)
    else:
        print(f"user {user.name} is in {', '.join(user.groups) or 'no groups'}")
    return 0


def users_passwd(engine: Engine, args: argparse.Namespace) -> int:
    engine.identity.get_user(args.name)  # an unknown user is told before typing a password twice
    engine.identity.set_password(args.name, read_new_password(args.name, args.password_stdin))
    if args.json:
        emit_json({"user": args.name, "password_set": True})
    else:
        print(f"password of {args.name} set")
    return 0


def users_token(engine: Engine, args: argparse.Namespace) -> int:
    token = engine.identity.issue_token(args.name, args.label)
    if args.json:
        emit_json({"user": args.name, "token": token})
    else:
        print(token)
    return 0


def users_activate(engine: Engine, args: argparse.Namespace) -> int:
    user = engine.identity.set_active(args.name, args.active)
    if args.json:
        emit_json(user)
    else:
        print(f"user {user.name} is {'active' if user.active else 'deactivated'}")
    return 0


def users_unblock(engine: Engine, args: argparse.Namespace) -> int:
    cleared = engine.identity.unblock_login(args.name, args.address)
    if args.json:
        emit_json({"counters_cleared": cleared})
    else:
        print(f"login back-off lifted ({cleared} counter{'s' if cleared != 1 else ''} cleared)")
    return 0


def groups_add(engine: Engine, args: argparse.Namespace) -> int:
    descriptions = {n: args.description for n in args.names} if args.description else None
    created = engine.identity.add_groups(args.names, descriptions)
    if args.json:
        emit_json({"created": created})
    else:
        print(f"created: {', '.join(created)}" if created else "all groups existed already")
    return 0


def groups_list(engine: Engine, args: argparse.Namespace) -> int:
    found = engine.identity.list_groups()
    if args.json:
        emit_json(found)
    else:
        table(["GROUP", "MEMBERS", "DESCRIPTION"], [(g.name, g.members, g.description) for g in found])
    return 0


def db_upgrade(engine: Engine, args: argparse.Namespace) -> int:
    store.upgrade(engine.db)
    revision, dialect = store.current_revision(engine.db), engine.db.url.split("://")[0]
    if args.json:
        emit_json({"revision": revision, "database": dialect})
    else:
        print(f"schema is at revision {revision} ({dialect})")
    return 0


def db_current(engine: Engine, args: argparse.Namespace) -> int:
    revision = store.current_revision(engine.db)
    if args.json:
        emit_json({"revision": revision, "head": store.SCHEMA_HEAD})
    else:
        print(revision or "no schema yet")
    return 0
