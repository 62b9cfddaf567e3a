"""approvals start | tasks | task | claim | unclaim | assign | complete | instance | instances | cancel |
suspend | resume | history | verify"""

from __future__ import annotations

import argparse

from cli.arguments import json_object
from cli.render import data_text, emit_json, one_line, table, when
from engine import Engine
from engine.actor import SYSTEM, Actor
from engine.runtime import InstanceFilter
from engine.tasks import TaskInfo, TaskQuery


def _user(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("--user", required=required, help="the user acting (must exist: approvals users add)")
    p.add_argument("--json", action="store_true")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("start", help="start a process instance")
    p.add_argument("key", help="the model key (the BPMN process id)")
    p.add_argument("--data", help="start data as a JSON object, or @file.json")
    p.add_argument("--business-key", help="the business key (default: numbered by the model, if it says so)")
    p.add_argument("--version", type=int, help="a specific version (default: the latest)")
    _user(p)
    p.set_defaults(handler=start)

    p = sub.add_parser("tasks", help="list tasks: the user's inbox, or an instance's tasks")
    p.add_argument("--instance", type=int, help="only tasks of this instance")
    p.add_argument("--status", default="open", help="open (default), completed, cancelled, or all")
    p.add_argument("--overdue", action="store_true", help="only overdue tasks")
    p.add_argument("--sort", default="due", choices=["due", "priority", "created"])
    p.add_argument("--limit", type=int, default=50)
    _user(p, required=False)
    p.set_defaults(handler=tasks)

    p = sub.add_parser("task", help="show a task: who may do it, its form's fields, the instance's data")
    p.add_argument("task", type=int)
    _user(p, required=False)
    p.set_defaults(handler=task)

    for name, handler, text in (
        ("claim", claim, "claim a task"),
        ("unclaim", unclaim, "release a claimed task"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("task", type=int)
        _user(p)
        p.set_defaults(handler=handler)

    p = sub.add_parser("assign", help="assign a task to a user")
    p.add_argument("task", type=int)
    p.add_argument("--to", required=True, help="the user who gets the task")
    _user(p, required=False)
    p.set_defaults(handler=assign)

    p = sub.add_parser("complete", help="complete a task with form data")
    p.add_argument("task", type=int)
    p.add_argument("--data", help="form data as a JSON object, or @file.json")
    _user(p)
    p.set_defaults(handler=complete)

    p = sub.add_parser("instance", help="show a process instance")
    p.add_argument("id", type=int)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=instance)

    p = sub.add_parser("instances", help="list process instances")
    p.add_argument("--model")
    p.add_argument("--status")
    p.add_argument("--initiator")
    p.add_argument("--business-key")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=instances)

    for name, handler, text in (
        ("cancel", cancel, "cancel an instance"),
        ("suspend", suspend, "suspend an instance"),
        ("resume", resume, "resume a suspended instance"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("id", type=int)
        p.add_argument("--reason", required=True, help="why (required; recorded in the instance's trail)")
        _user(p, required=False)
        p.set_defaults(handler=handler)

    p = sub.add_parser("history", help="the audit trail of an instance")
    p.add_argument("id", type=int)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=history)

    p = sub.add_parser("records", help="records filed by processes, e.g. every discount granted")
    p.add_argument("kind", nargs="?", help="e.g. discount_grant (default: all kinds)")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=records)

    p = sub.add_parser("verify", help="verify the hash chain of an instance's audit trail")
    p.add_argument("id", type=int)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=verify)


def _actor(engine: Engine, args: argparse.Namespace) -> Actor:
    return engine.identity.actor(args.user) if getattr(args, "user", None) else SYSTEM


def _task_rows(found: list[TaskInfo]) -> None:
    table(
        ["ID", "INSTANCE", "BUSINESS KEY", "TASK", "STATUS", "ASSIGNEE", "CANDIDATES", "DUE", "PRIO"],
        [
            (
                t.id,
                t.instance_id,
                t.business_key,
                t.name or t.element_id,
                t.status + (" (overdue)" if t.overdue else ""),
                t.assignee,
                ",".join(t.candidate_groups + [f"user:{u}" for u in t.candidate_users]),
                when(t.due_at),
                t.priority,
            )
            for t in found
        ],
    )


