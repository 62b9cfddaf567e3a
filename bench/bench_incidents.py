"""Incidents benchmark: the operations page's queries, with many instances and a few incidents.

    python bench/bench_incidents.py [--instances 20000] [--repeat 15] [--database-url postgresql://…]

Fills a fresh database (a temporary SQLite file, or a scratch schema on PostgreSQL) directly: 5
models; per instance 12 history events, a pending timer and an open external task; 4% of the
instances (--incident-rate) carry an incident of one kind (a timer, an external task, a call
activity, a stall), with its `incident` event. Then times (median of --repeat runs, in ms) what
the operations page asks: the first page of incidents, the counts per kind, one kind, one model,
page 10 by offset. Target: every query under 50 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scratch import scratch_engine, vacuum_analyze

from engine import Engine
from engine.actor import SYSTEM
from engine.incidents import IncidentQuery
from engine.store.schema import (
    external_tasks,
    history_events,
    instance_calls,
    model_versions,
    process_instances,
    timers,
)

MODELS = ["campaign", "budget", "event", "sponsorship", "press_release"]
NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
EVENTS = 12
BATCH = 2_000


def fill(engine: Engine, count: int, rate: float = 0.04, seed: int = 7) -> int:
    """Returns how many incidents were made."""
    rnd = random.Random(seed)
    made = 0
    with engine.db.engine.begin() as conn:
        conn.execute(
            insert(model_versions),
            [
                {
                    "id": i + 1,
                    "model_key": key,
                    "version": 1,
                    "content_hash": "0" * 64,
                    "deployed_by": "bench",
                    "deployed_at": NOW,
                    "info": "{}",
                }
                for i, key in enumerate(MODELS)
            ],
        )
        rows: dict[str, list[dict[str, Any]]] = {"i": [], "h": [], "t": [], "x": [], "c": []}
        for i in range(1, count + 1):
            model = rnd.randrange(len(MODELS))
            started = NOW - timedelta(minutes=rnd.randrange(60 * 24 * 60))
            incident = rnd.choice(["timer", "external", "call", "stall"]) if rnd.random() < rate else None
            made += incident is not None
            rows["i"].append(
                {
                    "id": i,
                    "model_key": MODELS[model],
                    "version_id": model + 1,
                    "business_key": f"MKT-2026-{i:06d}",
                    "status": "running",
                    "initiator": "bench",
                    "started_at": started,
                    "updated_at": started,
                    "revision": 1,
                    "state": "{}",
                    "data": "{}",
                    "error": "the process waits for nothing: its tokens stopped at join"
                    if incident == "stall"
                    else None,
                }
            )
            for seq in range(1, EVENTS + 1):
                last = incident is not None and seq == EVENTS
                rows["h"].append(
                    {
                        "instance_id": i,
                        "seq": seq,
                        "type": "incident" if last else "task_completed",
                        "actor": "bench",
                        "occurred_at": started + timedelta(minutes=seq),
                        "version_id": model + 1,
                        "model_version": 1,
                        "element_id": "join" if last and incident == "stall" else f"step_{seq}",
                        "data": "{}",
                        "prev_hash": "",
                        "hash": f"{i:032d}{seq:032d}",
                    }
                )
            rows["t"].append(
                {
                    "instance_id": i,
                    "version_id": model + 1,
                    "model_key": MODELS[model],
                    "element_id": f"step_{EVENTS}",
                    "kind": "boundary",
                    "due_at": NOW + timedelta(days=3),
                    "occurrence": 0,
                    "status": "incident" if incident == "timer" else "pending",
                    "attempts": 5 if incident == "timer" else 0,
                    "last_error": "ZeroDivisionError: division by zero" if incident == "timer" else None,
                    "created_at": started,
                }
            )
            rows["x"].append(
                {
                    "id": f"{i:032x}",
                    "instance_id": i,
                    "version_id": model + 1,
                    "model_key": MODELS[model],
                    "element_id": f"step_{EVENTS}",
                    "spiff_task_id": f"{i:036d}",
                    "topic": "ledger",
                    "priority": 0,
                    "status": "incident" if incident == "external" else "open",
                    "retries": 0 if incident == "external" else None,
                    "error_message": "the ledger is down" if incident == "external" else None,
                    "created_at": started,
                }
            )
            if incident == "call":
                rows["c"].append(
                    {
                        "parent_instance_id": i,
                        "parent_element_id": f"step_{EVENTS}",
                        "parent_spiff_task_id": f"{i:036d}",
                        "called_key": "child",
                        "status": "incident",
                        "error": "call activity cannot start 'child': no model with key 'child' is deployed",
                        "created_at": started,
                    }
                )
            if len(rows["i"]) == BATCH or i == count:
                for key, table in (
                    ("i", process_instances),
                    ("h", history_events),
                    ("t", timers),
                    ("x", external_tasks),
                    ("c", instance_calls),
                ):
                    if rows[key]:
                        conn.execute(insert(table), rows[key])
                    rows[key] = []
    return made


def timed(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    run()
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def bench(engine: Engine, repeat: int) -> list[tuple[str, float, str]]:
    incidents = engine.incidents
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("incidents page 1 (all kinds)", lambda: incidents.list(SYSTEM, IncidentQuery(limit=26))),
        ("counts per kind", lambda: incidents.counts(SYSTEM)),
        ("kind timer page 1", lambda: incidents.list(SYSTEM, IncidentQuery(kind="timer", limit=26))),
        ("model budget page 1", lambda: incidents.list(SYSTEM, IncidentQuery(model_key="budget", limit=26))),
        ("page 10 by offset", lambda: incidents.list(SYSTEM, IncidentQuery(limit=26, offset=225))),
    ]
    results = []
    for label, run in cases:
        ms, result = timed(run, repeat)
        results.append((label, ms, f"{len(result)} rows" if isinstance(result, list) else str(result)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--instances", type=int, default=20_000)
    parser.add_argument(
        "--incident-rate", type=float, default=0.04, help="share of instances with an incident (default 4%%)"
    )
    parser.add_argument("--repeat", type=int, default=15, help="runs per query; the median is printed")
    parser.add_argument("--database-url", help="PostgreSQL: a scratch schema is created and dropped")
    args = parser.parse_args()
    runs = [("sqlite", None)] + ([("postgresql", args.database_url)] if args.database_url else [])
    for name, url in runs:
        with scratch_engine("incidents", url) as engine:
            start = time.perf_counter()
            made = fill(engine, args.instances, args.incident_rate)
            vacuum_analyze(engine)
            print(
                f"\n{name}: {args.instances:,} instances ({args.instances * EVENTS:,} history events), "
                f"{made} incidents, filled in {time.perf_counter() - start:.1f} s; "
                f"median of {args.repeat} runs"
            )
            results = bench(engine, args.repeat)
            width = max(len(label) for label, _, _ in results)
            for label, ms, shown in results:
                flag = "" if ms < 50 else "   <-- over 50 ms"
                print(f"  {label:<{width}}  {ms:8.2f} ms   ({shown}){flag}")


if __name__ == "__main__":
    main()
