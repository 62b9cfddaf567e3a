"""approvals worker | timers | incidents | message | signal"""

from __future__ import annotations

import argparse
import logging
import signal

from cli.arguments import json_object
from cli.render import emit_json, table, when
from engine import Engine
from engine.actor import SYSTEM
from engine.incidents import KINDS, IncidentQuery
from engine.timers import TimerPoller


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("worker", help="run the timer poller (no HTTP); any number may run at once")
    p.add_argument(
        "--interval", type=float, help="seconds between polls (default APPROVALS_TIMER_POLL_SECONDS)"
    )
    p.add_argument("--once", action="store_true", help="fire what is due now and exit")
    p.add_argument(
        "-v", "--verbose", action="store_true", help="also log what the libraries say (SpiffWorkflow's steps)"
    )
    p.add_argument("--json", action="store_true", help="with --once: the report as JSON")
    p.set_defaults(handler=worker)

    p = sub.add_parser("timers", help="list timers (pending by default), or retry an incident")
    p.add_argument("action", nargs="?", choices=["retry"], help="retry an incident")
    p.add_argument("timer", nargs="?", type=int)
    p.add_argument("--due", action="store_true", help="only timers due now")
    p.add_argument(
        "--status", default="pending", help="pending (default), fired, cancelled, incident, or all"
    )
    p.add_argument("--instance", type=int)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=timers)

    p = sub.add_parser(
        "incidents",
        help="list open incidents (timers, external tasks, call activities, stalls), or retry one",
    )
    p.add_argument("action", nargs="?", choices=["retry"], help="retry an incident: KIND ID")
    p.add_argument("kind", nargs="?", help=f"with retry: {', '.join(KINDS)}")
    p.add_argument("id", nargs="?", help="with retry: the incident's id, as listed")
    p.add_argument("--kind", dest="only_kind", choices=KINDS, help="list only this kind")
    p.add_argument("--model", help="list only this model's")
    p.add_argument("--user", help="who retries (default: the operator)")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=incidents)

    p = sub.add_parser("message", help="deliver a message to the instance waiting for it")
    p.add_argument("name")
    p.add_argument("--key", help="correlation key (by default the instance's business key)")
    p.add_argument(
        "--business-key", help="deliver only to the instance with this business key (as Camunda correlates)"
    )
    p.add_argument("--data", help="payload as a JSON object, or @file.json")
    p.add_argument("--user", help="the sender (default: the operator)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=message)

    p = sub.add_parser("signal", help="broadcast a signal to every instance waiting for it")
    p.add_argument("name")
    p.add_argument("--data", help="payload as a JSON object, or @file.json")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=signal_)


def worker(engine: Engine, args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # The worker's own lines are for the operator; library chatter (SpiffWorkflow logs every state
    # change at INFO) only when asked for.
    logging.getLogger("engine").setLevel(logging.INFO)
    poller = TimerPoller(engine.timers, args.interval or engine.settings.timer_poll_seconds)
    if args.once:
        report = poller.poll()
        if args.json:
            emit_json({"fired": report.fired, "failed": report.failed})
        else:
            print(f"fired {report.fired}, failed {report.failed}")
        return 0

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(f"timer worker polling every {poller.interval:g} s (Ctrl-C to stop)", flush=True)
    try:
        poller.start(blocking=True)
    except KeyboardInterrupt:
        pass
    return 0


def incidents(engine: Engine, args: argparse.Namespace) -> int:
    actor = engine.identity.actor(args.user) if args.user else SYSTEM
    if args.action == "retry":
        if args.kind is None or args.id is None:
            raise SystemExit("approvals incidents retry: give the kind and the id, as listed")
        instance_id = engine.incidents.retry(args.kind, args.id, actor)
        if args.json:
            emit_json({"kind": args.kind, "id": args.id, "instance_id": instance_id})
        else:
            print(f"{args.kind} {args.id} retried" + (f" (instance {instance_id})" if instance_id else ""))
        return 0
    query = IncidentQuery(kind=args.only_kind, model_key=args.model, limit=args.limit)
    found = engine.incidents.list(actor, query)
    if args.json:
        emit_json(found)
    else:
        table(
            ["KIND", "ID", "INSTANCE", "BUSINESS KEY", "MODEL", "ELEMENT", "SINCE", "ATTEMPTS", "CAUSE"],
            [
                (
                    i.kind,
                    i.id,
                    i.instance_id,
                    i.business_key,
                    f"{i.model_key} v{i.model_version}",
                    i.element_id,
                    when(i.since),
                    i.attempts,
                    i.cause,
                )
                for i in found
            ],
        )
    return 0


def timers(engine: Engine, args: argparse.Namespace) -> int:
    if args.action == "retry":
        if args.timer is None:
            raise SystemExit("approvals timers retry: give the timer id")
        info = engine.timers.retry(args.timer, SYSTEM)
        print(f"timer {info.id} is pending again, due {when(info.due_at)}")
        return 0
    found = engine.timers.list(
        SYSTEM,
        status=None if args.status == "all" else args.status,
        due_only=args.due,
        instance_id=args.instance,
    )
    if args.json:
        emit_json(found)
    else:
        table(
            ["ID", "INSTANCE", "MODEL", "ELEMENT", "KIND", "DUE", "STATUS", "ATTEMPTS", "LAST ERROR"],
            [
                (
                    t.id,
                    t.instance_id,
                    t.model_key,
                    t.element_id,
                    t.kind,
                    when(t.due_at),
                    t.status,
                    t.attempts,
                    (t.last_error or "")[:60],
                )
                for t in found
            ],
        )
    return 0


def message(engine: Engine, args: argparse.Namespace) -> int:
    data = json_object(args.data, "--data")
    sender = engine.identity.actor(args.user) if args.user else SYSTEM
    delivery = engine.events.correlate_message(
        args.name, args.key, data, sender, business_key=args.business_key
    )
    if args.json:
        emit_json(delivery)
    elif delivery.started:
        print(f"message {args.name} started instance {delivery.instance_id}")
    else:
        print(f"message {args.name} delivered to instance {delivery.instance_id} ({delivery.element_id})")
    return 0


def signal_(engine: Engine, args: argparse.Namespace) -> int:
    report = engine.events.broadcast_signal(args.name, json_object(args.data, "--data"), SYSTEM)
    if args.json:
        emit_json(report)
        return 0
    print(
        f"signal {args.name}: delivered to {len(report.delivered)} instance(s)"
        + (f", failed for {len(report.failed)}" if report.failed else "")
    )
    for instance_id, error in report.failed.items():
        print(f"  instance {instance_id}: {error}")
    return 1 if report.failed else 0