def start(engine: Engine, args: argparse.Namespace) -> int:
    data = json_object(args.data, "--data")
    info = engine.runtime.start(
        args.key, engine.identity.actor(args.user), data, business_key=args.business_key, version=args.version
    )
    open_tasks = engine.tasks.list(SYSTEM, TaskQuery(instance_id=info.id))
    if args.json:
        emit_json({"instance": info, "tasks": open_tasks})
        return 0
    key = f" ({info.business_key})" if info.business_key else ""
    print(f"started instance {info.id}{key} of {info.model_key} version {info.model_version}: {info.status}")
    if open_tasks:
        _task_rows(open_tasks)
    return 0


def tasks(engine: Engine, args: argparse.Namespace) -> int:
    actor = _actor(engine, args)
    status = None if args.status == "all" else args.status
    query = TaskQuery(
        status=status,
        instance_id=args.instance,
        overdue=True if args.overdue else None,
        sort=args.sort,
        limit=args.limit,
        mine=actor if args.user and args.instance is None else None,
    )
    found = engine.tasks.list(actor, query)
    if args.json:
        emit_json(found)
    else:
        _task_rows(found)
    return 0


def task(engine: Engine, args: argparse.Namespace) -> int:
    detail = engine.tasks.get(args.task, _actor(engine, args))
    if args.json:
        emit_json(detail)
        return 0
    info = detail.task
    print(f"task {info.id}: {one_line(info.name or info.element_id)} ({info.status})")
    print(f"  instance {info.instance_id} of {info.model_key}, business key {info.business_key or '-'}")
    candidates = ", ".join(info.candidate_groups + [f"user:{u}" for u in info.candidate_users])
    print(f"  assignee {info.assignee or '-'}; candidates {candidates or 'anyone'}; due {when(info.due_at)}")
    if detail.form is None:
        print("  form: none (complete it without --data, or with fields the model names)")
    else:
        print("  form fields (pass them with --data '{\"field\": value}'):")
        table(["FIELD", "TYPE", "REQUIRED", "ALLOWED", "TITLE"], form_rows(detail.form))
    print(f"  instance data: {data_text(detail.data)}")
    return 0


def form_rows(schema: dict) -> list[tuple]:
    """One row per field of a task's JSON Schema form, in the form's own order."""
    properties = schema.get("properties") or {}
    order = [name for name in schema.get("x-order", []) if name in properties]
    order += [name for name in properties if name not in order]
    required = set(schema.get("required") or [])
    rows = []
    for name in order:
        field = properties[name] if isinstance(properties[name], dict) else {}
        kind = field.get("type") or ("enum" if "enum" in field else "any")
        if field.get("format"):
            kind = f"{kind} ({field['format']})"
        allowed = field.get("enum")
        if allowed is None and field.get("type") in ("integer", "number"):
            low, high = field.get("minimum"), field.get("maximum")
            allowed = (
                None
                if low is None and high is None
                else [f"{low if low is not None else ''}..{high if high is not None else ''}"]
            )
        if field.get("readOnly"):
            kind += ", read-only"
        rows.append(
            (
                name,
                kind,
                "yes" if name in required else "no",
                ", ".join(map(str, allowed or [])),
                field.get("title"),
            )
        )
    return rows


def claim(engine: Engine, args: argparse.Namespace) -> int:
    info = engine.tasks.claim(args.task, engine.identity.actor(args.user))
    return _show_task(args, info, f"task {info.id} claimed by {info.assignee}")


def unclaim(engine: Engine, args: argparse.Namespace) -> int:
    info = engine.tasks.unclaim(args.task, engine.identity.actor(args.user))
    return _show_task(args, info, f"task {info.id} released")


def assign(engine: Engine, args: argparse.Namespace) -> int:
    info = engine.tasks.assign(args.task, _actor(engine, args), args.to)
    return _show_task(args, info, f"task {info.id} assigned to {info.assignee}")


def _show_task(args: argparse.Namespace, info: TaskInfo, text: str) -> int:
    if args.json:
        emit_json(info)
    else:
        print(text)
    return 0


