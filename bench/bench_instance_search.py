"""Instance search benchmark: the auditors' search at 1,000,000 instances.

    python bench/bench_instance_search.py [--instances 1000000] [--repeat 9] [--database-url postgresql://…]
    (or APPROVALS_BENCH_DATABASE_URL=postgresql://… for the PostgreSQL run)

Fills a fresh database (a temporary SQLite file, or a scratch schema on PostgreSQL) with instances
inserted directly: 5 models of 3 versions, 2 years of starts, 70% completed, 22% running, 5%
cancelled, 3% suspended, 90% with a business key; 4 data values each (customer of 2,000, region of
3, amount, approved) in ``instance_values``; 2 trail events each (started by one of 500 requesters,
a task completed by one of 100 approvers). Then times, as an auditor, each query a search page
makes (median of --repeat runs, in ms). Target on SQLite: every page under 150 ms.

Measured 2026-11-26 at 1,000,000 instances on the 2-core VM shared with other sessions (load
average 5-7, so every figure is some 3x what a quiet machine gives; SQLite then PostgreSQL, ms):
page 1 17 / 36; deep page by cursor (row 500,000) 19 / 40; business key exact 10 / 27, prefix of
~100 keys 17 / 20, prefix of ~100,000 keys from a year ago 820 / 482 (over: see below); status +
process 31-65 / 28; process + version 23 / 27; participant (10,000 instances) 107 / 864 (over on
PostgreSQL), (2,000) 107 / 59; data customer = value 69 / 22, region = value (333,000) 52 / 12,
both 79 / 29; started within a month 30 / 10, the same by business key 733 / 76; ended within a
week 21 / 9; each order's page 1 15-20 / 4-12; counts (capped at 10,000) 20-345 / 28-832; CSV of
10,000 rows 2,080 / 845. Over 150 ms: many matches that sit far along the order's walk (a year-old
key prefix sorted by start; a start window sorted by key), the counts of large sets, and the CSV
(a download, not a page). The PostgreSQL participant figures are from before sets were read as
``id = ANY(array)`` (engine/runtime/search.py): since, at 200,000 instances on PostgreSQL, every page
is 12-80 ms (participant 80, with its count 97) and the CSV of 10,000 rows 1,008 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scratch import scratch_engine, vacuum_analyze

from engine import Engine
from engine.actor import Actor
from engine.runtime import InstanceSearch, csv_lines
from engine.runtime.search import cursor_after
from engine.store.schema import history_events, instance_values, model_versions, process_instances

MODELS = ["campaign", "budget", "event", "sponsorship", "press_release"]
REQUESTERS = [f"user{i:03d}" for i in range(500)]
APPROVERS = [f"approver{i:02d}" for i in range(100)]
CUSTOMERS = [f"C{i:04d}" for i in range(2000)]
REGIONS = ["EMEA", "APAC", "NA"]
NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
SPAN_MINUTES = 2 * 365 * 24 * 60
PAGE = 50
AUDITOR = Actor("audra", frozenset({"auditor"}))


class FixedClock:
    def now(self) -> datetime:
        return NOW


def _status(roll: float) -> str:
    if roll < 0.70:
        return "completed"
    if roll < 0.92:
        return "running"
    return "cancelled" if roll < 0.97 else "suspended"


def _columns(table: Any) -> list[str]:
    return [
        c.name for c in table.c if c.name not in ("head_seal", "error") and not c.name.startswith("parent_")
    ]


def fill(engine: Engine, count: int, seed: int = 11) -> None:
    """Rows straight into the tables through the DB-API (executemany of tuples), their secondary
    indexes dropped first and built again at the end: ~10x faster than row-at-a-time index upkeep."""
    rnd = random.Random(seed)
    sqlite = engine.db.dialect == "sqlite"
    mark = "?" if sqlite else "%s"

    def moment(value: datetime | None) -> Any:
        if value is None:
            return None
        naive = value.astimezone(UTC).replace(tzinfo=None)
        return naive.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else naive

    tables = (process_instances, instance_values, history_events)
    indexes = [index for table in tables for index in table.indexes]
    with engine.db.engine.begin() as conn:
        for index in indexes:
            index.drop(conn)
        conn.execute(
            insert(model_versions),
            [
                {
                    "id": m * 3 + v,
                    "model_key": key,
                    "version": v,
                    "content_hash": "0" * 64,
                    "deployed_by": "bench",
                    "deployed_at": NOW,
                    "info": "{}",
                }
                for m, key in enumerate(MODELS)
                for v in (1, 2, 3)
            ],
        )
        statements = {
            table.name: (
                f"INSERT INTO {table.name} ({', '.join(_columns(table))}) "
                f"VALUES ({', '.join(mark for _ in _columns(table))})"
            )
            for table in tables
        }
        cursor = conn.connection.dbapi_connection.cursor()
        instances, values, events = [], [], []
        for i in range(1, count + 1):
            model = rnd.randrange(len(MODELS))
            version = rnd.choice((1, 2, 2, 3, 3, 3))
            version_id = model * 3 + version
            # ids follow the start order, as the engine's do (give or take concurrent starts)
            started = NOW - timedelta(minutes=SPAN_MINUTES * (count - i) / count + rnd.random())
            status = _status(rnd.random())
            ended = (
                started + timedelta(hours=rnd.randrange(1, 24 * 20))
                if status in ("completed", "cancelled")
                else None
            )
            requester, approver = rnd.choice(REQUESTERS), rnd.choice(APPROVERS)
            key = f"MKT-2026-{i:07d}" if rnd.random() < 0.9 else None
            # id, model_key, version_id, business_key, status, initiator, started_at, updated_at,
            # ended_at, revision, state, data (the search reads instance_values, never this text),
            # last_seq, last_hash
            instances.append(
                (i, MODELS[model], version_id, key, status, requester, moment(started),
                 moment(ended or started), moment(ended), 3, "{}", "{}", 2, "")
            )  # fmt: skip
            values += [
                (i, "customer", rnd.choice(CUSTOMERS)),
                (i, "region", rnd.choice(REGIONS)),
                (i, "amount", str(rnd.randrange(1, 500) * 1000)),
                (i, "approved", "true" if status == "completed" else "false"),
            ]
            # id, instance_id, seq, type, actor, occurred_at, version_id, model_version, element_id,
            # task_id, data, prev_hash, hash, key_gen
            at, tail = moment(started), (version_id, version, None, None, "{}", "", "", None)
            events += [
                (2 * i - 1, i, 1, "instance_started", requester, at, *tail),
                (2 * i, i, 2, "task_completed", approver, at, *tail),
            ]
            if len(instances) == 20_000 or i == count:
                cursor.executemany(statements["process_instances"], instances)
                cursor.executemany(statements["instance_values"], values)
                cursor.executemany(statements["history_events"], events)
                instances, values, events = [], [], []
        cursor.close()
        for index in indexes:
            index.create(conn)


def timed(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    run()  # warm the caches: an auditor pages and refines, the same pages are read again
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def deep_cursor(engine: Engine, search: InstanceSearch, rows_before: int) -> str:
    """The cursor a person holds after paging through ``rows_before`` rows (read off the table)."""
    with engine.db.read() as conn:
        row = conn.execute(
            select(process_instances)
            .order_by(process_instances.c.started_at.desc(), process_instances.c.id.desc())
            .offset(rows_before - 1)
            .limit(1)
        ).one()
    return cursor_after(row, search)


def bench(engine: Engine, count: int, repeat: int) -> list[tuple[str, float, str]]:
    search = engine.runtime.search
    base = InstanceSearch(limit=PAGE)
    deep = deep_cursor(engine, base, min(count, 500_000))
    month = NOW - timedelta(days=200)

    def run(s: InstanceSearch) -> Callable[[], Any]:
        return lambda: search(AUDITOR, s)

    def export(rows: int) -> str:
        lines = csv_lines(engine.runtime.export(AUDITOR, InstanceSearch(), rows), str, max_rows=rows)
        return f"{sum(len(line) for line in lines) // 1024} KiB"

    cases: list[tuple[str, Callable[[], Any]]] = [
        ("page 1, newest first", run(base)),
        ("page 1 with the count (capped at 10,000)", run(replace(base, count=True))),
        ("deep page by cursor (row 500,000)", run(replace(base, after=deep))),
        ("business key exact", run(replace(base, business_key="MKT-2026-0424242"))),
        ("business key prefix MKT-2026-04242* (~100)", run(replace(base, business_key="MKT-2026-04242*"))),
        ("business key prefix MKT-2026-04* (~100,000)", run(replace(base, business_key="MKT-2026-04*"))),
        ("status running + process budget", run(replace(base, status="running", model_key="budget"))),
        ("status suspended + process budget", run(replace(base, status="suspended", model_key="budget"))),
        (
            "status suspended + process budget, count",
            run(replace(base, status="suspended", model_key="budget", count=True)),
        ),
        ("process + version", run(replace(base, model_key="event", version=2))),
        ("participant: an approver (~10,000)", run(replace(base, participant="approver42"))),
        ("participant: a requester (~2,000)", run(replace(base, participant="user042"))),
        ("participant with the count", run(replace(base, participant="approver42", count=True))),
        ("data customer = C0042 (~500)", run(replace(base, data=(("customer", "C0042"),)))),
        ("data customer = C0042, count", run(replace(base, data=(("customer", "C0042"),), count=True))),
        ("data region = APAC (~333,000)", run(replace(base, data=(("region", "APAC"),)))),
        ("data customer + region", run(replace(base, data=(("customer", "C0042"), ("region", "APAC"))))),
        ("data no match", run(replace(base, data=(("customer", "nobody"),)))),
        (
            "started within a month",
            run(replace(base, started_from=month, started_to=month + timedelta(days=30))),
        ),
        (
            "started within a month, by business key",
            run(
                replace(base, started_from=month, started_to=month + timedelta(days=30), sort="business_key")
            ),
        ),
        (
            "ended within a week, by ended",
            run(replace(base, ended_from=month, ended_to=month + timedelta(days=7), sort="ended")),
        ),
        ("order: ended, newest first", run(replace(base, sort="ended"))),
        ("order: ended, oldest first", run(replace(base, sort="ended", descending=False))),
        ("order: business key", run(replace(base, sort="business_key", descending=False))),
        ("order: status", run(replace(base, sort="status", descending=False))),
        ("order: process", run(replace(base, sort="process"))),
        ("CSV of 10,000 rows", lambda: export(10_000)),
    ]
    results = []
    for label, job in cases:
        ms, result = timed(job, repeat)
        shown = f"{len(result.items)} rows" if hasattr(result, "items") else str(result)
        if getattr(result, "total", None) is not None:
            shown += f", total {result.total:,}{'+' if result.total_capped else ''}"
        results.append((label, ms, shown))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--instances", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=9, help="runs per query; the median is printed")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("APPROVALS_BENCH_DATABASE_URL"),
        help="PostgreSQL: a scratch schema is created and dropped",
    )
    parser.add_argument(
        "--sqlite-file", help="keep the SQLite database here; an existing file is searched as it is (no fill)"
    )
    parser.add_argument("--skip-sqlite", action="store_true", help="with --database-url: PostgreSQL only")
    args = parser.parse_args()
    runs = [] if args.skip_sqlite and args.database_url else [("sqlite", None)]
    runs += [("postgresql", args.database_url)] if args.database_url else []
    for name, url in runs:
        sqlite_file = Path(args.sqlite_file) if args.sqlite_file and url is None else None
        reuse = sqlite_file is not None and sqlite_file.exists()
        with scratch_engine("search", url, FixedClock(), sqlite_file) as engine:
            start = time.perf_counter()
            if not reuse:
                fill(engine, args.instances)
            # SQLite is left unanalysed, as a database the engine created is.
            vacuum_analyze(engine)
            filled = time.perf_counter() - start
            print(f"\n{name}: {args.instances:,} instances filled in {filled:.0f} s", end="")
            print(f"; median of {args.repeat} runs")
            results = bench(engine, args.instances, args.repeat)
            width = max(len(label) for label, _, _ in results)
            for label, ms, shown in results:
                flag = "" if ms < 150 else "   <-- over 150 ms"
                print(f"  {label:<{width}}  {ms:8.2f} ms   ({shown}){flag}", flush=True)


if __name__ == "__main__":
    main()