def complete(engine: Engine, args: argparse.Namespace) -> int:
    data = json_object(args.data, "--data")
    result = engine.tasks.complete(args.task, engine.identity.actor(args.user), data)
    if args.json:
        emit_json(result)
        return 0
    print(
        f"task {result.task.id} ({one_line(result.task.name or result.task.element_id)}) completed; "
        f"instance {result.task.instance_id} is {result.instance_status}"
    )
    if result.next_tasks:
        _task_rows(result.next_tasks)
    return 0


def instance(engine: Engine, args: argparse.Namespace) -> int:
    info = engine.runtime.get(args.id, SYSTEM)
    open_tasks = engine.tasks.list(SYSTEM, TaskQuery(instance_id=args.id, status=None))
    if args.json:
        emit_json({"instance": info, "tasks": open_tasks})
        return 0
    print(f"instance {info.id}: {info.model_key} version {info.model_version}, {info.status}")
    print(f"  business key: {info.business_key or '-'}")
    print(f"  initiator:    {info.initiator}")
    print(f"  started:      {when(info.started_at)}   ended: {when(info.ended_at)}")
    print(f"  data:         {data_text(info.data)}")
    if info.parent:
        link = info.parent
        print(f"  parent:       instance {link['instance_id']} (call activity {link['element_id']})")
    for child in info.children:
        started = f"instance {child['instance_id']}" if child["instance_id"] else "no instance"
        print(
            f"  child:        {started} of {child['model_key']} at {child['element_id']}, {child['status']}"
            + (f": {child['error']}" if child["error"] else "")
        )
    for wait in info.waiting_for or []:
        print(f"  waiting for:  {wait}")
    _task_rows(open_tasks)
    return 0


def instances(engine: Engine, args: argparse.Namespace) -> int:
    found = engine.runtime.list(
        SYSTEM,
        InstanceFilter(
            model_key=args.model,
            status=args.status,
            initiator=args.initiator,
            business_key=args.business_key,
            limit=args.limit,
        ),
    )
    if args.json:
        emit_json(found)
    else:
        table(
            ["ID", "MODEL", "VERSION", "BUSINESS KEY", "STATUS", "INITIATOR", "STARTED"],
            [
                (
                    i.id,
                    i.model_key,
                    i.model_version,
                    i.business_key,
                    i.status,
                    i.initiator,
                    when(i.started_at),
                )
                for i in found
            ],
        )
    return 0


def cancel(engine: Engine, args: argparse.Namespace) -> int:
    info = engine.runtime.cancel(args.id, _actor(engine, args), args.reason)
    return _show_instance(args, info)


def suspend(engine: Engine, args: argparse.Namespace) -> int:
    return _show_instance(args, engine.runtime.suspend(args.id, _actor(engine, args), args.reason))


def resume(engine: Engine, args: argparse.Namespace) -> int:
    return _show_instance(args, engine.runtime.resume(args.id, _actor(engine, args), args.reason))


def _show_instance(args: argparse.Namespace, info: object) -> int:
    if args.json:
        emit_json(info)
    else:
        print(f"instance {info.id} is {info.status}")
    return 0


def history(engine: Engine, args: argparse.Namespace) -> int:
    events = engine.history.events(args.id, SYSTEM)
    if args.json:
        emit_json(events)
        return 0
    table(
        ["#", "TIME", "EVENT", "ACTOR", "VERSION", "ELEMENT", "TASK", "DETAILS"],
        [
            (
                e.seq,
                e.occurred_at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
                e.type,
                e.actor,
                e.model_version,
                e.element_id,
                e.task_id,
                data_text(e.data) if e.data else "",
            )
            for e in events
        ],
    )
    return 0


def verify(engine: Engine, args: argparse.Namespace) -> int:
    result = engine.history.verify(args.id, SYSTEM)
    if args.json:
        emit_json(result)
    else:
        print(result.describe())
    return 0 if result.ok else 1


def records(engine: Engine, args: argparse.Namespace) -> int:
    found = engine.records.list(SYSTEM, kind=args.kind, limit=args.limit)
    if args.json:
        emit_json(found)
    else:
        table(
            ["ID", "KIND", "INSTANCE", "BUSINESS KEY", "FILED", "DATA"],
            [
                (r.id, r.kind, r.instance_id, r.business_key, when(r.created_at), data_text(r.data))
                for r in found
            ],
        )
    return 0
